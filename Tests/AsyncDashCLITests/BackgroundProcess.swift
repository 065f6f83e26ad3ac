import Foundation
import Testing

/// An `asyncdash` process started without waiting for it (a worker), with a hard deadline: a
/// watchdog kills it with SIGKILL once `deadline` has passed, so nothing outlives a test.
///
/// ```swift
/// let worker = try cli.start(["worker"], environment: env, deadline: .seconds(60))
/// defer { worker.kill() }
/// let code = try await worker.terminate()    // SIGTERM, then wait (bounded)
/// ```
final class BackgroundProcess: @unchecked Sendable {
    let process: Process
    let arguments: [String]
    let outURL: URL
    let errURL: URL
    private let watchdog: Task<Void, Never>

    init(binary: URL, arguments: [String], directory: URL, environment: [String: String], deadline: Duration) throws {
        let id = UUID().uuidString
        outURL = directory.appendingPathComponent(".bg-out-\(id)")
        errURL = directory.appendingPathComponent(".bg-err-\(id)")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        process.currentDirectoryURL = directory
        var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("ASYNCDASH_") }
        env.merge(environment) { _, new in new }
        process.environment = env
        process.standardOutput = try FileHandle(forWritingTo: outURL)
        process.standardError = try FileHandle(forWritingTo: errURL)
        process.standardInput = FileHandle.nullDevice
        try process.run()
        self.process = process
        self.arguments = arguments
        let pid = process.processIdentifier
        watchdog = Task.detached {
            try? await Task.sleep(for: deadline)
            guard !Task.isCancelled, process.isRunning else { return }
            Issue.record("asyncdash \(arguments.joined(separator: " ")) outlived its deadline of \(deadline); killed")
            Foundation.kill(pid, SIGKILL)
        }
    }

    var pid: Int32 { process.processIdentifier }
    var isRunning: Bool { process.isRunning }
    var stdout: String { (try? String(contentsOf: outURL, encoding: .utf8)) ?? "" }
    var stderr: String { (try? String(contentsOf: errURL, encoding: .utf8)) ?? "" }

    /// Sends `signal` and waits (at most `timeout`, then SIGKILL) for the exit; returns the status
    /// (the signal number for a process killed by a signal).
    @discardableResult
    func signal(_ signal: Int32, timeout: Duration = .seconds(30)) async -> Int32 {
        if process.isRunning { Foundation.kill(pid, signal) }
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while process.isRunning && ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        if process.isRunning {
            Issue.record("asyncdash \(arguments.joined(separator: " ")) ignored signal \(signal) for \(timeout); killed")
            Foundation.kill(pid, SIGKILL)
        }
        process.waitUntilExit()
        watchdog.cancel()
        return process.terminationStatus
    }

    /// Waits for the process to end on its own (at most `timeout`, then SIGKILL); returns its status.
    func exitCode(timeout: Duration = .seconds(60)) async -> Int32 {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while process.isRunning && ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        return await signal(SIGKILL, timeout: .seconds(10))
    }

    /// SIGTERM, then the exit status (bounded wait).
    func terminate(timeout: Duration = .seconds(30)) async -> Int32 { await signal(SIGTERM, timeout: timeout) }

    /// SIGKILL now, as a crash would.
    func kill() async { await signal(SIGKILL, timeout: .seconds(10)) }

    /// Waits (bounded) until stdout contains `text`; returns whether it did.
    func waitForOutput(_ text: String, timeout: Duration = .seconds(30)) async -> Bool {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while ContinuousClock.now < deadline {
            if stdout.contains(text) { return true }
            if !process.isRunning { return stdout.contains(text) }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return false
    }

    var description: String { "asyncdash \(arguments.joined(separator: " ")) (pid \(pid))\n--- stdout\n\(stdout.suffix(3000))\n--- stderr\n\(stderr.suffix(3000))" }

    deinit {
        if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
        watchdog.cancel()
    }
}

extension CLIHarness {
    /// Starts `asyncdash arguments…` in the background; it is SIGKILLed after `deadline`.
    func start(_ arguments: [String], environment: [String: String] = [:], deadline: Duration = .seconds(120)) throws -> BackgroundProcess {
        try BackgroundProcess(binary: try executable ?? Self.binary(), arguments: arguments, directory: directory, environment: environment, deadline: deadline)
    }
}
