import AsyncDash
import AsyncDashCLI
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A scratch directory for one bench run (temporary config, store, wrk script), removed at the end.
struct BenchScratch: Sendable {
    let directory: URL

    init(_ label: String) throws {
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("asyncdash-bench-\(label)-\(UUID().uuidString.prefix(8).lowercased())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    func file(_ name: String) -> URL { directory.appendingPathComponent(name) }

    /// `sqlite:///<directory>/<name>`
    func sqliteURL(_ name: String) -> String { "sqlite://" + file(name).path }

    func remove() { try? FileManager.default.removeItem(at: directory) }
}

/// `asyncdash serve --bind 127.0.0.1:0` of this very executable, as a child process, on a
/// temporary copy of the config whose `STORE` is the bench's store.
final class BenchServeChild: @unchecked Sendable {
    let process: Process
    /// `http://127.0.0.1:PORT`
    let origin: String
    let port: Int
    /// The dashboard's path prefix, e.g. `/async-dashboard` (no trailing slash).
    let pathPrefix: String
    private let outputURL: URL

    var pid: Int32 { process.processIdentifier }

    private init(process: Process, origin: String, port: Int, pathPrefix: String, outputURL: URL) {
        self.process = process
        self.origin = origin
        self.port = port
        self.pathPrefix = pathPrefix
        self.outputURL = outputURL
    }

    /// This executable: `/proc/self/exe`, else `argv[0]`.
    static func executable() -> URL {
        if let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"),
            FileManager.default.isExecutableFile(atPath: target) {
            return URL(fileURLWithPath: target)
        }
        let first = CommandLine.arguments.first ?? "asyncdash"
        if first.contains("/") { return URL(fileURLWithPath: first) }
        return BenchTools.locate(first).map { URL(fileURLWithPath: $0) } ?? URL(fileURLWithPath: first)
    }

    /// The user's config (`--config` / `$ASYNCDASH_CONFIG` / `./config.yaml`) with `STORE: url`,
    /// written into `scratch`.
    static func writeConfig(runtime: CLIRuntime, storeURL: String, scratch: BenchScratch) throws -> URL {
        let original = (try? String(contentsOfFile: runtime.configPath, encoding: .utf8)) ?? ""
        var replaced = false
        var lines: [String] = []
        for line in original.components(separatedBy: "\n") {
            if line.hasPrefix("STORE:") || line.hasPrefix("STORE :") {
                lines.append("STORE: \"\(storeURL)\"   # asyncdash bench: a temporary store")
                replaced = true
            } else {
                lines.append(line)
            }
        }
        if !replaced { lines.insert("STORE: \"\(storeURL)\"", at: 0) }
        let url = scratch.file("config.yaml")
        try lines.joined(separator: "\n").write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    /// Starts the child and waits for its `dashboard: http://HOST:PORT/PREFIX/` line.
    ///
    /// - Throws: ``CLIError`` (failure) when it exits or says nothing within `timeout`.
    static func start(
        runtime: CLIRuntime, storeURL: String, scratch: BenchScratch, concurrency: Int = 4, timeout: Duration = .seconds(60)
    ) async throws -> BenchServeChild {
        let config = try writeConfig(runtime: runtime, storeURL: storeURL, scratch: scratch)
        var environment = runtime.environment
        environment[GlobalOptions.configVariable] = config.path
        environment["ASYNCDASH_STORE"] = storeURL
        let (process, outputURL) = try BenchTools.start(
            executable(), ["serve", "--bind", "127.0.0.1:0", "--concurrency", "\(concurrency)", "--config", config.path],
            environment: environment, output: scratch.file("serve-\(UUID().uuidString.prefix(4)).log"))

        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        while clock.now < deadline {
            let text = (try? String(contentsOf: outputURL, encoding: .utf8)) ?? ""
            if let line = text.split(separator: "\n").first(where: { $0.hasPrefix("dashboard: http://") }),
                let components = URLComponents(string: String(line.dropFirst("dashboard: ".count)).trimmingCharacters(in: .whitespaces)),
                let port = components.port {
                var prefix = components.path
                while prefix.hasSuffix("/") { prefix.removeLast() }
                return BenchServeChild(process: process, origin: "http://127.0.0.1:\(port)", port: port, pathPrefix: prefix, outputURL: outputURL)
            }
            if !process.isRunning {
                throw CLIError.failure("asyncdash serve exited (status \(process.terminationStatus)) before it served the dashboard:\n\(text)")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        let child = BenchServeChild(process: process, origin: "", port: 0, pathPrefix: "", outputURL: outputURL)
        await child.stop()
        throw CLIError.failure("asyncdash serve printed no 'dashboard:' line within \(timeout):\n\(child.output)")
    }

    /// What the child printed (stdout and stderr).
    var output: String { (try? String(contentsOf: outputURL, encoding: .utf8)) ?? "" }

    /// The child's resident set size (`VmRSS` of `/proc/PID/status`) in MiB; `nil` once it is gone.
    func rssMB(field: String = "VmRSS") -> Double? {
        BenchTools.rssMB(pid: pid, field: field)
    }

    /// SIGTERM, then SIGKILL when it has not exited within `grace`.
    func stop(grace: Duration = .seconds(10)) async {
        guard process.isRunning else { return }
        process.terminate()
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: grace)
        while process.isRunning, clock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }
}

/// What one `wrk --latency` run reported.
struct WrkResult: Sendable {
    var requestsPerSecond: Double
    /// Latency percentiles in milliseconds, by percentile (50, 75, 90, 99).
    var latencyMs: [Int: Double]
    var requests: Int
    /// `Non-2xx or 3xx responses` (status 400 and above).
    var errorResponses: Int
    /// Connect, read, write and timeout errors together.
    var socketErrors: Int

    var p50Ms: Double? { latencyMs[50] }
    var p99Ms: Double? { latencyMs[99] }

    /// Reads wrk's report; `nil` without a `Requests/sec:` line.
    init?(parsing text: String) {
        var rps: Double?
        var latency: [Int: Double] = [:]
        var requests = 0
        var errorResponses = 0
        var socketErrors = 0
        var inDistribution = false
        for raw in text.split(separator: "\n") {
            let line = raw.trimmingCharacters(in: .whitespaces)
            let words = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
            if line.hasPrefix("Latency Distribution") { inDistribution = true; continue }
            if inDistribution, words.count == 2, words[0].hasSuffix("%"),
                let percent = Double(words[0].dropLast()), let ms = Self.milliseconds(words[1]) {
                latency[Int(percent.rounded())] = ms
                continue
            }
            inDistribution = false
            if line.hasPrefix("Requests/sec:"), words.count >= 2 { rps = Double(words[1]) }
            if words.count >= 3, words[1] == "requests", words[2] == "in" { requests = Int(words[0]) ?? 0 }
            if line.hasPrefix("Non-2xx or 3xx responses:"), let last = words.last { errorResponses = Int(last) ?? 0 }
            if line.hasPrefix("Socket errors:") {
                // Socket errors: connect 0, read 0, write 0, timeout 0
                socketErrors = words.compactMap { Int($0.trimmingCharacters(in: CharacterSet(charactersIn: ","))) }.reduce(0, +)
            }
        }
        guard let rps else { return nil }
        self.requestsPerSecond = rps
        self.latencyMs = latency
        self.requests = requests
        self.errorResponses = errorResponses
        self.socketErrors = socketErrors
    }

    /// `845.00us`, `1.23ms`, `1.02s`, `2.00m` → milliseconds.
    static func milliseconds(_ text: String) -> Double? {
        let units: [(String, Double)] = [("us", 0.001), ("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000)]
        for (suffix, factor) in units where text.hasSuffix(suffix) {
            guard let value = Double(text.dropLast(suffix.count)) else { return nil }
            return value * factor
        }
        return nil
    }
}

/// Locating tools, running wrk, reading memory, formatting figures.
enum BenchTools {
    static let wrkMissing = "wrk is not installed (it drives the HTTP load); install it with: apt-get install -y wrk"

    /// The first executable `name` on `$PATH`.
    static func locate(_ name: String, environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        let path = environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in path.split(separator: ":") where !directory.isEmpty {
            let candidate = directory + "/" + name
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate, isDirectory: &isDirectory), !isDirectory.boolValue,
                FileManager.default.isExecutableFile(atPath: candidate) {
                return candidate
            }
        }
        return nil
    }

    /// `field` (`VmRSS`: all resident pages; `RssAnon`: the process's own memory, without the
    /// code pages of the binary and shared libraries) of `/proc/PID/status` in MiB.
    static func rssMB(pid: Int32, field: String = "VmRSS") -> Double? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix(field + ":") {
            let words = line.split(separator: " ", omittingEmptySubsequences: true)
            guard words.count >= 2, let kb = Double(words[1]) else { return nil }
            return kb / 1024
        }
        return nil
    }

    /// Runs `wrk arguments…`, calling `sample` every 200 ms while it runs.
    ///
    /// Starts `executable arguments…` with stdout and stderr going to the new file `output`
    /// (`environment` `nil`: this process's).
    static func start(_ executable: URL, _ arguments: [String], environment: [String: String]?, output: URL) throws -> (Process, URL) {
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        let handle = try FileHandle(forWritingTo: output)
        defer { try? handle.close() }  // the child keeps its own copy
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if let environment { process.environment = environment }
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return (process, output)
    }

    /// - Throws: ``CLIError`` (failure) when wrk fails or prints no report.
    static func runWrk(
        _ wrk: String, _ arguments: [String], scratch: BenchScratch, timeout: Duration, sample: () -> Void = {}
    ) async throws -> WrkResult {
        let (process, outURL) = try BenchTools.start(URL(fileURLWithPath: wrk), arguments, environment: nil,
                                                     output: scratch.file("wrk-\(UUID().uuidString.prefix(6)).out"))
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        while process.isRunning {
            sample()
            if clock.now >= deadline {
                process.terminate()
                break
            }
            try? await Task.sleep(for: .milliseconds(200))
        }
        process.waitUntilExit()
        let text = (try? String(contentsOf: outURL, encoding: .utf8)) ?? ""
        try? FileManager.default.removeItem(at: outURL)
        guard process.terminationStatus == 0, let result = WrkResult(parsing: text) else {
            throw CLIError.failure("wrk \(arguments.joined(separator: " ")) failed (status \(process.terminationStatus)):\n\(text)")
        }
        return result
    }

    /// `12.35` (two decimals).
    static func figure(_ value: Double) -> String { String(format: "%.2f", value) }

    /// The nearest-rank percentile `p` (0…100) of `values`, sorted or not.
    static func percentile(_ values: [Double], _ p: Double) -> Double {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        let rank = Int((p / 100 * Double(sorted.count)).rounded(.up))
        return sorted[min(max(rank - 1, 0), sorted.count - 1)]
    }

    /// A Lua string literal.
    static func lua(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}
