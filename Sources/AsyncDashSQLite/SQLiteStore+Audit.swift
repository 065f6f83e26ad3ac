import AsyncDash
import Foundation
import GRDB

/// The ``AuditLog`` of a SQLite store: table `asyncdash_audit`, indexed by task.
extension SQLiteStore: AuditLog {
    public func append(_ entry: AuditEntry) async throws {
        try await write(savepoint: false) { db in
            try db.execute(
                sql: "INSERT INTO \(SQLiteSchema.audit) (task_name, action, actor, at, outcome) VALUES (?, ?, ?, ?, ?)",
                arguments: [entry.taskName, entry.action, entry.actor, entry.at.timeIntervalSince1970, entry.outcome])
        }
    }

    public func entries(forTask taskName: String, limit: Int) async throws -> [AuditEntry] {
        try await read { db in
            try Row.fetchAll(
                db, sql: "SELECT task_name, action, actor, at, outcome FROM \(SQLiteSchema.audit) WHERE task_name = ? ORDER BY id DESC LIMIT ?",
                arguments: [taskName, max(0, limit)]
            ).map { row in
                AuditEntry(taskName: row[0], action: row[1], actor: row[2], at: Date(timeIntervalSince1970: row[3]), outcome: row[4])
            }
        }
    }
}
