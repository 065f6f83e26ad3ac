import Dispatch
import Foundation
import Logging
import Synchronization

/// Runs a program for each event, with the event's JSON on its standard input: a notifier in
/// any language, with nothing to link (`asyncdash.observers.command` in config).
///
/// The program runs directly (no shell), with the arguments given and a small environment:
/// `PATH`, `HOME`, `LANG`, `TZ` and the variables named in `pass_env` (when set in this process —
/// nothing else, so secrets such as a dashboard token do not leak to it), plus `ASYNCDASH_EVENT`
/// (the event kind) and `ASYNCDASH_TASK` (the task name). What it
/// writes to standard output and error goes to the log (at most ``outputLimit`` bytes per run).
/// Exit status 0 is a delivery; any other status, or a signal, is a failed delivery — retried with
/// backoff when the observer is `durable: true`, reported and counted otherwise. When the run
/// takes longer than the observer's `timeout_ms`, the program gets `SIGTERM`, then `SIGKILL`
/// two seconds later.
///
/// ```yaml
/// observers:
///   - type: asyncdash.observers.command
///     command: [/usr/local/bin/page-oncall, --team, ops]
///     pass_env: [PAGER_API_KEY]
///     events: [fail]
///     durable: true
///     timeout_ms: 10000
/// ```
public struct CommandObserver: LifecycleObserver {
    /// The program's path and its arguments.
    public let command: [String]
    /// The environment the program gets (see the type's description).
    public let environment: [String: String]
    let logger: Logger

    /// The variables every run gets from this process's environment, when set.
    public static let basicEnvironment = ["PATH", "HOME", "LANG", "TZ"]

    /// The most bytes of a run's output kept for the log; the rest is read and discarded.
    public static let outputLimit = 8 * 1024
    /// How long a program has between `SIGTERM` and `SIGKILL` when its time is up.
    public static let killGrace: Duration = .seconds(2)

    /// - Parameter command: The program (an absolute path, a path from the current directory, or a
    ///   name looked up in `PATH`) and its arguments.
    ///   - passEnvironment: More variables of `environment` the program may see (e.g. an API key).
    ///   - environment: This process's environment (the default), where the variables come from.
    /// - Throws: ``CommandObserverError`` when `command` is empty or names no executable file.
    public init(
        command: [String], passEnvironment: [String] = [], environment: [String: String] = ProcessInfo.processInfo.environment,
        logger: Logger = Logger(label: "asyncdash.observers.command")
    ) throws {
        guard let program = command.first, !program.isEmpty else {
            throw CommandObserverError(message: "command is empty; give the program and its arguments, e.g. [/usr/local/bin/notify, --channel, ops]")
        }
        guard let path = Self.executable(program, path: environment["PATH"]) else {
            let looked = program.contains("/") ? "" : " (looked in PATH)"
            throw CommandObserverError(message: "command '\(program.cutForMessage())' is not an executable file\(looked); give its full path, e.g. /usr/local/bin/notify")
        }
        self.command = [path] + command.dropFirst()
        var passed: [String: String] = [:]
        for name in Self.basicEnvironment + passEnvironment {
            if let value = environment[name] { passed[name] = value }
        }
        self.environment = passed
        self.logger = logger
    }

    /// The path of `program`: itself when it contains a `/`, else the first match in `PATH`.
    static func executable(_ program: String, path: String? = ProcessInfo.processInfo.environment["PATH"]) -> String? {
        let manager = FileManager.default
        func runnable(_ candidate: String) -> Bool {
            var isDirectory: ObjCBool = false
            return manager.fileExists(atPath: candidate, isDirectory: &isDirectory) && !isDirectory.boolValue && manager.isExecutableFile(atPath: candidate)
        }
        if program.contains("/") {
            let absolute = URL(fileURLWithPath: program).standardizedFileURL.path
            return runnable(absolute) ? absolute : nil
        }
        for directory in (path ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":") where !directory.isEmpty {
            let candidate = "\(directory)/\(program)"
            if runnable(candidate) { return candidate }
        }
        return nil
    }

    public func observe(_ event: LifecycleEvent) async throws {
        let run = CommandRun(command: command, environment: environment, event: event)
        let outcome = try await run.start()
        let output = outcome.output
        if !output.isEmpty {
            logger.info("command observer output", metadata: [
                "program": "\(command[0])", "task": "\(event.taskName)", "event": "\(event.kind)", "output": "\(output)",
            ])
        }
        if let failure = outcome.failure {
            throw CommandObserverError(message: "\(command[0]) \(failure)\(output.isEmpty ? "" : "; its output ends: \(String(output.suffix(500)))")")
        }
    }
}

