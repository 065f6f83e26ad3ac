import Dispatch
import Foundation

/// Appends each event as one line of JSON (``LifecycleEvent/json``) to a file: a journal other
/// tools can tail, and with `durable: true` a record of every event that survives crashes.
/// Registered as `asyncdash.observers.jsonl` (option `path`).
///
/// The file is opened for each event with `O_APPEND` (so lines from several processes stay
/// whole) on a queue of its own, off the cooperative thread pool.
///
/// ```yaml
/// observers:
///   - type: asyncdash.observers.jsonl
///     path: .asyncdash/events.jsonl
///     durable: true
/// ```
public struct JSONLinesObserver: LifecycleObserver {
    public let path: String
    private let queue = DispatchQueue(label: "asyncdash.observers.jsonl")

    public init(path: String) {
        self.path = path
    }

    public func observe(_ event: LifecycleEvent) async throws {
        let line = Data((event.json.jsonText + "\n").utf8)
        let path = self.path
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            queue.async {
                do {
                    try FileManager.default.createDirectory(
                        at: URL(fileURLWithPath: path).deletingLastPathComponent(), withIntermediateDirectories: true)
                    let descriptor = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
                    guard descriptor >= 0 else { throw JSONLinesObserverError(path: path, code: errno) }
                    let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
                    try handle.write(contentsOf: line)
                    continuation.resume()
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
    }
}

/// The journal file of a ``JSONLinesObserver`` cannot be opened.
public struct JSONLinesObserverError: Error, CustomStringConvertible, Sendable {
    public var path: String
    public var code: Int32
    public var description: String { "cannot open \(path) for appending: \(String(cString: strerror(code)))" }
}
