import Logging

/// Everything a manager is built from: its name, settings, stores, observers, formatters and,
/// for a ``ModelTrackingAsyncManager``, the record model and field map.
///
/// The registry builds contexts from config; tests and apps can build one directly:
///
/// ```swift
/// let context = ManagerContext(name: "myapp.Manager", stores: .memory(), registry: registry)
/// let manager = try MyManager(context: context)
/// ```
public struct ManagerContext: Sendable {
    /// The dotted name the manager was resolved as.
    public var name: String
    public var settings: AsyncSettings
    public var stores: StoreSet
    public var observers: ObserverChain
    /// Formatters declared in config; an empty slot falls back to the manager's own method.
    public var formatters: FormatterSet
    /// The record model named by config (`record_model_path`); `nil` uses the class attribute.
    public var recordModel: RecordModel?
    /// Field-map entries from config (logical field → column); they override the class attribute.
    public var fieldMap: [String: String]
    /// Column values for newly created records (`create_defaults`).
    public var createDefaults: [String: JSONValue]
    /// The registry, to resolve the class attribute `recordModelPath`.
    public var registry: Registry
    public var logger: Logger
    public var diagnostics: ManagerDiagnostics
    /// What the manager's rules read the time from (event timestamps, retry backoffs, clean-up
    /// ages, outbox retries); a ``ManualClock`` in tests.
    public var clock: any AsyncDashClock

    public init(
        name: String,
        settings: AsyncSettings = AsyncSettings(),
        stores: StoreSet,
        observers: ObserverChain = ObserverChain(),
        formatters: FormatterSet = FormatterSet(),
        recordModel: RecordModel? = nil,
        fieldMap: [String: String] = [:],
        createDefaults: [String: JSONValue] = [:],
        registry: Registry = .standard,
        logger: Logger = Logger(label: "asyncdash"),
        diagnostics: ManagerDiagnostics = ManagerDiagnostics(),
        clock: any AsyncDashClock = SystemClock()
    ) {
        self.name = name
        self.settings = settings
        self.stores = stores
        self.observers = observers
        self.formatters = formatters
        self.recordModel = recordModel
        self.fieldMap = fieldMap
        self.createDefaults = createDefaults
        self.registry = registry
        self.logger = logger
        self.diagnostics = diagnostics
        self.clock = clock
    }
}
