import Logging

/// Resolves dotted names to managers, record models, observers, formatters, task functions and
/// store schemes — the Swift answer to powercrud's `import_string`.
///
/// A registry is a value: build it once at start-up, then pass it on. Nothing is global.
///
/// ```swift
/// var registry = Registry.standard                                   // the built-ins
/// registry.register(AppAsyncManager.self, as: "myapp.async_manager.AppAsyncManager")
/// registry.register(recordModel: try RecordModel(name: "myapp.AsyncTaskRecord", table: "tasks", columns: …))
/// registry.register(observer: "myapp.observers.slack") { options in SlackObserver(channel: try options.string("channel")) }
/// ```
///
/// Registering one name twice is a programmer error and traps. Looking up an unknown name, or a
/// name of another kind, throws ``RegistryError`` with the closest registered names.
public struct Registry: Sendable {
    /// What a dotted name refers to.
    public enum Kind: String, Sendable, CaseIterable {
        case manager, recordModel = "record model", observer, formatter, taskFunction = "task function", storeScheme = "store scheme"
    }

    /// A registered manager class.
    public struct ManagerEntry: Sendable {
        public let name: String
        /// The Swift type's name, for messages.
        public let typeName: String
        /// Whether the class is a ``ModelTrackingAsyncManager`` (and so takes a record model and field map).
        public let isModelTracking: Bool
        /// The class attributes of a model-tracking manager.
        public let classRecordModelPath: String?
        public let classFieldMap: [String: String]
        let make: @Sendable (ManagerContext) throws -> AsyncManager

        /// Builds an instance.
        public func makeManager(_ context: ManagerContext) throws -> AsyncManager { try make(context) }
    }

    /// Makes an observer from its config entry.
    public typealias ObserverFactory = @Sendable (ComponentOptions) throws -> any LifecycleObserver
    /// Makes a formatter from its config entry.
    public typealias FormatterFactory = @Sendable (ComponentOptions) throws -> any FieldFormatter
    /// Opens the stores of a URL (`sqlite://…`, `memory`). Async so that a driver can open files or
    /// connections without blocking a thread of the cooperative pool.
    public typealias StoreFactory = @Sendable (_ url: String, _ clock: any AsyncDashClock) async throws -> StoreSet
    /// Checks a store URL without opening anything; throws an error naming what is wrong.
    public typealias StoreURLValidator = @Sendable (_ url: String) throws -> Void

    public private(set) var managers: [String: ManagerEntry] = [:]
    /// Where each registered name came from (``register(from:_:)``): `built-in`, `module Sample`, …
    public private(set) var origins: [String: String] = [:]
    /// The origin stamped on what is registered now.
    private var currentOrigin = "the application"
    public private(set) var recordModels: [String: RecordModel] = [:]
    var observerFactories: [String: ObserverFactory] = [:]
    var formatterFactories: [String: FormatterFactory] = [:]
    public private(set) var taskFunctions: [String: TaskFunction] = [:]
    var storeFactories: [String: StoreFactory] = [:]
    var storeValidators: [String: StoreURLValidator] = [:]
    var volatileStoreSchemes: Set<String> = []

    /// An empty registry (no built-ins).
    public init() {}

    // MARK: Registration

    /// Registers what `body` registers with `origin` as where it came from, so an unknown name's
    /// error can list the registered names with their origins (`built-in`, `module MyApp`…).
    ///
    /// ```swift
    /// registry.register(from: "module MyApp") { registry in
    ///     registry.register(manager: AppAsyncManager.self)
    /// }
    /// ```
    public mutating func register(from origin: String, _ body: (inout Registry) throws -> Void) rethrows {
        let previous = currentOrigin
        currentOrigin = origin
        defer { currentOrigin = previous }
        try body(&self)
    }

    /// Registers a ``RegisteredManager`` class under its ``RegisteredManager/dottedName``.
    public mutating func register<Manager: RegisteredManager>(manager type: Manager.Type) {
        register(type, as: type.dottedName)
    }

    /// Registers an observer declared as an ``ObserverPlugin``.
    public mutating func register(observer plugin: ObserverPlugin) {
        register(observer: plugin.name, factory: plugin.factory)
    }

    /// Registers a formatter declared as a ``FormatterPlugin``.
    public mutating func register(formatter plugin: FormatterPlugin) {
        register(formatter: plugin.name, factory: plugin.factory)
    }

    /// Registers a manager class under a dotted name.
    public mutating func register<Manager: AsyncManager>(_ type: Manager.Type, as name: String) {
        register(type, as: name) { context in try Manager(context: context) }
    }

    /// Registers a manager class under a dotted name with a factory, so the app can hand the
    /// manager its own dependencies (an HTTP client, a mailer…) alongside the context.
    ///
    /// ```swift
    /// registry.register(MailingManager.self, as: "myapp.MailingManager") { context in
    ///     try MailingManager(context: context, mailer: mailer)
    /// }
    /// ```
    public mutating func register<Manager: AsyncManager>(
        _ type: Manager.Type,
        as name: String,
        factory: @escaping @Sendable (ManagerContext) throws -> Manager
    ) {
        claim(name)
        let tracking = type as? ModelTrackingAsyncManager.Type
        managers[name] = ManagerEntry(
            name: name,
            typeName: String(describing: type),
            isModelTracking: tracking != nil,
            classRecordModelPath: tracking?.recordModelPath,
            classFieldMap: tracking?.fieldMap ?? [:],
            make: { context in try factory(context) }
        )
    }

