import AsyncDash
import Foundation
import Synchronization
import Testing

@Suite("Change broadcaster")
struct ChangeBroadcasterTests {
    /// ``ChangeFeed``'s documentation example, as printed.
    @Test func theChangeFeedExampleRunsAsPrinted() async throws {
        let stores = StoreSet.memory()
        let changes = try await stores.changes.subscribe()
        try await stores.coordination.addActiveTask("import-42")
        let notice = await changes.next(timeout: .seconds(1))   // .changed(["import-42"])
        #expect(notice == .changed(["import-42"]))
    }

    @Test func pendingNamesAreCoalescedAndPastTheBoundBecomeOneResync() async {
        let broadcaster = ChangeBroadcaster(maximumPending: 3)
        let changes = broadcaster.subscribe()
        broadcaster.publish(["a", "b"])
        broadcaster.publish("a")
        #expect(await changes.next(timeout: .seconds(1)) == .changed(["a", "b"]))
        for name in ["a", "b", "c", "d"] { broadcaster.publish(name) }
        #expect(await changes.next(timeout: .seconds(1)) == .resync)
        broadcaster.publish("e")
        #expect(await changes.next(timeout: .seconds(1)) == .changed(["e"]))
        #expect(await changes.next(timeout: .milliseconds(50)) == nil)
    }

    @Test func aWaitingReaderIsWokenAndACancelledOneReturnsNil() async {
        let broadcaster = ChangeBroadcaster()
        let changes = broadcaster.subscribe()
        async let woken = changes.next(timeout: .seconds(30))
        try? await Task.sleep(for: .milliseconds(20))
        broadcaster.publish("t")
        #expect(await woken == .changed(["t"]))

        let waiting = Task { await changes.next(timeout: .seconds(30)) }
        try? await Task.sleep(for: .milliseconds(20))
        waiting.cancel()
        #expect(await waiting.value == nil)
    }

    @Test func theDriverHearsWhenTheFirstListenerArrivesAndTheLastLeaves() async {
        let calls = Mutex<[Bool]>([])
        let broadcaster = ChangeBroadcaster { _, listening in calls.withLock { $0.append(listening) } }
        var first: ChangeSubscription? = broadcaster.subscribe()
        var second: ChangeSubscription? = broadcaster.subscribe()
        #expect(calls.withLock { $0 } == [true])
        #expect(broadcaster.subscriberCount == 2)
        first = nil
        #expect(calls.withLock { $0 } == [true])
        second = nil
        #expect(calls.withLock { $0 } == [true, false])
        #expect(broadcaster.subscriberCount == 0)
        _ = (first, second)
    }

    @Test func iteratingEndsWhenTheTaskIsCancelled() async {
        let broadcaster = ChangeBroadcaster()
        let changes = broadcaster.subscribe()
        let reader = Task {
            var seen: [ChangeNotice] = []
            for await notice in changes { seen.append(notice) }
            return seen
        }
        broadcaster.publish("x")
        try? await Task.sleep(for: .milliseconds(50))
        reader.cancel()
        #expect(await reader.value == [.changed(["x"])])
    }
}
