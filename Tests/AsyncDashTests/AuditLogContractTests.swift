import AsyncDash
import AsyncDashSQLite
import Foundation
import Testing

/// The ``AuditLog`` contract, on every store that keeps one.
@Suite("Audit log contract")
struct AuditLogContractTests {
    func log(_ backend: Backend) async throws -> any AuditLog {
        try #require(try await backend.makeStores().coordination as? any AuditLog)
    }

    @Test("entries come back per task, newest first, up to the limit, with every field", arguments: Backend.allCases)
    func roundTrip(_ backend: Backend) async throws {
        let log = try await log(backend)
        let base = Date(timeIntervalSince1970: 1_700_000_000.25)
        for index in 0..<5 {
            try await log.append(AuditEntry(taskName: index % 2 == 0 ? "a" : "b", action: "cancel\(index)", actor: "ops <x>",
                                            at: base.addingTimeInterval(Double(index)), outcome: "done \(index)"))
        }
        let a = try await log.entries(forTask: "a", limit: 10)
        #expect(a.map(\.action) == ["cancel4", "cancel2", "cancel0"])
        #expect(a.first == AuditEntry(taskName: "a", action: "cancel4", actor: "ops <x>", at: base.addingTimeInterval(4), outcome: "done 4"))
        #expect(try await log.entries(forTask: "a", limit: 2).map(\.action) == ["cancel4", "cancel2"])
        #expect(try await log.entries(forTask: "zzz", limit: 10).isEmpty)
    }

    @Test("100 concurrent appends are all kept", arguments: Backend.allCases)
    func concurrent(_ backend: Backend) async throws {
        let log = try await log(backend)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<100 {
                group.addTask { try await log.append(AuditEntry(taskName: "t", action: "a\(index)", actor: "x", at: Date(), outcome: "ok")) }
            }
            try await group.waitForAll()
        }
        #expect(Set(try await log.entries(forTask: "t", limit: 1_000).map(\.action)).count == 100)
    }
}