    /// Registers a record model under its ``RecordModel/name``.
    public mutating func register(recordModel: RecordModel) {
        claim(recordModel.name)
        recordModels[recordModel.name] = recordModel
    }

    /// Registers an observer factory under a dotted name.
    public mutating func register(observer name: String, factory: @escaping ObserverFactory) {
        claim(name)
        observerFactories[name] = factory
    }

    /// Registers a formatter factory under a dotted name.
    public mutating func register(formatter name: String, factory: @escaping FormatterFactory) {
        claim(name)
        formatterFactories[name] = factory
    }

    /// Registers a task function under its ``TaskFunction/name``.
    public mutating func register(taskFunction: TaskFunction) {
        claim(taskFunction.name)
        taskFunctions[taskFunction.name] = taskFunction
    }

    /// Registers the store driver for URLs starting with `scheme:`: its factory opens every role
    /// of a ``StoreSet``, and an optional validator that config checking runs (so a bad URL is
    /// reported at its file:line:column).
    ///
    /// - Parameter persistent: Whether what the driver stores outlives the process (`false` for
    ///   `memory`): `QUEUE: durable` on a store that is not is a config error.
    public mutating func register(
        storeScheme scheme: String, persistent: Bool = true, validate: StoreURLValidator? = nil, factory: @escaping StoreFactory
    ) {
        precondition(storeFactories[scheme] == nil, "store scheme '\(scheme)' is registered twice")
        if !persistent { volatileStoreSchemes.insert(scheme) }
        origins[scheme + ":"] = currentOrigin
        storeFactories[scheme] = factory
        storeValidators[scheme] = validate
    }

    /// Checks `url` with its scheme's validator (if it has one).
    public func validateStoreURL(_ url: String) throws {
        _ = try storeFactory(for: url)
        try storeValidators[Self.scheme(of: url)]?(url)
    }

    /// Whether the driver of `url`'s scheme keeps its data beyond the process (`false` for `memory`).
    public func isPersistentStore(_ url: String) -> Bool {
        !volatileStoreSchemes.contains(Self.scheme(of: url))
    }

    static func scheme(of url: String) -> String {
        url.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? url
    }

    private mutating func claim(_ name: String) {
        precondition(!name.isEmpty, "a registry name must not be empty")
        precondition(
            kind(of: name) == nil,
            "'\(name)' is registered twice (already a \(kind(of: name)?.rawValue ?? "") from \(origins[name] ?? "?"), again from \(currentOrigin))")
        origins[name] = currentOrigin
    }

    /// Where `name` (or a store scheme written `scheme:`) came from, if it is registered.
    public func origin(of name: String) -> String? { origins[name] }

    /// The registered names of `kind` with their origins, sorted by name.
    public func registeredNames(of kind: Kind) -> [RegisteredName] {
        names(of: kind).map { name in
            RegisteredName(name: name, origin: origins[kind == .storeScheme ? name + ":" : name] ?? "unknown")
        }
    }

    // MARK: Lookup

    /// What `name` refers to, if anything.
    public func kind(of name: String) -> Kind? {
        if managers[name] != nil { return .manager }
        if recordModels[name] != nil { return .recordModel }
        if observerFactories[name] != nil { return .observer }
        if formatterFactories[name] != nil { return .formatter }
        if taskFunctions[name] != nil { return .taskFunction }
        return nil
    }

    /// Every registered name of `kind`, sorted.
    public func names(of kind: Kind) -> [String] {
        switch kind {
        case .manager: managers.keys.sorted()
        case .recordModel: recordModels.keys.sorted()
        case .observer: observerFactories.keys.sorted()
        case .formatter: formatterFactories.keys.sorted()
        case .taskFunction: taskFunctions.keys.sorted()
        case .storeScheme: storeFactories.keys.sorted()
        }
    }

    public func manager(named name: String) throws(RegistryError) -> ManagerEntry {
        try lookup(name, .manager, managers)
    }

    public func recordModel(named name: String) throws(RegistryError) -> RecordModel {
        try lookup(name, .recordModel, recordModels)
    }

    public func observerFactory(named name: String) throws(RegistryError) -> ObserverFactory {
        try lookup(name, .observer, observerFactories)
    }

    public func formatterFactory(named name: String) throws(RegistryError) -> FormatterFactory {
        try lookup(name, .formatter, formatterFactories)
    }

    public func taskFunction(named name: String) throws(RegistryError) -> TaskFunction {
        try lookup(name, .taskFunction, taskFunctions)
    }

    /// The factory for `url`'s scheme (the part before the first `:`).
    public func storeFactory(for url: String) throws(RegistryError) -> StoreFactory {
        let scheme = Self.scheme(of: url)
        guard let factory = storeFactories[scheme] else {
            throw RegistryError(
                name: scheme, expected: .storeScheme, found: nil, suggestions: Suggest.closest(to: scheme, in: storeFactories.keys),
                registered: registeredNames(of: .storeScheme))
        }
        return factory
    }

    private func lookup<T>(_ name: String, _ expected: Kind, _ table: [String: T]) throws(RegistryError) -> T {
        if let value = table[name] { return value }
        throw RegistryError(
            name: name, expected: expected, found: kind(of: name), suggestions: Suggest.closest(to: name, in: names(of: expected)),
            registered: registeredNames(of: expected))
    }
}