/// A command observer that cannot be set up, or a run of its program that failed.
public struct CommandObserverError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public init(message: String) { self.message = message }
    public var description: String { message }
}

/// One run of a command observer's program.
private struct CommandRun: Sendable {
    var command: [String]
    var environment: [String: String]
    var event: LifecycleEvent

    struct Outcome: Sendable {
        /// What went wrong ("exited with status 3", "was killed by signal 9"), or `nil`.
        var failure: String?
        var output: String
    }

    /// Starts the program and returns when it ended (killing it when the task is cancelled).
    func start() async throws -> Outcome {
        // The event goes in through a file, not a pipe: a program that never reads its input can
        // neither block this process nor make it write to a closed pipe.
        let input = FileManager.default.temporaryDirectory.appendingPathComponent("asyncdash-event-\(UUID().uuidString).json")
        try Data((event.json.jsonText + "\n").utf8).write(to: input, options: .atomic)
        defer { try? FileManager.default.removeItem(at: input) }
        let inputHandle = try FileHandle(forReadingFrom: input)
        defer { try? inputHandle.close() }

        let process = Process()
        process.executableURL = URL(fileURLWithPath: command[0])
        process.arguments = Array(command.dropFirst())
        var environment = environment
        environment["ASYNCDASH_EVENT"] = event.kind.rawValue
        environment["ASYNCDASH_TASK"] = event.taskName
        process.environment = environment
        process.standardInput = inputHandle
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        let output = OutputCollector(limit: CommandObserver.outputLimit)
        let ended = ProcessEnd()
        process.terminationHandler = { process in ended.finish(status: process.terminationStatus, reason: process.terminationReason) }
        try process.run()
        try? pipe.fileHandleForWriting.close()
        output.drain(pipe.fileHandleForReading)
        let pid = process.processIdentifier
        let (status, reason) = await withTaskCancellationHandler {
            await ended.value()
        } onCancel: {
            // Time is up (the observer's timeout) or the process is stopping: TERM, then KILL.
            kill(pid, SIGTERM)
            DispatchQueue.global().asyncAfter(deadline: .now() + CommandObserver.killGrace.timeInterval) {
                if !ended.isFinished { kill(pid, SIGKILL) }
            }
        }
        // A program that left a child holding its output open does not hold up the delivery.
        let text = await output.text(waitingAtMost: .milliseconds(200))
        switch (reason, status) {
        case (.exit, 0): return Outcome(failure: nil, output: text)
        case (.exit, let code): return Outcome(failure: "exited with status \(code)", output: text)
        default: return Outcome(failure: "was killed by signal \(status)\(Task.isCancelled ? " (its time was up)" : "")", output: text)
        }
    }
}

/// The end of a child process, awaited once.
private final class ProcessEnd: Sendable {
    private let state = Mutex<(status: (Int32, Process.TerminationReason)?, waiter: CheckedContinuation<(Int32, Process.TerminationReason), Never>?)>((nil, nil))

    var isFinished: Bool { state.withLock { $0.status != nil } }

    func finish(status: Int32, reason: Process.TerminationReason) {
        let waiter = state.withLock { state -> CheckedContinuation<(Int32, Process.TerminationReason), Never>? in
            state.status = (status, reason)
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: (status, reason))
    }

    func value() async -> (Int32, Process.TerminationReason) {
        await withCheckedContinuation { continuation in
            let done = state.withLock { state -> (Int32, Process.TerminationReason)? in
                if let status = state.status { return status }
                state.waiter = continuation
                return nil
            }
            if let done { continuation.resume(returning: done) }
        }
    }
}

/// Reads a child's output on a thread of its own (never the cooperative pool), keeping the first
/// `limit` bytes and discarding the rest, so a chatty program can neither block nor exhaust memory.
private final class OutputCollector: Sendable {
    private let limit: Int
    private let state = Mutex<(data: Data, dropped: Int, done: Bool)>((Data(), 0, false))

    init(limit: Int) { self.limit = limit }

    func drain(_ handle: FileHandle) {
        Thread.detachNewThread { [self] in
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                state.withLock { state in
                    let room = max(0, limit - state.data.count)
                    state.data.append(chunk.prefix(room))
                    state.dropped += max(0, chunk.count - room)
                }
            }
            try? handle.close()
            state.withLock { $0.done = true }
        }
    }

    /// The output read so far, once the program closed it or after `wait`.
    func text(waitingAtMost wait: Duration) async -> String {
        let deadline = ContinuousClock.now + wait
        while !state.withLock({ $0.done }), ContinuousClock.now < deadline, !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(5))
        }
        let (data, dropped) = state.withLock { ($0.data, $0.dropped) }
        var text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if dropped > 0 { text += " […\(dropped) more bytes not kept]" }
        return text
    }
}
