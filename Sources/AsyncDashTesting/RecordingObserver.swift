import AsyncDash
import Synchronization

/// An observer that keeps every event it sees, for assertions.
///
/// ```swift
/// let recorder = RecordingObserver()
/// let context = ManagerContext(name: "test", stores: .memory(),
///                              observers: ObserverChain([.init(name: "recorder", observer: recorder)]))
/// …
/// #expect(recorder.events.map(\.kind) == [.create, .complete, .cleanup])
/// ```
public final class RecordingObserver: LifecycleObserver {
    private let recorded = Mutex<[LifecycleEvent]>([])

    public init() {}

    public func observe(_ event: LifecycleEvent) async throws {
        recorded.withLock { $0.append(event) }
    }

    /// The events seen so far, in order.
    public var events: [LifecycleEvent] { recorded.withLock { $0 } }
}

/// An observer that always throws: for testing isolation.
public struct FailingObserver: LifecycleObserver {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String { "FailingObserver always fails" }
    }
    public init() {}
    public func observe(_ event: LifecycleEvent) async throws { throw Failure() }
}

/// An observer that never returns and ignores cancellation (without using any CPU): for
/// testing time-outs.
public struct HangingObserver: LifecycleObserver {
    public init() {}
    public func observe(_ event: LifecycleEvent) async throws {
        // A continuation nobody resumes: suspended for good, deaf to cancellation.
        await withUnsafeContinuation { (_: UnsafeContinuation<Void, Never>) in }
    }
}
