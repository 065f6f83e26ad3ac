/// A manager class that carries its dotted name, so the `AsyncDashRegistrations` build-tool
/// plugin (or one line of your own) can register it: `registry.register(manager: AppAsyncManager.self)`.
///
/// ```swift
/// final class AppAsyncManager: ModelTrackingAsyncManager, RegisteredManager, @unchecked Sendable {
///     static let dottedName = "myapp.async_manager.AppAsyncManager"
///     override class var recordModelPath: String? { "myapp.JobRecord" }
/// }
/// ```
///
/// A subclass of a registered class inherits the conformance; it is registered too when it
/// declares a `dottedName` of its own (`override class var dottedName: String { … }` when the base
/// declares it as a `class var`).
public protocol RegisteredManager: AsyncManager {
    /// The name config files use for this class (`manager_class:`, `base:`).
    static var dottedName: String { get }
}

/// A namespace whose static ``TaskFunction``, ``RecordModel``, ``ObserverPlugin`` and
/// ``FormatterPlugin`` members the `AsyncDashRegistrations` build-tool plugin registers.
///
/// ```swift
/// enum AppTasks: RegistrationCatalog {
///     static let resizeImages = TaskFunction(name: "myapp.tasks.resize_images") { args, context in
///         return ["resized": 3]
///     }
/// }
/// ```
///
/// The plugin registers each `static let` of the catalog's own body whose type is written
/// (`static let model: RecordModel = …`) or whose value starts with one of those types
/// (`= TaskFunction(…)`, `= TaskFunction.typed(…)`, `= ObserverPlugin(…)`); other members are left alone.
public protocol RegistrationCatalog {}

/// An observer type under a dotted name, with the factory that builds it from its config entry.
///
/// ```swift
/// static let journal = ObserverPlugin(name: "myapp.observers.journal") { options in
///     try options.allowOnly(["path"])
///     return JournalObserver(path: try options.string("path"))
/// }
/// ```
public struct ObserverPlugin: Sendable {
    public var name: String
    public var factory: Registry.ObserverFactory

    public init(name: String, factory: @escaping Registry.ObserverFactory) {
        self.name = name
        self.factory = factory
    }
}

/// A formatter type under a dotted name, with the factory that builds it from its config entry.
public struct FormatterPlugin: Sendable {
    public var name: String
    public var factory: Registry.FormatterFactory

    public init(name: String, factory: @escaping Registry.FormatterFactory) {
        self.name = name
        self.factory = factory
    }
}
