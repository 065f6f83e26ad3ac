import AsyncDash
import AsyncDashPostgres
import Foundation
import Testing

/// `sslmode` against a real server that takes TLS connections only (a cluster of the suite's
/// own, `ASYNCDASH_PG_TLS=1 .ci/postgres start` on port 5492, its certificate signed by a CA of
/// its own for the name localhost).
@Suite(
    "PostgreSQL TLS", .serialized,
    .enabled("skipped: no PostgreSQL (start one with .ci/postgres start, or set ASYNCDASH_TEST_POSTGRES_URL)") { await CLIPostgres.probe.value })
struct PostgresTLSTests {
    static let port = 5492
    static let folder = OwnPostgresCluster.folder(port: port)

    /// Runs `.ci/postgres ACTION` for this suite's TLS cluster; its exit status and output.
    static func cluster(_ action: String) async throws -> (Int32, String) {
        try await OwnPostgresCluster.run(action, port: port, tls: true)
    }

    static func url(host: String = "127.0.0.1", _ options: String) -> String {
        "postgres://asyncdash@\(host):\(port)/asyncdash_test?connect_timeout_ms=5000&\(options)"
    }

    /// The error of connecting with `url`, or `nil` when it connects.
    static func connecting(_ url: String) async throws -> PostgresStoreError? {
        let store = try PostgresStore(url: url)
        do {
            try await store.checkConnection()
            return nil
        } catch let error as PostgresStoreError {
            return error
        }
    }

    @Test func eachSSLModeConnectsOrSaysWhyInOneSentence() async throws {
        _ = try await Self.cluster("stop")  // a cluster a killed run left behind
        let (started, output) = try await Self.cluster("start")
        try #require(started == 0, "could not start a TLS cluster: \(output)")
        do {
            try await checkEachMode()
        } catch {
            _ = try? await Self.cluster("stop")
            throw error
        }
        _ = try await Self.cluster("stop")
    }

    private func checkEachMode() async throws {
        let ca = "\(Self.folder)/ca.pem"
        let other = "\(Self.folder)/other-ca.pem"

        // Encrypted, the certificate checked as far as each mode says.
        for options in ["sslmode=require", "sslmode=prefer", "sslmode=verify-ca&sslrootcert=\(ca)"] {
            let error = try await Self.connecting(Self.url(options))
            #expect(error == nil, "\(options): \(String(describing: error))")
        }
        let byName = try await Self.connecting(Self.url(host: "localhost", "sslmode=verify-full&sslrootcert=\(ca)"))
        #expect(byName == nil, "verify-full by the certificate's name: \(String(describing: byName))")

        // Without TLS the server refuses: a config error naming the server's reason.
        let plain = try #require(try await Self.connecting(Self.url("sslmode=disable")))
        #expect(plain.code == .credentials)
        #expect(plain.description.contains("no encryption"), "\(plain)")

        // A certificate no trusted CA signed: a config error saying so, not "unreachable".
        for mode in ["verify-ca", "verify-full"] {
            let untrusted = try #require(try await Self.connecting(Self.url("sslmode=\(mode)&sslrootcert=\(other)")))
            #expect(untrusted.code == .credentials, "\(mode): \(untrusted)")
            #expect(untrusted.description.contains("certificate"), "\(mode): \(untrusted)")
        }
        // The certificate is for localhost, not 127.0.0.1: verify-full refuses (verify-ca above
        // does not check names).
        let wrongName = try #require(try await Self.connecting(Self.url("sslmode=verify-full&sslrootcert=\(ca)")))
        #expect(wrongName.code == .credentials, "\(wrongName.description)")
        #expect(wrongName.description.contains("not issued for '127.0.0.1'"), "\(wrongName.description)")
        #expect(wrongName.description.contains("not an IP address"), "\(wrongName.description)")
    }
}
