import Foundation
import Logging

/// Resolves every dotted name of an ``AsyncDashConfig`` against a ``Registry``: record models,
/// managers (with their `MANAGERS` chains), field maps, formatters, observers, the store scheme.
///
/// Every mistake becomes a ``ConfigDiagnostic`` at the place it was written, with the closest
/// registered names; all of them are reported together in one ``ConfigError``.
public enum ConfigResolver {
    /// Reads and resolves the config at `path` in one go, reporting file mistakes and name
    /// mistakes together.
    public static func load(
        path: String,
        registry: Registry,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        logger: Logger = Logger(label: "asyncdash"),
        checks: [ConfigCheck] = []
    ) throws(ConfigError) -> ResolvedConfig {
        let (config, fileDiagnostics) = try ConfigLoader.readCollecting(path: path, environment: environment)
        return try resolve(config, registry: registry, environment: environment, logger: logger, carrying: fileDiagnostics, checks: checks)
    }

    /// Resolves config text (for tests and tools); `file` names it in diagnostics.
    public static func parse(
        _ text: String,
        file: String,
        registry: Registry,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        logger: Logger = Logger(label: "asyncdash"),
        checks: [ConfigCheck] = []
    ) throws(ConfigError) -> ResolvedConfig {
        let (config, fileDiagnostics) = try ConfigLoader.parseCollecting(text, file: file, environment: environment)
        return try resolve(config, registry: registry, environment: environment, logger: logger, carrying: fileDiagnostics, checks: checks)
    }

    /// Resolves a config already read.
    public static func resolve(
        _ config: AsyncDashConfig,
        registry: Registry,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        logger: Logger = Logger(label: "asyncdash"),
        carrying earlier: [ConfigDiagnostic] = [],
        checks: [ConfigCheck] = []
    ) throws(ConfigError) -> ResolvedConfig {
        var state = ResolutionState(config: config, registry: registry, environment: environment, logger: logger)
        state.diagnostics = earlier
        state.registerModels()
        state.checkStore()
        state.loadPlugins()
        var managers: [String: ResolvedManager] = [:]
        for declaration in config.managers {
            if let resolved = state.resolveManager(declaration) { managers[declaration.name.value] = resolved }
        }
        let defaultManager = state.resolveManager(config.defaultManager)
        for (name, _) in config.managerDashboards where managers[name.value] == nil && registry.kind(of: name.value) != .manager {
            let known = config.managers.map(\.name.value)
            state.error("DASHBOARD.managers: '\(name.value)' is neither a registered manager nor one declared in MANAGERS\(Suggest.didYouMean(name.value, in: known)); "
                            + (known.isEmpty ? "declare it there first" : "declared: \(known.joined(separator: ", "))"), at: name.location)
        }
        let context = ConfigCheckContext(
            config: state.config, registry: state.registry, environment: environment, defaultManager: defaultManager, managers: managers,
            declaredRecords: state.declaredRecords)
        for check in checks { state.diagnostics += check(context) }
        guard state.diagnostics.isEmpty, let defaultManager else {
            throw ConfigError(state.diagnostics)
        }
        return ResolvedConfig(
            config: state.config, registry: state.registry, defaultManager: defaultManager, managers: managers, plugins: state.loadedPlugins)
    }
}

