import AsyncDash
import AsyncDashSQLite
import Foundation
import Testing

/// `asyncdash bench webhooks`: a real receiver child process gets every event once, and the
/// outbox is left with nothing pending.
@Suite("asyncdash bench webhooks")
struct BenchWebhooksTests {
    @Test func everyEventReachesTheReceiverOnce() async throws {
        try await withHarness { cli in
            try cli.copyShippedConfig()
            let store = cli.sqliteURL("hooks.sqlite")
            let result = try await cli.run(["bench", "webhooks", "--store", store, "-n", "300", "--tasks", "7", "--concurrency", "3"])
            #expect(result.exitCode == 0, "\(result)")
            #expect(result.stdout.contains("receiver: 300 requests, 300 distinct event ids"), "\(result)")
            let last = result.stdout.split(separator: "\n").last.map(String.init) ?? ""
            #expect(last.wholeMatch(of: /webhooks_per_s=\d+ n=300 tasks=7 concurrency=3/) != nil, "\(last)")
            let stores = try await StoreSet.sqlite(path: String(store.dropFirst("sqlite://".count)))
            let entries = try await stores.outbox.entries(consumer: nil, states: [], limit: 1_000)
            #expect(entries.count == 300 && entries.allSatisfy { $0.state == .delivered }, "\(entries.count) entries")
        }
    }

    @Test func aConcurrencyOutOfRangeIsAUsageError() async throws {
        try await withHarness { cli in
            try cli.copyShippedConfig()
            let result = try await cli.run(["bench", "webhooks", "--concurrency", "65"])
            #expect(result.exitCode == 2, "\(result)")
            #expect(result.stderr.contains("--concurrency must be from 1 to 64, not 65"), "\(result)")
        }
    }
}
