import AsyncDash

/// Observers for measuring isolation (`asyncdash bench lifecycle` with a config naming them):
/// `asyncdash.bench.sleeping` (option `seconds`, default 10: sleeps that long per event and ignores
/// cancellation) and `asyncdash.bench.hanging` (never returns). Registered by the `asyncdash`
/// executable only.
public enum BenchObservers {
    public static func register(into registry: inout Registry) {
        registry.register(from: "built-in (AsyncDashBench)") { registry in
            registry.register(observer: "asyncdash.bench.sleeping") { options in
                try options.allowOnly(["seconds"])
                let seconds = try options.int("seconds", default: 10) ?? 10
                guard (0...3600).contains(seconds) else {
                    throw OptionError(key: "seconds", message: "option 'seconds' must be from 0 to 3600, not \(seconds)")
                }
                return SleepingObserver(delay: .seconds(seconds))
            }
            registry.register(observer: "asyncdash.bench.hanging") { options in
                try options.allowOnly([])
                return NeverReturningObserver()
            }
        }
    }
}

/// Sleeps `delay` per event, ignoring cancellation.
struct SleepingObserver: LifecycleObserver {
    let delay: Duration
    func observe(_ event: LifecycleEvent) async throws {
        let end = ContinuousClock.now.advanced(by: delay)
        while ContinuousClock.now < end { try? await Task.sleep(for: .milliseconds(100)) }
    }
}

/// Never returns and ignores cancellation (without using CPU).
struct NeverReturningObserver: LifecycleObserver {
    func observe(_ event: LifecycleEvent) async throws {
        await withCheckedContinuation { (_: CheckedContinuation<Void, Never>) in }
    }
}
