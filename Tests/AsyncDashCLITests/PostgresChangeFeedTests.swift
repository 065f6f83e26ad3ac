import AsyncDash
import AsyncDashPostgres
import Foundation
import Sample
import Synchronization
import Testing

/// Issue 11, item 2: a dashboard process hears of a change another process made, through
/// `LISTEN/NOTIFY`, without polling the table. The time from the writer's commit to the browser's
/// stream is measured and reported (not asserted: the machine is shared).
@Suite(
    "PostgreSQL change feed across processes", .serialized,
    .enabled("skipped: no PostgreSQL (start one with .ci/postgres start, or set ASYNCDASH_TEST_POSTGRES_URL)") { await CLIPostgres.probe.value },
    .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/curl"), "needs curl"))
struct PostgresChangeFeedTests {
    @Test func aDashboardProcessHearsAnotherProcessesChange() async throws {
        try await withHarness { cli in
            let schema = "feed_" + UUID().uuidString.prefix(8).lowercased()
            try cli.writeConfig(CLIPostgres.config(schema: schema))
            let serve = try cli.start(["serve", "--bind", "127.0.0.1:0"], deadline: .seconds(120))
            #expect(await serve.waitForOutput("dashboard: http://"), "\(serve.description)")
            let base = try #require(BrowserTests.dashboardURL(in: serve.stdout))
            let curl = Process()
            curl.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
            curl.arguments = ["-s", "-N", "--max-time", "100", base + "-/stream"]
            let pipe = Pipe()
            curl.standardOutput = pipe
            let received = Mutex<[(ContinuousClock.Instant, String)]>([])
            pipe.fileHandleForReading.readabilityHandler = { handle in
                let chunk = String(decoding: handle.availableData, as: UTF8.self)
                let now = ContinuousClock.now
                received.withLock { $0.append((now, chunk)) }
            }
            try curl.run()
            defer {
                kill(curl.processIdentifier, SIGKILL)
                curl.waitUntilExit()
                pipe.fileHandleForReading.readabilityHandler = nil
            }
            func output() -> String { received.withLock { $0.map(\.1).joined() } }
            /// When `text` first arrived on the stream.
            func arrival(of text: String, timeout: Duration = .seconds(30)) async -> ContinuousClock.Instant? {
                let deadline = ContinuousClock.now + timeout
                while ContinuousClock.now < deadline {
                    let chunks = received.withLock { $0 }
                    var seen = ""
                    for (at, chunk) in chunks {
                        seen += chunk
                        if seen.contains(text) { return at }
                    }
                    try? await Task.sleep(for: .milliseconds(5))
                }
                return nil
            }
            #expect(await arrival(of: "retry: 2000") != nil, "\(output())")
            // `asyncdash emit` in another process writes a record and exits; its commit lies between
            // the start of the process and its exit, so the delay is at most (arrival − start) and
            // at least (arrival − exit).
            var delays: [(low: Duration, high: Duration)] = []
            for round in 1...5 {
                let task = "feed-\(round)"
                let started = ContinuousClock.now
                let emit = try await cli.run(["emit", "create", "--task", task])
                let exited = ContinuousClock.now
                #expect(emit.exitCode == 0, "\(emit)")
                guard let arrived = await arrival(of: task) else {
                    Issue.record("the stream never named \(task): \(output())\n\(serve.description)")
                    continue
                }
                delays.append((max(.zero, arrived - exited), arrived - started))
            }
            // A writer whose commit time is known closely: this test process writes the record
            // itself (another process than the dashboard), so the commit lies within the write call.
            let writer = try PostgresStore(url: CLIPostgres.url + "&schema=\(schema)")
            var direct: [(low: Duration, high: Duration)] = []
            for round in 1...10 {
                let task = "direct-\(round)"
                var change = RecordChange()
                // The list's stream names the newest record (by `updated_at`) and the counts.
                change.always = [.init("status", .text("pending")), .init("updated_at", .timestamp(Date()))]
                let started = ContinuousClock.now
                try await writer.apply(AsyncTaskRecord.model, key: task, change)
                let committed = ContinuousClock.now
                guard let arrived = await arrival(of: task) else {
                    Issue.record("the stream never named \(task): \(output())")
                    continue
                }
                direct.append((max(.zero, arrived - committed), arrived - started))
                // A stream re-reads at most every 250 ms (the dashboard's stream interval): pause
                // longer, so each round measures the feed, not that limit.
                try await Task.sleep(for: .milliseconds(400))
            }
            func shown(_ delays: [(low: Duration, high: Duration)]) -> String {
                delays.map { "\(Self.milliseconds($0.low))–\(Self.milliseconds($0.high))" }.joined(separator: ", ")
            }
            print("change feed on PostgreSQL, commit to browser stream, ms (bounds): `asyncdash emit` processes \(shown(delays)); direct writes \(shown(direct))")
            #expect(await serve.terminate() == 0, "\(serve.description)")
        }
    }

    static func milliseconds(_ duration: Duration) -> Int {
        Int(duration.components.seconds * 1_000 + duration.components.attoseconds / 1_000_000_000_000_000)
    }
}
