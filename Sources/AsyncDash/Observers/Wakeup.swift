import Foundation
import Synchronization

/// Wakes waiters at once, or lets them go after a timeout: how a dispatcher learns that this
/// process just wrote to the outbox without polling fast.
public final class Wakeup: Sendable {
    private let waiters = Mutex<[UUID: CheckedContinuation<Void, Never>]>([:])

    public init() {}

    /// Wakes everyone waiting now.
    public func signal() {
        let all = waiters.withLock { waiters -> [CheckedContinuation<Void, Never>] in
            defer { waiters.removeAll() }
            return Array(waiters.values)
        }
        for waiter in all { waiter.resume() }
    }

    /// Suspends until ``signal()``, `timeout`, or the task's cancellation, whichever comes first.
    public func wait(timeout: Duration) async {
        let id = UUID()
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let cancelled = waiters.withLock { waiters -> Bool in
                    if Task.isCancelled { return true }
                    waiters[id] = continuation
                    return false
                }
                if cancelled {
                    continuation.resume()
                    return
                }
                Task {
                    try? await Task.sleep(for: timeout)
                    self.waiters.withLock { $0.removeValue(forKey: id) }?.resume()
                }
            }
        } onCancel: {
            waiters.withLock { $0.removeValue(forKey: id) }?.resume()
        }
    }
}
