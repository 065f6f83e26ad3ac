@testable import AsyncDashPostgres
import AsyncDash
import Foundation
import Testing

/// The PostgreSQL server the tests use: `ASYNCDASH_TEST_POSTGRES_URL`, else the throw-away
/// server `.ci/postgres start` runs (role `asyncdash`, database `asyncdash_test`, trust from
/// 127.0.0.1). Without a reachable server the tests are skipped with "skipped: no PostgreSQL" —
/// unless `ASYNCDASH_TEST_POSTGRES_REQUIRED=1` (set by `.ci/run`), when they run and fail.
enum TestPostgres {
    static let url = ProcessInfo.processInfo.environment["ASYNCDASH_TEST_POSTGRES_URL"]
        ?? "postgres://asyncdash@127.0.0.1:5432/asyncdash_test?sslmode=disable"

    static let required = ProcessInfo.processInfo.environment["ASYNCDASH_TEST_POSTGRES_REQUIRED"] == "1"

    /// Whether the tests run: the server answers, or it is required.
    static func enabled() async -> Bool {
        if required { return true }
        return await probe.value
    }

    private static let probe = Task<Bool, Never> {
        guard let store = try? PostgresStore(url: url + "&connect_timeout_ms=2000") else { return false }
        do {
            try await store.checkConnection()
            return true
        } catch {
            return false
        }
    }

    /// `url` with its own schema (a fresh, empty store each time) and `extra` options.
    static func url(schema: String, _ extra: String = "") -> String {
        url + "&schema=\(schema)" + extra
    }

    /// A schema name no other test uses.
    static func freshSchema(_ prefix: String = "t") -> String {
        "\(prefix)_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16).lowercased()
    }

    /// Drops `schemas` and everything in them.
    static func drop(_ schemas: [String]) async {
        guard !schemas.isEmpty, let store = try? PostgresStore(url: url) else { return }
        for schema in schemas {
            _ = try? await store.run("dropping a test schema", "DROP SCHEMA IF EXISTS \(PostgresNames.quote(schema)) CASCADE")
        }
    }
}

/// The condition of every PostgreSQL suite.
let needsPostgres = ConditionTrait.enabled("skipped: no PostgreSQL (start one with .ci/postgres start, or set ASYNCDASH_TEST_POSTGRES_URL)") {
    await TestPostgres.enabled()
}
