import AsyncDash
import AsyncDashTesting
import Foundation
import Testing

/// "Implementing a store": `StoreSet.mydb(url:clock:)` stands for the article's new driver (here
/// the memory driver), so the article's test body runs exactly as printed.
extension StoreSet {
    fileprivate static func mydb(url: String, clock: any AsyncDashClock) throws -> StoreSet {
        precondition(url.hasPrefix("mydb://"))
        return .memory(clock: clock)
    }
}

@Suite("Documentation examples: the contract kit")
struct ContractKitArticleTests {
    @Test func myStoreKeepsEveryContract() async throws {
        let contract = StoreContract(driver: "mydb") { clock in
            try StoreSet.mydb(url: "mydb://127.0.0.1/asyncdash_test_\(UUID().uuidString.prefix(8))", clock: clock)
        }
        let report = await contract.run()
        #expect(report.failures.isEmpty, "\(report)")
    }

    /// "Feeding the change feed", as printed.
    @Test func aStoreTellsItsBroadcasterWhatChanged() async throws {
        let clock = ManualClock()
        let changes = ChangeBroadcaster()
        let coordination = MemoryCoordinationStore(clock: clock, changes: changes)
        let subscription = try await changes.subscribe()
        try await coordination.addActiveTask("import-42")
        let notice = await subscription.next(timeout: .seconds(1))   // .changed(["import-42"])
        #expect(notice == .changed(["import-42"]))
    }
}
