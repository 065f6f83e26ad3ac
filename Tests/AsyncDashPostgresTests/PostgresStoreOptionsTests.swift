@testable import AsyncDashPostgres
import AsyncDash
import Foundation
import Testing

/// Reading `postgres://` URLs (no server needed): defaults, every option, and each mistake named
/// with what would be valid.
@Suite("PostgreSQL store URLs")
struct PostgresStoreOptionsTests {
    @Test func defaultsAndEveryOption() throws {
        let plain = try PostgresStoreOptions(url: "postgres://db.internal/app", environment: [:])
        #expect(plain.user == "postgres" && plain.host == "db.internal" && plain.port == 5432 && plain.database == "app")
        #expect(plain.sslMode == .prefer && plain.schema == "public" && plain.poolSize == 10 && plain.writeBatches == 2)
        #expect(plain.password(environment: ["PGPASSWORD": "from-pg"]) == "from-pg")

        let full = try PostgresStoreOptions(
            url: "postgresql://app%20user@[::1]:6543/?sslmode=verify-full&sslrootcert=/etc/ca.pem&password_env=APP_PW&schema=dash_1"
                + "&pool_size=3&write_batches=5&connect_timeout_ms=500&read_timeout_ms=2000&retry_ms=0",
            environment: ["APP_PW": "s3cret", "PGPASSWORD": "not-this-one"])
        #expect(full.user == "app user" && full.host == "::1" && full.port == 6543 && full.database == "app user")
        #expect(full.sslMode == .verifyFull && full.sslRootCertificate == "/etc/ca.pem" && full.schema == "dash_1")
        #expect(full.poolSize == 3 && full.writeBatches == 5 && full.connectTimeout == .milliseconds(500) && full.readTimeLimit == .seconds(2) && full.retryLimit == .zero)
        #expect(full.password(environment: ["APP_PW": "s3cret", "PGPASSWORD": "not-this-one"]) == "s3cret")
        #expect(try PostgresStoreOptions(url: "postgres://u@h/d", environment: ["PGUSER": "ignored"]).user == "u")
        #expect(try PostgresStoreOptions(url: "postgres://h/d", environment: ["PGUSER": "from-env"]).user == "from-env")
    }

    @Test(arguments: [
        ("mysql://h/d", "expected postgres://USER@HOST:PORT/DATABASE"),
        ("postgres://u:hunter2@h/d", "a password is written in the URL"),
        ("postgres://u@h/d?password=hunter2", "a password is written in the URL"),
        ("postgres://u@h:99999/d", "the port '99999' is not a number from 1 to 65535"),
        ("postgres://u@h/d?sslmode=maybe", "expected one of disable, prefer, require, verify-ca, verify-full"),
        ("postgres://u@h/d?pool_size=0", "from 1 to 500"),
        ("postgres://u@h/d?write_batches=65", "from 1 to 64"),
        ("postgres://u@h/d?schema=1bad", "not starting with a digit"),
        ("postgres://u@h/d?schema=a%22b", "ASCII letters, digits and _"),
        ("postgres://u@h/d?password_env=NOPE_NOT_SET", "the environment variable NOPE_NOT_SET is not set"),
        ("postgres://u@h/d?colour=blue", "unknown option 'colour'"),
        ("postgres://u@h/a/b", "contains '/'"),
    ])
    func mistakesAreNamed(_ url: String, _ message: String) {
        #expect {
            _ = try PostgresStoreOptions(url: url, environment: [:])
        } throws: { error in
            let text = "\(error)"
            return (error as? PostgresStoreError)?.isConfigurationProblem == true && text.contains(message) && !text.contains("hunter2")
        }
    }
}

/// A long read that runs past `read_timeout_ms` is stopped by the server and reported as a busy
/// store (the dashboard answers 503), not as a failure.
@Suite("PostgreSQL long reads", needsPostgres)
struct PostgresLongReadTests {
    @Test func aReadPastTheTimeLimitIsAStoreBusyError() async throws {
        let schema = TestPostgres.freshSchema("slow")
        let store = try PostgresStore(url: TestPostgres.url(schema: schema, "&read_timeout_ms=100"))
        #expect(try await store.activeTasks() == [])  // connected, tables made
        // StoreBusyError comes only from the server cancelling the statement at the limit
        // (SQLSTATE 57014), never from the read finishing: that is the proof, not a stopwatch.
        await #expect(throws: StoreBusyError.self) {
            try await store.scan("a deliberately slow read") { connection in
                try await connection.run("SELECT pg_sleep(30)", logger: store.logger)
            }
        }
        // A cheap read right after still works.
        #expect(try await store.activeTasks() == [])
        await TestPostgres.drop([schema])
    }
}
