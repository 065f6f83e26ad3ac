import AsyncDash
import AsyncDashWeb
import Foundation
import Logging
import ServiceLifecycle

/// What every command starts from: the registry, the resolved config, a logger; opens stores and
/// builds managers.
///
/// ```swift
/// let runtime = try await CLIRuntime(global)
/// let stores = try runtime.openStores()
/// let manager = try await runtime.manager(named: nil, stores: stores)
/// ```
public struct CLIRuntime: Sendable {
    public let environment: [String: String]
    public let logger: Logger
    /// The config file's path as given.
    public let configPath: String
    public let resolved: ResolvedConfig

    /// Sets the log level, then loads and resolves the config.
    ///
    /// - Throws: ``CLIError`` (usage) for a bad log level; `ConfigError` with every mistake of the config.
    /// - Parameter checks: Checks of what the command will start, beyond the names (``CLIRuntime/dashboardChecks``
    ///   for `serve` and `check-config`), reported with the config's other mistakes.
    ///
    /// Each of the config's `PLUGINS` is first loaded in a child process (``PluginProbe``): one
    /// that crashes or hangs while loading is a config error naming it, and is never loaded here.
    public init(
        _ global: GlobalOptions, environment: [String: String] = ProcessInfo.processInfo.environment, checks: [ConfigCheck] = []
    ) async throws {
        self.environment = environment
        CLILogging.level = try global.level(environment: environment)
        self.logger = CLILogging.logger()
        self.configPath = global.configPath(environment: environment)
        var (config, diagnostics) = try ConfigLoader.readCollecting(path: configPath, environment: environment)
        if !config.plugins.isEmpty {
            let refused = await PluginProbe.check(config.plugins)
            diagnostics += refused
            config.plugins.removeAll { plugin in refused.contains { $0.location == plugin.location } }
        }
        self.resolved = try ConfigResolver.resolve(
            config, registry: CommandLineRegistry.current, environment: environment, logger: logger, carrying: diagnostics, checks: checks)
    }

    /// What `serve` checks of its dashboard before it starts (and so `check-config` too).
    public static let dashboardChecks: [ConfigCheck] = [DashboardSettings.configCheck]

    /// The store URL in use: `override` (e.g. `bench --store`) or the config's `STORE`.
    public func storeURL(override: String? = nil) -> String {
        override ?? resolved.config.store.value
    }

    /// ``storeURL(override:)`` for output and logs: any password in it hidden.
    public func displayedStoreURL(override: String? = nil) -> String {
        StoreURL.redacted(storeURL(override: override))
    }

    /// Opens the stores of `STORE`, or of `url` when given (from the command-line option `option`,
    /// which errors name).
    ///
    /// - Throws: ``CLIError`` (usage) for a URL no registered store serves; the store's error
    ///   when it cannot be opened.
    public func openStores(url override: String? = nil, option: String = "--store") async throws -> StoreSet {
        let url = storeURL(override: override).lowercased()
        if url == "memory" || url.hasPrefix("memory:") {
            logger.warning(
                "STORE \(storeURL(override: override)) keeps everything in this process: its records, locks, queued tasks and undelivered events are gone when it exits; use sqlite://PATH (or postgres://…) to keep them")
        }
        guard let override else { return try await resolved.makeStores() }
        let factory: Registry.StoreFactory
        do {
            factory = try resolved.registry.storeFactory(for: override)
        } catch {
            let schemes = resolved.registry.names(of: .storeScheme)
            let available = schemes.map { "\($0)://…" }.joined(separator: ", ")
            throw CLIError.usage("\(option) '\(StoreURL.redacted(override))': no store for scheme '\(error.name)'; available: \(available)")
        }
        do { try resolved.registry.validateStoreURL(override) } catch { throw CLIError.usage("\(option): \(error)") }
        return try await factory(override, SystemClock())
    }

    /// Builds manager `name` (`nil`: `ASYNC_MANAGER_DEFAULT`) on `stores`.
    ///
    /// - Parameter prepare: Whether to create or upgrade its record model's table first.
    /// - Throws: ``CLIError`` (usage) for an unknown name or a manager that cannot be built.
    public func manager(
        named name: String?, stores: StoreSet, prepare: Bool = true, observers: [ObserverRegistration] = []
    ) async throws -> AsyncManager {
        do {
            _ = try resolved.manager(named: name)
        } catch {
            throw CLIError.usage("--manager: \(error)")
        }
        do {
            return try await resolved.makeManager(named: name, stores: stores, logger: logger, prepare: prepare, additionalObservers: observers)
        } catch let error as ManagerConfigurationError {
            throw CLIError.usage("manager '\(name ?? resolved.defaultManager.name)': \(error)")
        } catch let error as FieldMapError {
            throw CLIError.usage("manager '\(name ?? resolved.defaultManager.name)': \(error)")
        }
    }

    /// The outbox dispatcher of this process: the durable observers of `manager` and of every
    /// `MANAGERS` entry that has any, so an event emitted through any of them (by any process on
    /// the store) is delivered.
    public func outboxDispatcher(for manager: AsyncManager, stores: StoreSet) async throws -> OutboxDispatcher {
        var managers = [manager]
        for (name, declared) in resolved.managers.sorted(by: { $0.key < $1.key })
        where name != manager.name && declared.observers.contains(where: \.delivery.isDurable) {
            managers.append(try await self.manager(named: name, stores: stores, prepare: false))
        }
        return OutboxDispatcher(managers: managers)
    }

    /// A service delivering the outbox until graceful shutdown (see ``outboxDispatcher(for:stores:)``).
    func outboxService(for manager: AsyncManager, stores: StoreSet) async throws -> any Service {
        let dispatcher = try await outboxDispatcher(for: manager, stores: stores)
        return LoopService { Task { await dispatcher.run() } }
    }

    /// Builds manager `name` and requires it to keep dashboard records.
    ///
    /// - Throws: ``CLIError`` (failure) when it is not a ``ModelTrackingAsyncManager``.
    public func trackingManager(named name: String?, stores: StoreSet) async throws -> ModelTrackingAsyncManager {
        let manager = try await manager(named: name, stores: stores)
        guard let tracking = manager as? ModelTrackingAsyncManager else {
            throw CLIError.failure(
                "manager '\(manager.name)' keeps no dashboard records (it is not based on asyncdash.ModelTrackingAsyncManager); "
                    + "pass --manager with one that does"
            )
        }
        return tracking
    }
}
