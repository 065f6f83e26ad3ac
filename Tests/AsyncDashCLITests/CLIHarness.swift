import AsyncDash
import Foundation
import Testing

/// What one run of the `asyncdash` binary produced.
struct CLIResult: CustomStringConvertible {
    var exitCode: Int32
    var stdout: String
    var stderr: String
    /// Whether the process ended by a signal (a trap, a crash): `exitCode` is then the signal.
    var bySignal = false

    /// stdout parsed as JSON.
    func json() throws -> JSONValue {
        try JSONValue(parsing: stdout)
    }

    var description: String { "\(bySignal ? "signal" : "exit") \(exitCode)\n--- stdout\n\(stdout)\n--- stderr\n\(stderr)" }
}

/// Runs the real `asyncdash` executable in a temporary working directory.
struct CLIHarness {
    /// The working directory of every run (a fresh temporary directory).
    let directory: URL
    /// The executable to run instead of `asyncdash` (an application's own command line).
    var executable: URL?

    /// A harness with a fresh temporary directory.
    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("asyncdash-cli-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    /// `sqlite:///<directory>/<name>`
    func sqliteURL(_ name: String = "a.sqlite") -> String {
        "sqlite://" + directory.appendingPathComponent(name).path
    }

    /// Writes `text` as `config.yaml` (or `name`) in the working directory.
    func writeConfig(_ text: String, name: String = "config.yaml") throws {
        try text.write(to: directory.appendingPathComponent(name), atomically: true, encoding: .utf8)
    }

    /// Copies the repository's shipped `config.yaml` into the working directory.
    func copyShippedConfig() throws {
        let text = try String(contentsOf: Self.repositoryRoot.appendingPathComponent("config.yaml"), encoding: .utf8)
        try writeConfig(text)
    }

    /// A config like the shipped one, on SQLite file `name` in the working directory.
    func writeSQLiteConfig(_ name: String = "a.sqlite") throws {
        try writeConfig("""
            STORE: \(sqliteURL(name))
            ASYNC_MANAGER_DEFAULT:
              manager_class: sample.async_manager.SampleAsyncManager
              config:
                record_model_path: sample.AsyncTaskRecord
            """)
    }

    func removeDirectory() {
        try? FileManager.default.removeItem(at: directory)
    }

    /// Runs `asyncdash arguments…`, killing it after `timeout`.
    ///
    /// The environment is the test's minus every `ASYNCDASH_*` variable, plus `environment`.
    func run(_ arguments: [String], environment: [String: String] = [:], timeout: Duration = .seconds(120)) async throws -> CLIResult {
        let id = UUID().uuidString
        let outURL = directory.appendingPathComponent(".out-\(id)")
        let errURL = directory.appendingPathComponent(".err-\(id)")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        defer {
            try? FileManager.default.removeItem(at: outURL)
            try? FileManager.default.removeItem(at: errURL)
        }
        let out = try FileHandle(forWritingTo: outURL)
        let err = try FileHandle(forWritingTo: errURL)

        let process = Process()
        process.executableURL = try executable ?? Self.binary()
        process.arguments = arguments
        process.currentDirectoryURL = directory
        var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("ASYNCDASH_") }
        env.merge(environment) { _, new in new }
        process.environment = env
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()

        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        var timedOut = false
        while process.isRunning {
            if clock.now >= deadline {
                timedOut = true
                process.terminate()
                try? await Task.sleep(for: .seconds(5))
                if process.isRunning { kill(process.processIdentifier, SIGKILL) }
                break
            }
            try? await Task.sleep(for: .milliseconds(20))
        }
        process.waitUntilExit()
        try out.close()
        try err.close()
        let result = CLIResult(
            exitCode: process.terminationStatus,
            stdout: (try? String(contentsOf: outURL, encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOf: errURL, encoding: .utf8)) ?? "",
            bySignal: process.terminationReason == .uncaughtSignal
        )
        if timedOut {
            Issue.record("asyncdash \(arguments.joined(separator: " ")) did not finish within \(timeout); killed\n\(result)")
        }
        return result
    }

    // MARK: Locating things

    /// The package's root directory (the one holding Package.swift).
    static let repositoryRoot: URL = {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/" {
            url.deleteLastPathComponent()
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url }
        }
        return URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
    }()

    /// The built `asyncdash`: `$ASYNCDASH_CLI_BINARY`; else next to the test bundle (the same
    /// products directory, whatever the scratch path); else the newest `.build*/…/asyncdash`.
    static func binary() throws -> URL {
        let fm = FileManager.default
        if let explicit = ProcessInfo.processInfo.environment["ASYNCDASH_CLI_BINARY"], fm.isExecutableFile(atPath: explicit) {
            return URL(fileURLWithPath: explicit)
        }
        var candidates: [URL] = []
        for start in [ProcessInfo.processInfo.arguments.first, Bundle.main.executablePath, Bundle.main.bundlePath].compactMap({ $0 }) {
            var url = URL(fileURLWithPath: start).resolvingSymlinksInPath()
            for _ in 0..<4 {
                url.deleteLastPathComponent()
                candidates.append(url.appendingPathComponent("asyncdash"))
            }
        }
        if let found = candidates.first(where: { fm.isExecutableFile(atPath: $0.path) && !isDirectory($0) }) { return found }
        var newest: (URL, Date)?
        let root = repositoryRoot
        for scratch in (try? fm.contentsOfDirectory(atPath: root.path)) ?? [] where scratch.hasPrefix(".build") {
            for sub in ["debug", "release"] {
                let url = root.appendingPathComponent(scratch).appendingPathComponent(sub).appendingPathComponent("asyncdash")
                guard fm.isExecutableFile(atPath: url.path),
                    let date = (try? fm.attributesOfItem(atPath: url.path))?[.modificationDate] as? Date
                else { continue }
                if newest == nil || date > newest!.1 { newest = (url, date) }
            }
        }
        if let newest { return newest.0 }
        throw BinaryNotFound(searched: candidates.map(\.path))
    }

    private static func isDirectory(_ url: URL) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) && isDirectory.boolValue
    }

    struct BinaryNotFound: Error, CustomStringConvertible {
        var searched: [String]
        var description: String { "the asyncdash executable was not found; build it first (searched \(searched.joined(separator: ", ")))" }
    }
}

/// Runs `body` with a fresh harness and removes its directory afterwards.
func withHarness<T>(_ body: (CLIHarness) async throws -> T) async throws -> T {
    let harness = try CLIHarness()
    defer { harness.removeDirectory() }
    return try await body(harness)
}
