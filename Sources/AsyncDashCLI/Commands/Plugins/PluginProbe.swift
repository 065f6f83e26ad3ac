import ArgumentParser
import AsyncDash
import Foundation
import Synchronization

/// Loads each run-time plugin in a child process before this process loads it: a plugin that
/// crashes, hangs or fails while loading is reported (naming it) instead of taking the command —
/// `serve`, `worker`, `check-config` — down with it.
///
/// The child is this same executable running the hidden command `plugin-probe PATH` (every
/// command line built on ``AsyncDashMain`` has it), which loads the plugin into a fresh registry
/// and prints what it registered.
enum PluginProbe {
    /// How long a plugin may take to load.
    static let timeLimit: Duration = .seconds(30)

    /// The diagnostics of the plugins among `plugins` that cannot be loaded (none when all can).
    static func check(_ plugins: [Located<String>]) async -> [ConfigDiagnostic] {
        var diagnostics: [ConfigDiagnostic] = []
        for plugin in plugins {
            let path = PluginLibrary.path(plugin.value, configFile: plugin.location.file)
            // A missing file needs no child: loading it here says so.
            guard FileManager.default.fileExists(atPath: path) else { continue }
            if let problem = await probe(path) {
                diagnostics.append(ConfigDiagnostic("PLUGINS: plugin '\(path)': \(problem)", at: plugin.location))
            }
        }
        return diagnostics
    }

    /// Why the plugin at `path` cannot be loaded, or `nil` when the child loaded it.
    ///
    /// - Parameters:
    ///   - executable: The program whose `plugin-probe` command loads it (default: this one).
    ///   - timeLimit: How long loading may take before the child is stopped.
    static func probe(_ path: String, executable: String? = Self.executable, timeLimit: Duration = Self.timeLimit) async -> String? {
        guard let executable else { return "cannot find this program's executable to load the plugin in a child process" }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["plugin-probe", path]
        // The child's output goes to files, not pipes: nothing here blocks on a read, and a child
        // of the plugin that keeps them open cannot hold the probe up.
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("asyncdash-plugin-probe-\(UUID().uuidString)")
        let outputFile = folder.appendingPathComponent("stdout")
        let errorFile = folder.appendingPathComponent("stderr")
        defer { try? FileManager.default.removeItem(at: folder) }
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            _ = FileManager.default.createFile(atPath: outputFile.path, contents: nil)
            _ = FileManager.default.createFile(atPath: errorFile.path, contents: nil)
            process.standardOutput = try FileHandle(forWritingTo: outputFile)
            process.standardError = try FileHandle(forWritingTo: errorFile)
        } catch {
            return "could not prepare a child process to load it: \(error)"
        }
        let ended = AsyncStream<Void>.makeStream()
        process.terminationHandler = { _ in ended.continuation.finish() }
        do {
            try process.run()
        } catch {
            return "could not start a child process to load it: \(error)"
        }
        let stoppedForTime = Mutex(false)
        let timer = Task {
            try await Task.sleep(for: timeLimit)
            stoppedForTime.withLock { $0 = true }
            process.terminate()
            try await Task.sleep(for: .seconds(2))
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
        for await _ in ended.stream {}
        timer.cancel()
        let timedOut = stoppedForTime.withLock { $0 }
        let answer = (try? JSONValue(parsing: Self.read(outputFile, first: 65_536).trimmingCharacters(in: .whitespacesAndNewlines))) ?? .null
        let stderr = Self.read(errorFile, last: 2_000).trimmingCharacters(in: .whitespacesAndNewlines)
        switch (process.terminationReason, process.terminationStatus) {
        case (.exit, 0): return nil
        case (.exit, let status):
            return answer["error"]?.stringValue ?? "it could not be loaded in a child process (exit status \(status))\(stderr.isEmpty ? "" : ": \(stderr)")"
        case (_, let signal) where timedOut:
            return "it did not finish loading within \(Int(timeLimit.components.seconds)) seconds (stopped with signal \(signal)); serve and worker refuse to start with it"
        case (_, let signal):
            return "it crashed while loading (signal \(signal)\(Self.signalName(signal))) in a child process; serve and worker refuse to start with it"
                + (stderr.isEmpty ? "" : "; its output ends: \(String(stderr.suffix(300)))")
        }
    }

    /// The first `first`, or the last `last`, bytes of a file the child wrote, as text.
    static func read(_ file: URL, first: Int? = nil, last: Int? = nil) -> String {
        guard let handle = try? FileHandle(forReadingFrom: file) else { return "" }
        defer { try? handle.close() }
        if let last, let end = try? handle.seekToEnd(), end > UInt64(last) { try? handle.seek(toOffset: end - UInt64(last)) } else { try? handle.seek(toOffset: 0) }
        let data = (try? handle.read(upToCount: first ?? last ?? 0)) ?? nil
        return String(decoding: data ?? Data(), as: UTF8.self)
    }

    static func signalName(_ signal: Int32) -> String {
        switch signal {
        case SIGSEGV: " SIGSEGV"
        case SIGABRT: " SIGABRT"
        case SIGBUS: " SIGBUS"
        case SIGILL: " SIGILL"
        case SIGFPE: " SIGFPE"
        case SIGKILL: " SIGKILL"
        case SIGTERM: " SIGTERM"
        default: ""
        }
    }

    /// This program's executable.
    static var executable: String? {
        #if os(Linux)
        if let resolved = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") { return resolved }
        #endif
        return Bundle.main.executablePath
    }
}

/// `asyncdash plugin-probe PATH` (hidden): loads one plugin into a fresh registry and prints what
/// it registered as one JSON object — or `{"error": reason}` and exit status 2 when it cannot be
/// loaded. Run by ``PluginProbe``.
struct PluginProbeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plugin-probe", abstract: "Load one run-time plugin and print what it registers (used by the other commands).",
        shouldDisplay: false)

    @Argument(help: "The plugin's shared library.")
    var path: String

    func run() async throws {
        var registry = CommandLineRegistry.current
        do {
            let loaded = try PluginLibrary.load(path, into: &registry, logger: CLILogging.logger())
            let json: JSONValue = [
                "path": .string(loaded.path), "observers": .array(loaded.observers.map(JSONValue.string)),
                "formatters": .array(loaded.formatters.map(JSONValue.string)),
            ]
            Output.line(json.jsonText)
        } catch {
            Output.line(JSONValue.object(["error": .string(error.message)]).jsonText)
            throw ExitCode(2)
        }
    }
}
