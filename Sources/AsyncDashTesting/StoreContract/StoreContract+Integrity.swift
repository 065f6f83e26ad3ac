import AsyncDash
import Foundation

extension StoreContract {
    /// The integrity role is optional (a store with nothing to damage has none); a store that
    /// offers it must find its own freshly written state sound.
    static var integrityChecks: [Check] {
        [
            Check(role: "integrity", name: "a store that offers the integrity check finds no damage in what it wrote") { stores, clock, expect in
                guard let integrity = stores.integrity else { return }
                try await stores.records.prepare(contractModel)
                for index in 0..<200 {
                    try await stores.records.upsert(contractModel, key: "t\(index)") { record, _ in record["count"] = .integer(index) }
                }
                _ = try await stores.coordination.reserveLocks(["book:1", "book:2"], owner: "t1", ttl: .seconds(60))
                try await stores.audit.append(AuditEntry(taskName: "t1", action: "cancel", actor: "ops", at: clock.now(), outcome: "ok"))
                for thorough in [false, true] {
                    expect.equal(try await integrity.integrityProblems(limit: 10, thorough: thorough), [], "problems found in a sound store (thorough: \(thorough))")
                }
            },
        ]
    }
}
