import Foundation

/// A PostgreSQL cluster of a suite's own, run by `.ci/postgres` on a port no other test uses
/// (for a test that restarts its server, or needs a server set up differently).
enum OwnPostgresCluster {
    /// The folder `.ci/postgres` keeps the cluster of `port` in (its CA certificates, with TLS).
    static func folder(port: Int) -> String {
        "\(ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp")/asyncdash-ci-postgres-\(port)"
    }

    /// Runs `.ci/postgres ACTION` (start, restart, stop) for the cluster on `port`, taking TLS
    /// connections only when `tls`; returns its exit status and output.
    static func run(_ action: String, port: Int, tls: Bool = false, downSeconds: Int = 0) async throws -> (Int32, String) {
        try await CIScript.run(
            "postgres", action,
            environment: ["ASYNCDASH_PG_PORT": "\(port)", "ASYNCDASH_PG_TLS": tls ? "1" : "0", "ASYNCDASH_PG_DOWN_SECONDS": "\(downSeconds)"])
    }
}

/// The helper scripts under `.ci/` that start and stop servers for the tests.
enum CIScript {
    /// Runs `.ci/NAME ACTION` with `environment` added to this process's; returns its exit status
    /// and output.
    static func run(_ name: String, _ action: String, environment extra: [String: String]) async throws -> (Int32, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [CLIHarness.repositoryRoot.appendingPathComponent(".ci/\(name)").path, action]
        process.environment = ProcessInfo.processInfo.environment.merging(extra) { _, new in new }
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(action)-\(UUID().uuidString.prefix(8)).log")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        let handle = try FileHandle(forWritingTo: output)
        defer {
            try? handle.close()
            try? FileManager.default.removeItem(at: output)
        }
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        // Reaped here: Foundation's own reaping was seen to miss this child (it stayed a zombie
        // that `isRunning` reported as running), perhaps because it forks a daemon that outlives it.
        let pid = process.processIdentifier
        var status: Int32 = 0
        while true {
            let reaped = waitpid(pid, &status, WNOHANG)
            if reaped == pid { break }
            if reaped < 0 {  // Foundation reaped it first
                process.waitUntilExit()
                return (process.terminationStatus, (try? String(contentsOf: output, encoding: .utf8)) ?? "")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        let code = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return (code, (try? String(contentsOf: output, encoding: .utf8)) ?? "")
    }
}
