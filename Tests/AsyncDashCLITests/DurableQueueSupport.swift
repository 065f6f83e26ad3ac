import AsyncDash
import Foundation
import Testing

/// Helpers for the tests of `launch`, `worker` and `cancel` on a durable SQLite queue.
extension CLIHarness {
    /// The environment of a queue test: the shipped config on SQLite file `name`, with a short
    /// `LEASE_TTL` so lost workers are noticed within seconds.
    func queueEnvironment(_ name: String, leaseTTL: Int = 2) -> [String: String] {
        ["ASYNCDASH_STORE": sqliteURL(name), "ASYNCDASH_LEASE_TTL": "\(leaseTTL)"]
    }

    /// Every record (`list --json`), keyed by task name.
    func records(_ environment: [String: String]) async throws -> [String: JSONValue] {
        let list = try await run(["list", "--json", "--limit", "10000"], environment: environment, timeout: .seconds(30))
        #expect(list.exitCode == 0, "\(list)")
        var records: [String: JSONValue] = [:]
        for record in try list.json().arrayValue ?? [] {
            if let name = record["task_name"]?.stringValue { records[name] = record }
        }
        return records
    }

    /// Polls the records (every `interval`, at most `timeout`) until `done` holds for them;
    /// returns the last records read.
    func waitForRecords(
        _ environment: [String: String], timeout: Duration, interval: Duration = .milliseconds(500),
        until done: ([String: JSONValue]) -> Bool
    ) async throws -> [String: JSONValue] {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        var records = try await records(environment)
        while !done(records) && ContinuousClock.now < deadline {
            try await Task.sleep(for: interval)
            records = try await self.records(environment)
        }
        return records
    }
}

/// Statuses a task never leaves.
let terminalStatuses: Set<String> = ["success", "failed", "cancelled"]

extension JSONValue {
    /// The record's `status`.
    var status: String? { self["status"]?.stringValue }
}
