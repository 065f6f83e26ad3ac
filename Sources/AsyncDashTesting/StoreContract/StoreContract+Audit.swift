import AsyncDash
import Foundation

extension StoreContract {
    static var auditChecks: [Check] {
        [
            Check(role: "audit log", name: "entries come back per task, newest first, up to the limit, with every field") { stores, clock, expect in
                let log = stores.audit
                for (index, action) in ["cancel", "retry", "cleanup"].enumerated() {
                    try await log.append(AuditEntry(taskName: "t1", action: action, actor: "ops", at: clock.now().addingTimeInterval(Double(index)),
                                                    outcome: "done \(index)"))
                }
                try await log.append(AuditEntry(taskName: "t2", action: "cancel", actor: "local", at: clock.now(), outcome: "x"))
                let entries = try await log.entries(forTask: "t1", limit: 2)
                expect.equal(entries.map(\.action), ["cleanup", "retry"], "newest first, limit 2")
                expect.equal(entries.first, AuditEntry(taskName: "t1", action: "cleanup", actor: "ops", at: clock.now().addingTimeInterval(2), outcome: "done 2"),
                             "every field")
                expect.equal(try await log.entries(forTask: "t3", limit: 5), [], "a task without entries")
            },
            Check(role: "audit log", name: "concurrent appends are all kept") { stores, clock, expect in
                let log = stores.audit
                let now = clock.now()
                await withThrowingTaskGroup(of: Void.self) { group in
                    for index in 0..<50 {
                        group.addTask { try await log.append(AuditEntry(taskName: "t", action: "a\(index)", actor: "x", at: now, outcome: "ok")) }
                    }
                    while let result = await group.nextResult() {
                        if case .failure(let error) = result { expect.fail("an append threw \(error)") }
                    }
                }
                expect.equal(Set(try await log.entries(forTask: "t", limit: 100).map(\.action)).count, 50, "entries kept")
            },
        ]
    }
}
