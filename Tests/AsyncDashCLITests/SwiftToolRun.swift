import Foundation

/// Runs a `swift …` tool command (a build, a package plugin) with its output in a log file, and
/// waits for it without blocking a thread of the cooperative pool (the other tests in the process
/// need them). Ended after `timeout`.
enum SwiftToolRun {
    /// Returns the exit status and everything the command printed.
    static func run(_ arguments: [String], in directory: URL? = nil, log: URL, timeout: Duration) async throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["swift"] + arguments
        if let directory { process.currentDirectoryURL = directory }
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while process.isRunning && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(200)) }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        try handle.close()
        return (process.terminationStatus, (try? String(contentsOf: log, encoding: .utf8)) ?? "")
    }
}
