import AsyncDash
import Foundation
import Testing

/// Whether `wrk` is on the PATH (the HTTP workloads need it).
private let wrkOnPath: Bool = {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
    return path.split(separator: ":").contains { FileManager.default.isExecutableFile(atPath: $0 + "/wrk") }
}()

/// The `key=value` pairs of the last line of `stdout`.
private func lastLinePairs(_ stdout: String) -> (line: String, pairs: [String: String]) {
    let line = stdout.split(separator: "\n").last.map(String.init) ?? ""
    var pairs: [String: String] = [:]
    for word in line.split(separator: " ") {
        let parts = word.split(separator: "=", maxSplits: 1).map(String.init)
        if parts.count == 2 { pairs[parts[0]] = parts[1] }
    }
    return (line, pairs)
}

/// Checks every key of `keys` is on the line with a number (no thresholds: timings are noisy).
private func expectNumbers(_ keys: [String], in result: CLIResult, sourceLocation: Testing.SourceLocation = #_sourceLocation) {
    let (line, pairs) = lastLinePairs(result.stdout)
    for key in keys {
        let value = pairs[key]
        #expect(value.flatMap(Double.init) != nil, "\(key) is missing or not a number in: \(line)\n\(result)", sourceLocation: sourceLocation)
    }
}

@Suite("asyncdash bench http and list")
struct BenchHTTPListTests {
    @Test func listTimesEveryCaseOnAFreshStore() async throws {
        try await withHarness { cli in
            try cli.copyShippedConfig()
            // 3 s of wrk per case: with the whole suite running beside it, one page can take over a
            // second, and wrk counts no request still in flight when its time is up (a CI run saw
            // "wrk made no requests" with 1 s).
            let result = try await cli.run(["bench", "list", "--records", "2000", "--samples", "20", "--http-duration", "3"], timeout: .seconds(300))
            #expect(result.exitCode == 0, "\(result)")
            var keys = ["list_p99_ms", "list_p50_ms", "first_p99_ms", "middle_p99_ms", "last_p99_ms", "filtered_p99_ms", "search_p99_ms",
                        "records", "samples", "fill_s"]
            if wrkOnPath { keys.append("http_list_p99_ms") }
            expectNumbers(keys, in: result)
            #expect(lastLinePairs(result.stdout).pairs["records"] == "2000")
            // Every case printed a row count; the first unfiltered page is a full page.
            #expect(result.stdout.contains("(50 rows)"), "\(result)")
        }
    }

    @Test func listRefusesAStoreThatIsNotEmpty() async throws {
        try await withHarness { cli in
            try cli.copyShippedConfig()
            let store = cli.sqliteURL("full.sqlite")
            let first = try await cli.run(["bench", "list", "--records", "100", "--samples", "2", "--no-http", "--store", store])
            #expect(first.exitCode == 0, "\(first)")
            let second = try await cli.run(["bench", "list", "--records", "100", "--samples", "2", "--no-http", "--store", store])
            #expect(second.exitCode == 2, "\(second)")
            #expect(second.stderr.contains("already holds 100 records"), "\(second)")
        }
    }

    @Test(.enabled(if: wrkOnPath, "wrk is not on the PATH (apt-get install -y wrk)"))
    func httpLoadsTheProgressEndpointOfAServeChild() async throws {
        try await withHarness { cli in
            try cli.copyShippedConfig()
            let result = try await cli.run(["bench", "http", "--duration", "2", "--connections", "4", "--tasks", "200"], timeout: .seconds(300))
            #expect(result.exitCode == 0, "\(result)")
            expectNumbers(["progress_http_rps", "p99_ms", "p50_ms", "rss_idle_mb", "rss_load_mb", "errors", "tasks", "connections", "threads", "duration_s"],
                          in: result)
            let pairs = lastLinePairs(result.stdout).pairs
            #expect(pairs["errors"] == "0", "\(result)")
            #expect(pairs["connections"] == "4" && pairs["duration_s"] == "2")
            #expect(result.stdout.contains("vs_powercrud="), "\(result)")
        }
    }

    @Test(.enabled(if: wrkOnPath, "wrk is not on the PATH (apt-get install -y wrk)"))
    func httpWithASearchLoadReportsTheSearchesToo() async throws {
        try await withHarness { cli in
            try cli.copyShippedConfig()
            let result = try await cli.run(["bench", "http", "--duration", "2", "--connections", "4", "--tasks", "100",
                                            "--search-load", "3", "--search-rows", "20000"], timeout: .seconds(300))
            #expect(result.exitCode == 0, "\(result)")
            expectNumbers(["progress_http_rps", "p99_ms", "search_load", "search_rows", "search_rps", "search_p50_ms", "search_p99_ms", "search_busy"],
                          in: result)
            let pairs = lastLinePairs(result.stdout).pairs
            #expect(pairs["errors"] == "0" && pairs["search_load"] == "3" && pairs["search_rows"] == "20000", "\(result)")
            #expect(Double(pairs["search_rps"] ?? "") ?? 0 > 0, "no search was answered: \(result)")
            #expect(result.stdout.contains("added 20000 finished records"), "\(result)")
        }
    }

    @Test func httpRefusesASearchLoadOutOfRange() async throws {
        try await withHarness { cli in
            try cli.copyShippedConfig()
            for (flag, value) in [("--search-load", "-1"), ("--search-load", "5000"), ("--search-rows", "100000000")] {
                let result = try await cli.run(["bench", "http", "\(flag)=\(value)"])
                #expect(result.exitCode == 2, "\(result)")
                #expect(result.stderr.contains("\(flag) must be from"), "\(result)")
            }
        }
    }

    @Test func httpWithoutWrkSaysHowToInstallIt() async throws {
        try await withHarness { cli in
            try cli.copyShippedConfig()
            let result = try await cli.run(["bench", "http", "--duration", "1"], environment: ["PATH": cli.directory.path])
            #expect(result.exitCode == 1, "\(result)")
            #expect(result.stderr.contains("apt-get install -y wrk"), "\(result)")
        }
    }
}
