import AsyncDash
import Foundation
import GRDB

extension SQLiteStore {
    /// How many rows one retention statement deletes, so no write transaction holds the file for
    /// long (other writers wait behind it).
    static let pruneBatch = 5_000

    public func prune(_ limit: RetentionLimit) async throws -> Int {
        try await prune(table: SQLiteSchema.audit, time: "at", where: "1", limit)
    }

    public func pruneDeadLetters(_ limit: RetentionLimit) async throws -> Int {
        try await prune(table: SQLiteSchema.deadLetters, time: "at", where: "1", limit)
    }

    public func pruneFinishedJobs(_ limit: RetentionLimit) async throws -> Int {
        try await prune(table: SQLiteSchema.jobs, time: "finished_at", where: "finished_at IS NOT NULL", limit)
    }

    /// Deletes the rows of `table` matching `condition` whose `time` (seconds since 1970) is
    /// before `limit.before`, then all but the newest `limit.keepNewest` of them (by time, then
    /// rowid), in batches of ``pruneBatch``; returns how many.
    func prune(table: String, time: String, where condition: String, _ limit: RetentionLimit) async throws -> Int {
        var deleted = 0
        func batches(_ match: String, _ arguments: StatementArguments) async throws {
            let sql = "DELETE FROM \(table) WHERE rowid IN (SELECT rowid FROM \(table) WHERE \(condition) AND \(match) LIMIT \(Self.pruneBatch))"
            while true {
                let changes = try await write(savepoint: false) { db in
                    try db.execute(sql: sql, arguments: arguments)
                    return db.changesCount
                }
                deleted += changes
                if changes < Self.pruneBatch { return }
            }
        }
        if let cutoff = limit.before {
            try await batches("\(time) < ?", [cutoff.timeIntervalSince1970])
        }
        if let keep = limit.keepNewest {
            // The newest row past the ones kept: it and everything older goes.
            let pivot: (Double, Int64)? = try await read { db in
                try Row.fetchOne(
                    db, sql: "SELECT \(time), rowid FROM \(table) WHERE \(condition) ORDER BY \(time) DESC, rowid DESC LIMIT 1 OFFSET ?",
                    arguments: [keep]
                ).map { ($0[0], $0[1]) }
            }
            if let (at, rowid) = pivot {
                try await batches("(\(time) < ? OR (\(time) = ? AND rowid <= ?))", [at, at, rowid])
            }
        }
        return deleted
    }
}
