import AsyncDash
import AsyncDashPostgres
import AsyncDashTesting
import Foundation
import Testing

/// Issue 11, item 3: AsyncDash behind PgBouncer. In session mode every role works (the public
/// contract kit, a worker process draining the queue, the change feed that `doctor` checks); in
/// transaction mode `LISTEN` has no connection of its own, so the change feed hears nothing, and
/// `doctor` says so and what to use instead. Each test runs a PgBouncer of its own with
/// `.ci/pgbouncer`, in front of the test server.
@Suite(
    "PostgreSQL behind PgBouncer", .serialized,
    .enabled("skipped: no PostgreSQL (start one with .ci/postgres start, or set ASYNCDASH_TEST_POSTGRES_URL)") { await CLIPostgres.probe.value },
    .enabled(
        if: PgBouncer.installed || ProcessInfo.processInfo.environment["ASYNCDASH_TEST_POSTGRES_REQUIRED"] == "1",
        "skipped: pgbouncer is not installed (apt-get install -y pgbouncer)"))
struct PgBouncerTests {
    @Test func sessionModeKeepsTheContractAndRunsWorkersAndTheChangeFeed() async throws {
        try await PgBouncer.with(mode: "session", port: 6441) { url in
            // The contract kit, unchanged, through PgBouncer.
            // (Its schemas stay in the throw-away test server, like the other command-line tests'.)
            let contract = StoreContract(driver: "postgres via PgBouncer") { clock in
                try StoreSet.postgres(url: url + "&schema=pgb_" + UUID().uuidString.prefix(8).lowercased(), clock: clock)
            }
            let report = await contract.run()
            #expect(report.failures.isEmpty, "\(report)")
            #expect(report.results.count == StoreContract.checkNames.count, "\(report)")

            try await withHarness { cli in
                try cli.copyShippedConfig()
                let env = ["ASYNCDASH_STORE": url + "&schema=pgb_cli_" + UUID().uuidString.prefix(8).lowercased(), "ASYNCDASH_LEASE_TTL": "5"]
                #expect(try await cli.run(["migrate"], environment: env).exitCode == 0)
                let doctor = try await cli.run(["doctor"], environment: env)
                #expect(doctor.exitCode == 0, "\(doctor)")
                #expect(doctor.stdout.contains("change feed: ok — a change was heard after"), "\(doctor)")

                let names = Set((0..<40).map { "pgb-\($0)" })
                let launch = try await cli.run(
                    ["launch", "sample.tasks.update_items", "--args", #"{"count":2,"delay_ms":10}"#, "--name", "pgb", "--count", "40"],
                    environment: env, timeout: .seconds(120))
                #expect(launch.exitCode == 0, "\(launch)")
                let worker = try cli.start(["worker", "--concurrency", "8"], environment: env, deadline: .seconds(240))
                let records = try await cli.waitForRecords(env, timeout: .seconds(180), interval: .seconds(1)) { records in
                    names.allSatisfy { records[$0]?["status"]?.stringValue == "success" }
                }
                #expect(await worker.terminate() == 0, "\(worker.description)")
                #expect(names.allSatisfy { records[$0]?["status"]?.stringValue == "success" }, "\(records)")
                let locks = try await cli.run(["locks", "list"], environment: env)
                #expect(locks.stdout.contains("no locks held"), "\(locks)")
            }
        }
    }

    @Test func transactionModeBreaksTheChangeFeedAndDoctorSaysSo() async throws {
        try await PgBouncer.with(mode: "transaction", port: 6442) { url in
            try await withHarness { cli in
                try cli.copyShippedConfig()
                let env = ["ASYNCDASH_STORE": url + "&schema=pgb_tx_" + UUID().uuidString.prefix(8).lowercased()]
                // Reads and writes go through (each statement or transaction on some server
                // connection) …
                #expect(try await cli.run(["migrate"], environment: env).exitCode == 0)
                let emit = try await cli.run(["emit", "create", "--task", "through-a-pooler"], environment: env)
                #expect(emit.exitCode == 0, "\(emit)")
                // … but the LISTEN connection's server session is handed to other clients, so the
                // change feed hears nothing: doctor fails that role and names the fix.
                let doctor = try await cli.run(["doctor"], environment: env, timeout: .seconds(60))
                #expect(doctor.exitCode == 1, "\(doctor)")
                #expect(doctor.stdout.contains("change feed: FAILED — a change made through the store (a probe lock) was not heard"), "\(doctor)")
                #expect(doctor.stdout.contains("use pool_mode = session"), "\(doctor)")
                #expect(doctor.stdout.contains("records: ok") && doctor.stdout.contains("coordination: ok"), "\(doctor)")
            }
        }
    }
}

/// A PgBouncer of a test's own (`.ci/pgbouncer`).
enum PgBouncer {
    static var installed: Bool {
        ["/usr/sbin/pgbouncer", "/usr/bin/pgbouncer"].contains { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Runs `body` with the URL of a PgBouncer in `mode` on `port` (in front of the test server),
    /// stopping it afterwards.
    static func with(mode: String, port: Int, _ body: (String) async throws -> Void) async throws {
        let environment = ["ASYNCDASH_PGBOUNCER_MODE": mode, "ASYNCDASH_PGBOUNCER_PORT": "\(port)"]
        let (started, output) = try await CIScript.run("pgbouncer", "start", environment: environment)
        try #require(started == 0, "pgbouncer did not start: \(output)")
        do {
            try await body("postgres://asyncdash@127.0.0.1:\(port)/asyncdash_test?sslmode=disable")
        } catch {
            _ = try? await CIScript.run("pgbouncer", "stop", environment: environment)
            throw error
        }
        _ = try await CIScript.run("pgbouncer", "stop", environment: environment)
    }
}
