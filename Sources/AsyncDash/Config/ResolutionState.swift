import Foundation
import Logging

/// The working state of one ``ConfigResolver`` run: the registry growing with config models,
/// and the diagnostics found so far.
struct ResolutionState {
    var config: AsyncDashConfig
    var registry: Registry
    let environment: [String: String]
    let logger: Logger
    var diagnostics: [ConfigDiagnostic] = []
    /// The record model and field map of each declaration whose model resolved, even when
    /// another part of it did not (so config checks can still check columns).
    var declaredRecords: [String: DeclaredRecords] = [:]
    /// The `PLUGINS` loaded so far.
    var loadedPlugins: [LoadedPlugin] = []

    init(config: AsyncDashConfig, registry: Registry, environment: [String: String], logger: Logger) {
        self.config = config
        self.registry = registry
        self.environment = environment
        self.logger = logger
    }

    mutating func error(_ message: String, at location: SourceLocation) {
        diagnostics.append(ConfigDiagnostic(message, at: location))
    }

    /// Adds the config's `MODELS` to the registry.
    mutating func registerModels() {
        for declaration in config.models {
            let name = declaration.name
            if let kind = registry.kind(of: name.value) {
                error("MODELS: '\(name.value)' is already a registered \(kind.rawValue); choose another name", at: name.location)
                continue
            }
            var ok = true
            if !RecordModel.isIdentifier(declaration.table.value) {
                error("MODELS.\(name.value).table: '\(declaration.table.value)' is not a valid table name (letters, digits and _, not starting with a digit)", at: declaration.table.location)
                ok = false
            }
            for column in declaration.columns.map(\.name) where !RecordModel.isIdentifier(column.value) {
                error("MODELS.\(name.value).columns: '\(column.value)' is not a valid column name (letters, digits and _, not starting with a digit)", at: column.location)
                ok = false
            }
            let key = declaration.key?.value ?? "task_name"
            let columnNames = declaration.columns.map(\.name.value)
            if ok && !columnNames.contains(key) {
                error(
                    "MODELS.\(name.value): the key column '\(key)' is not among its columns\(Suggest.didYouMean(key, in: columnNames)); add it, or name the key with key: COLUMN",
                    at: declaration.key?.location ?? name.location
                )
                ok = false
            }
            guard ok else { continue }
            do {
                let model = try RecordModel(
                    name: name.value, table: declaration.table.value,
                    columns: declaration.columns.map { RecordModel.Column($0.name.value, $0.type) }, keyColumn: key
                )
                registry.register(from: "config MODELS") { $0.register(recordModel: model) }
            } catch {
                self.error("MODELS: \(error)", at: name.location)
            }
        }
    }

    mutating func checkStore() {
        guard checkStoreURL(config.store, key: "STORE") else { return }
        for (role, url) in config.storeRoles.sorted(by: { $0.key < $1.key }) {
            _ = checkStoreURL(url, key: "STORE_ROLES.\(role.rawValue)")
        }
        let together = StoreRole.together.map { (role: $0, url: config.storeURL(for: $0)) }
        if Set(together.map(\.url.value)).count > 1, let written = together.first(where: { config.storeRoles[$0.role] != nil }) {
            self.error(
                "STORE_ROLES: " + StoreRole.together.map(\.rawValue).joined(separator: ", ")
                    + " must be in one store (a launch reserves its locks and queues its job, and an event's outbox entries are written, each in one transaction); here "
                    + together.map { "\($0.role.rawValue) is '\(StoreURL.redacted($0.url.value))'" }.joined(separator: ", ")
                    + "; give them one URL, or leave them out to use STORE",
                at: written.url.location)
        }
        let queueURL = config.storeURL(for: .queue).value
        guard !registry.isPersistentStore(queueURL) else { return }
        if !config.queueWritten {
            config.queue = Located("inprocess", at: config.queue.location)
        } else if config.queue.value == "durable" {
            self.error(
                "QUEUE 'durable' needs a store whose queue outlives the process, but STORE '\(StoreURL.redacted(queueURL))' keeps everything in memory; "
                    + "use QUEUE: inprocess, or a persistent STORE such as sqlite://PATH",
                at: config.queue.location)
        }
    }

    /// Validates one store URL; returns whether it is usable.
    mutating func checkStoreURL(_ url: Located<String>, key: String) -> Bool {
        do {
            try registry.validateStoreURL(url.value)
            return true
        } catch let error as RegistryError {
            let schemes = registry.names(of: .storeScheme)
            self.error(
                "\(key) '\(StoreURL.redacted(url.value))': no store for scheme '\(error.name)'\(Suggest.didYouMean(error.name, in: schemes)); available: \(schemes.map { "\($0)://…" }.joined(separator: ", "))",
                at: url.location
            )
            return true
        } catch {
            self.error("\(key) '\(StoreURL.redacted(url.value))': \(error)", at: url.location)
            return false
        }
    }

    /// Loads the config's `PLUGINS` into the registry (a relative path is taken from the config
    /// file's folder); each one that cannot be loaded is a diagnostic at its entry.
    mutating func loadPlugins() {
        for plugin in config.plugins {
            let path = PluginLibrary.path(plugin.value, configFile: plugin.location.file)
            do {
                loadedPlugins.append(try PluginLibrary.load(path, into: &registry, logger: logger))
            } catch {
                self.error("PLUGINS: \(error.description)", at: plugin.location)
            }
        }
    }

    /// Builds a component through its factory, turning option errors into diagnostics at the option.
    mutating func build<T>(
        _ component: ComponentDeclaration,
        what: String,
        factory: (ComponentOptions) throws -> T
    ) -> T? {
        let options = ComponentOptions(type: component.type.value, values: component.options, environment: environment, logger: logger)
        do {
            return try factory(options)
        } catch let optionError as OptionError {
            error("\(what) (\(component.type.value)): \(optionError.message)", at: component.optionLocations[optionError.key] ?? component.location)
        } catch {
            self.error("\(what) (\(component.type.value)): \(error)", at: component.location)
        }
        return nil
    }

    /// `registryError` as a diagnostic about a name written at `location`.
    mutating func unresolved(_ registryError: RegistryError, what: String, extraCandidates: [String] = [], at location: SourceLocation) {
        var registryError = registryError
        if registryError.found == nil && !extraCandidates.isEmpty {
            registryError.suggestions = Suggest.closest(to: registryError.name, in: registry.names(of: registryError.expected) + extraCandidates)
            registryError.registered += extraCandidates.sorted().map { RegisteredName(name: $0, origin: "config MANAGERS") }
        }
        error("\(what): \(registryError)", at: location)
    }
}
