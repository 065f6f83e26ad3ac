import Dispatch
import Foundation

/// Waits for SIGTERM or SIGINT with `DispatchSource` signal sources (their default actions are
/// ignored first, so the process is not killed by them).
///
/// ```swift
/// let signals = SignalWaiter()          // install before starting work
/// let received = await signals.next()   // "SIGTERM" or "SIGINT"
/// ```
final class SignalWaiter: @unchecked Sendable {
    private let stream: AsyncStream<Int32>
    private let continuation: AsyncStream<Int32>.Continuation
    private let sources: [any DispatchSourceSignal]

    /// Installs the handlers of `signals` (default SIGTERM and SIGINT).
    init(signals: [Int32] = [SIGTERM, SIGINT]) {
        let (stream, continuation) = AsyncStream<Int32>.makeStream()
        self.stream = stream
        self.continuation = continuation
        let queue = DispatchQueue(label: "asyncdash.signals")
        sources = signals.map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler { continuation.yield(number) }
            source.resume()
            return source
        }
    }

    deinit {
        for source in sources { source.cancel() }
        continuation.finish()
    }

    /// The name of the next signal received (`SIGTERM`, `SIGINT`).
    func next() async -> String {
        var iterator = stream.makeAsyncIterator()
        guard let number = await iterator.next() else { return "end" }
        return Self.name(of: number)
    }

    static func name(of number: Int32) -> String {
        switch number {
        case SIGTERM: "SIGTERM"
        case SIGINT: "SIGINT"
        default: "signal \(number)"
        }
    }
}
