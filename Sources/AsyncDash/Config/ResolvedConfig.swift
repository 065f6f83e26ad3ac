import Logging

/// A manager with every dotted name of its declaration resolved and checked.
public struct ResolvedManager: Sendable {
    /// The name it was declared as (`ASYNC_MANAGER_DEFAULT`'s is its `manager_class`).
    public var name: String
    /// The names from this declaration down to the registered class, e.g.
    /// `[myapp.NotifyingAsyncManager, sample.async_manager.SampleAsyncManager]`.
    public var chain: [String]
    /// The registered class the chain ends in.
    public var entry: Registry.ManagerEntry
    /// Set when `base` was unknown and the declaration's `fallback` was used instead.
    public var fallbackReason: String?
    public var recordModel: RecordModel?
    /// Config field-map entries (merged down the chain); the class attribute is applied by the manager.
    public var fieldMap: [String: String]
    /// The effective field map (class attribute and config), for display.
    public var effectiveFieldMap: FieldMap?
    public var formatters: FormatterSet
    /// Slot → dotted formatter name, for display.
    public var formatterNames: [FormatterSlot: String]
    public var observers: [ObserverRegistration]
    public var createDefaults: [String: JSONValue]

    /// The context this manager is built from.
    public func context(
        settings: AsyncSettings,
        stores: StoreSet,
        registry: Registry,
        logger: Logger,
        diagnostics: ManagerDiagnostics,
        clock: any AsyncDashClock = SystemClock()
    ) -> ManagerContext {
        ManagerContext(
            name: name, settings: settings, stores: stores, observers: ObserverChain(observers), formatters: formatters,
            recordModel: recordModel, fieldMap: fieldMap, createDefaults: createDefaults, registry: registry,
            logger: logger, diagnostics: diagnostics, clock: clock
        )
    }
}

/// A config whose names all resolved: build stores and managers from it.
///
/// ```swift
/// let resolved = try ConfigResolver.load(path: "config.yaml", registry: registry, environment: env)
/// let stores = try resolved.makeStores()
/// let manager = try await resolved.makeManager(stores: stores)
/// await manager.emit(LifecycleEvent(.create, task: "import-42"))
/// ```
public struct ResolvedConfig: Sendable {
    public var config: AsyncDashConfig
    /// The registry, plus the config's `MODELS`.
    public var registry: Registry
    /// `ASYNC_MANAGER_DEFAULT`.
    public var defaultManager: ResolvedManager
    /// `MANAGERS`, by name.
    public var managers: [String: ResolvedManager]
    /// The run-time plugins `PLUGINS` loaded, with what each registered.
    public var plugins: [LoadedPlugin] = []

    public var settings: AsyncSettings { config.settings }

    /// The declared manager `name`, or the default one for `nil`.
    public func manager(named name: String?) throws(RegistryError) -> ResolvedManager {
        guard let name else { return defaultManager }
        if let manager = managers[name] { return manager }
        if name == defaultManager.name || name == "ASYNC_MANAGER_DEFAULT" { return defaultManager }
        if let entry = try? registry.manager(named: name) {
            return ResolvedManager(
                name: name, chain: [name], entry: entry, recordModel: nil, fieldMap: [:], formatters: FormatterSet(),
                formatterNames: [:], observers: [], createDefaults: [:]
            )
        }
        throw RegistryError(
            name: name, expected: .manager, found: registry.kind(of: name),
            suggestions: Suggest.closest(to: name, in: registry.names(of: .manager) + managers.keys),
            registered: registry.registeredNames(of: .manager) + managers.keys.sorted().map { RegisteredName(name: $0, origin: "config MANAGERS") })
    }

    /// Opens the stores of `STORE`, and of `STORE_ROLES` when roles live elsewhere (each URL is
    /// opened once; see ``StoreSet/combining(records:audit:)``).
    public func makeStores(clock: any AsyncDashClock = SystemClock()) async throws -> StoreSet {
        let baseURL = config.storeURL(for: .coordination).value
        let base = try await registry.storeFactory(for: baseURL)(baseURL, clock)
        let recordsURL = config.storeURL(for: .records).value
        let auditURL = config.storeURL(for: .audit).value
        guard recordsURL != baseURL || auditURL != baseURL else { return base }
        let records = recordsURL == baseURL ? nil : try await registry.storeFactory(for: recordsURL)(recordsURL, clock)
        let audit: StoreSet? = switch auditURL {
        case baseURL: nil
        case recordsURL: records
        default: try await registry.storeFactory(for: auditURL)(auditURL, clock)
        }
        return base.combining(records: records, audit: audit)
    }

    /// Builds manager `name` (default: `ASYNC_MANAGER_DEFAULT`) on `stores`, preparing its record
    /// model's schema. `additionalObservers` run after the configured ones (e.g. the dashboard's
    /// metrics counter).
    public func makeManager(
        named name: String? = nil,
        stores: StoreSet,
        logger: Logger = Logger(label: "asyncdash"),
        diagnostics: ManagerDiagnostics = ManagerDiagnostics(),
        prepare: Bool = true,
        additionalObservers: [ObserverRegistration] = []
    ) async throws -> AsyncManager {
        var resolved = try manager(named: name)
        resolved.observers += additionalObservers
        let manager = try resolved.entry.makeManager(
            resolved.context(settings: settings, stores: stores, registry: registry, logger: logger, diagnostics: diagnostics)
        )
        if prepare, let tracking = manager as? ModelTrackingAsyncManager {
            try await stores.records.prepare(tracking.recordModel)
        }
        return manager
    }
}
