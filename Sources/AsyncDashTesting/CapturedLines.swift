import Logging
import Synchronization

/// Log lines captured from a `Logger`, each as `LEVEL MESSAGE key=value …` (metadata sorted by
/// key), for tests of code that logs.
///
/// ```swift
/// let lines = CapturedLines()
/// let logger = lines.logger()
/// logger.error("request failed", metadata: ["route": "GET /"])
/// #expect(lines.all == ["error request failed route=GET /"])
/// ```
public final class CapturedLines: Sendable {
    private let lines = Mutex<[String]>([])

    public init() {}

    /// Adds one line.
    public func append(_ line: String) { lines.withLock { $0.append(line) } }
    /// Every line so far, oldest first.
    public var all: [String] { lines.withLock { $0 } }

    /// A logger whose lines land here (every level, `trace` and up).
    public func logger(label: String = "test") -> Logger {
        Logger(label: label) { _ in CapturingHandler(lines: self) }
    }
}

private struct CapturingHandler: LogHandler {
    let lines: CapturedLines
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let pairs = (event.metadata ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        lines.append("\(event.level) \(event.message) \(pairs)")
    }
}
