import Foundation

/// Where stores read the current time from, so TTL expiry can be tested without sleeping.
///
/// ``SystemClock`` is the default; `AsyncDashTesting.ManualClock` is moved by hand in tests.
public protocol AsyncDashClock: Sendable {
    /// The current time.
    func now() -> Date
}

/// The wall clock.
public struct SystemClock: AsyncDashClock {
    public init() {}
    public func now() -> Date { Date() }
}

extension Duration {
    /// The duration in seconds, as a `TimeInterval`.
    public var timeInterval: TimeInterval {
        let (seconds, attoseconds) = components
        return TimeInterval(seconds) + TimeInterval(attoseconds) / 1e18
    }
}
