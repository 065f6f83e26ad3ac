import AsyncDash
import AsyncDashSQLite
import AsyncDashTesting
import Foundation
import Testing

/// The public contract kit (`StoreContract` in AsyncDashTesting) on the drivers of this package,
/// one test case per check — and on a deliberately broken driver, which it must catch.
@Suite("Store contract kit")
struct StoreContractKitTests {
    static let drivers: [String: StoreContract] = [
        "memory": StoreContract(driver: "memory") { clock in StoreSet.memory(clock: clock) },
        "sqlite": StoreContract(driver: "sqlite") { clock in
            try await StoreSet.sqlite(path: TestFiles.runDirectory.appendingPathComponent(UUID().uuidString).appendingPathComponent("kit.sqlite").path, clock: clock)
        },
    ]

    @Test("every check passes on memory and SQLite", arguments: ["memory", "sqlite"], StoreContract.checkNames)
    func check(driver: String, check: String) async throws {
        let contract = try #require(Self.drivers[driver])
        let report = await contract.run(check: check)
        #expect(report.results.count == 1)
        #expect(report.failures.isEmpty, "\(report)")
    }

    @Test func theKitCoversEveryRole() {
        let report = StoreContract.checkNames
        #expect(report.count >= 20)
    }

    @Test func onlyTheMemoryDriversQueueDiesWithTheProcess() async throws {
        #expect(StoreSet.memory().queue.isPersistent == false)
        #expect(try await StoreSet.sqlite(path: durableTestPath()).queue.isPersistent)
    }

    /// Locks that check, then take: two reservations of the same keys can both win.
    struct NonAtomicLocks: CoordinationStore {
        let base: MemoryCoordinationStore
        func reserveLocks(_ keys: [String], owner: String, ttl: Duration) async throws -> LockReservation {
            let held = try await base.lockOwners(keys).filter { $0.value != owner }
            guard held.isEmpty else { return .conflict(held) }
            await Task.yield()
            try await Task.sleep(for: .milliseconds(1))  // the window another reservation slips through
            for key in keys {
                // Take each key even if someone took it meanwhile: the bug under test.
                let current = try await base.lockOwners([key])[key]
                if let current, current != owner { _ = try await base.releaseLocks(owner: current) }
                _ = try await base.reserveLocks([key], owner: owner, ttl: ttl)
            }
            return .reserved
        }
        func lockOwners(_ keys: [String]) async throws -> [String: String] { try await base.lockOwners(keys) }
        func releaseLocks(owner: String) async throws -> [String] { try await base.releaseLocks(owner: owner) }
        func locks() async throws -> [LockInfo] { try await base.locks() }
        func setProgress(_ progress: ProgressPayload, for task: String, ttl: Duration) async throws { try await base.setProgress(progress, for: task, ttl: ttl) }
        func progress(for task: String) async throws -> ProgressPayload? { try await base.progress(for: task) }
        func deleteProgress(for task: String) async throws -> Bool { try await base.deleteProgress(for: task) }
        func addActiveTask(_ task: String) async throws { try await base.addActiveTask(task) }
        func removeActiveTask(_ task: String) async throws -> Bool { try await base.removeActiveTask(task) }
        func activeTasks() async throws -> [String] { try await base.activeTasks() }
        func isActiveTask(_ task: String) async throws -> Bool { try await base.isActiveTask(task) }
        func deadLetter(_ letter: DeadLetter) async throws { try await base.deadLetter(letter) }
        func deadLetters() async throws -> [DeadLetter] { try await base.deadLetters() }
        func pruneDeadLetters(_ limit: RetentionLimit) async throws -> Int { try await base.pruneDeadLetters(limit) }
    }

    @Test func aDriverWithNonAtomicLocksFailsTheKit() async throws {
        let broken = StoreContract(driver: "broken") { clock in
            let changes = ChangeBroadcaster()
            let base = MemoryCoordinationStore(clock: clock, changes: changes)
            let outbox = MemoryOutboxStore(clock: clock)
            return StoreSet(
                records: MemoryRecordStore(outbox: outbox, changes: changes), coordination: NonAtomicLocks(base: base),
                queue: MemoryQueueStore(clock: clock, locks: base),  // heartbeats renew the same locks
                audit: base, outbox: outbox, changes: changes)
        }
        let report = await broken.run()
        let failed = report.failures.map(\.check)
        #expect(failed == ["of two racing reservations of overlapping keys exactly one wins"], "\(report)")
        #expect(report.description.contains("✘ coordination: of two racing reservations"), "\(report)")
    }
}
