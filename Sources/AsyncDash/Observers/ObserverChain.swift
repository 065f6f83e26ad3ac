import Logging
import Synchronization

/// An ordered chain of observers; each event goes to each observer that accepts its kind, in order.
public struct ObserverChain: Sendable {
    public var registrations: [ObserverRegistration]

    public init(_ registrations: [ObserverRegistration] = []) {
        self.registrations = registrations
    }

    /// Why an observer did not handle an event.
    public enum Failure: Sendable, CustomStringConvertible {
        case threw(observer: String, error: any Error)
        case timedOut(observer: String, after: Duration)

        public var observer: String {
            switch self {
            case .threw(let name, _), .timedOut(let name, _): name
            }
        }

        public var description: String {
            switch self {
            case .threw(let name, let error): "observer '\(name)' threw: \(error)"
            case .timedOut(let name, let after): "observer '\(name)' did not finish within \(after)"
            }
        }
    }

    /// Sends `event` through the chain. Failures are logged, counted in `diagnostics`, and returned;
    /// they never stop the chain.
    @discardableResult
    public func notify(_ event: LifecycleEvent, logger: Logger, diagnostics: ManagerDiagnostics) async -> [Failure] {
        var failures: [Failure] = []
        for registration in registrations where registration.accepts(event.kind) {
            guard let failure = await Self.run(registration, event) else { continue }
            failures.append(failure)
            logger.error(
                "lifecycle observer failed",
                metadata: ["observer": "\(registration.name)", "task": "\(event.taskName)", "event": "\(event.kind)", "reason": "\(failure)"]
            )
            await diagnostics.recordObserverFailure(failure)
        }
        return failures
    }

    /// Runs one observer with its timeout. A hanging observer is cancelled and abandoned, so
    /// even one that ignores cancellation cannot hold up the chain.
    private static func run(_ registration: ObserverRegistration, _ event: LifecycleEvent) async -> Failure? {
        await withCheckedContinuation { (continuation: CheckedContinuation<Failure?, Never>) in
            let race = Race(continuation)
            let timer = Task {
                try await Task.sleep(for: registration.timeout)
                if race.finish(.timedOut(observer: registration.name, after: registration.timeout)) {
                    race.cancelWork()
                }
            }
            let work = Task {
                do {
                    try await registration.observer.observe(event)
                    _ = race.finish(nil)
                } catch {
                    _ = race.finish(.threw(observer: registration.name, error: error))
                }
                timer.cancel()
            }
            race.setWork(work)
        }
    }
}

/// Resumes a continuation exactly once, whichever of the work or the timer finishes first.
private final class Race: Sendable {
    private struct State {
        var continuation: CheckedContinuation<ObserverChain.Failure?, Never>?
        var work: Task<Void, Never>?
        var cancelRequested = false
    }

    private let state: Mutex<State>

    init(_ continuation: CheckedContinuation<ObserverChain.Failure?, Never>) {
        state = Mutex(State(continuation: continuation))
    }

    /// Resumes with `outcome` if nobody did yet; returns whether this call did.
    func finish(_ outcome: ObserverChain.Failure?) -> Bool {
        let continuation = state.withLock { state -> CheckedContinuation<ObserverChain.Failure?, Never>? in
            defer { state.continuation = nil }
            return state.continuation
        }
        continuation?.resume(returning: outcome)
        return continuation != nil
    }

    func setWork(_ work: Task<Void, Never>) {
        let cancelNow = state.withLock { state -> Bool in
            state.work = work
            return state.cancelRequested
        }
        if cancelNow { work.cancel() }
    }

    func cancelWork() {
        let work = state.withLock { state -> Task<Void, Never>? in
            state.cancelRequested = true
            return state.work
        }
        work?.cancel()
    }
}
