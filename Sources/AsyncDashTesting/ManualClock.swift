import AsyncDash
import Foundation
import Synchronization

/// A clock that moves only when told: test TTL expiry without sleeping.
///
/// ```swift
/// let clock = ManualClock()
/// let stores = StoreSet.memory(clock: clock)
/// clock.advance(by: .seconds(3601))
/// ```
public final class ManualClock: AsyncDashClock {
    private let current: Mutex<Date>

    public init(_ start: Date = Date(timeIntervalSince1970: 1_800_000_000)) {
        current = Mutex(start)
    }

    public func now() -> Date { current.withLock { $0 } }

    /// Moves the clock forward.
    public func advance(by duration: Duration) {
        current.withLock { $0 = $0.addingTimeInterval(duration.timeInterval) }
    }
}
