/// A side effect of lifecycle events: notify, log, post a webhook, count a metric…
///
/// Observers form an ordered chain per manager (``ObserverChain``). Each one is isolated:
/// if it throws, or does not finish within its timeout, the failure is logged and counted,
/// and the next observer still runs — as does the record write, which happens before.
///
/// ```swift
/// struct SlackObserver: LifecycleObserver {
///     func observe(_ event: LifecycleEvent) async throws {
///         try await postToSlack("Task \(event.taskName) failed: \(event.message)")
///     }
/// }
/// registry.register(observer: "myapp.observers.slack") { _ in SlackObserver() }
/// ```
public protocol LifecycleObserver: Sendable {
    /// Handles one event. Throwing is reported, never propagated to the task.
    func observe(_ event: LifecycleEvent) async throws
}

/// One observer in a chain, with the event kinds it wants and its time budget.
public struct ObserverRegistration: Sendable {
    /// The name it is known by in logs and counters (its dotted type name by default).
    public var name: String
    public var observer: any LifecycleObserver
    /// The kinds it receives; `nil` means all kinds.
    public var kinds: Set<LifecycleEventKind>?
    /// How long it may take per event before it is cut off.
    public var timeout: Duration
    /// Best-effort (a bounded buffer in this process) or durable (the store's outbox).
    public var delivery: ObserverDelivery

    /// The default per-observer timeout: 5 seconds.
    public static let defaultTimeout: Duration = .seconds(5)

    public init(
        name: String, observer: any LifecycleObserver, kinds: Set<LifecycleEventKind>? = nil, timeout: Duration = defaultTimeout,
        delivery: ObserverDelivery = .bestEffort()
    ) {
        self.name = name
        self.observer = observer
        self.kinds = kinds
        self.timeout = timeout
        self.delivery = delivery
    }

    /// The outbox consumer of this observer on manager `manager`: `"<manager>/<name>"`.
    public func consumer(manager: String) -> String {
        "\(manager)/\(name)"
    }

    /// Whether this observer receives events of `kind`.
    public func accepts(_ kind: LifecycleEventKind) -> Bool {
        kinds?.contains(kind) ?? true
    }
}
