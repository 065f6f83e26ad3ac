/// A store stopped or refused a read to keep the others fast: the read ran past the store's time
/// limit, or too many long reads were already waiting.
///
/// Stores run reads that may scan many rows (a searched listing, counts without a kept total) on
/// connections of their own, a few at a time and each with a time limit, so cheap reads (one
/// task's progress, one record) never wait behind them. When a long read is cut short or turned
/// away the store throws this error; a server answers it with `503 Service Unavailable` and a
/// `Retry-After` header, not with a 500.
///
/// ```swift
/// do {
///     _ = try await stores.records.page(model, query: query)
/// } catch let error as StoreBusyError {
///     print(error)   // the read of tasks took longer than 10 s and was stopped; …
/// }
/// ```
public struct StoreBusyError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Why the read did not complete.
    public enum Reason: Sendable, Hashable {
        /// The read ran longer than the store's time limit and was interrupted.
        case timeLimit(Duration)
        /// This many long reads were running or waiting already; the read was not started.
        case tooManyWaiting(Int)
    }

    /// Why the read did not complete.
    public var reason: Reason
    /// What was being read, e.g. `a page of tasks`.
    public var operation: String

    public init(_ reason: Reason, operation: String) {
        self.reason = reason
        self.operation = operation
    }

    public var description: String {
        switch reason {
        case .timeLimit(let limit):
            "\(operation) took longer than \(limit) and was stopped; narrow the search or raise the store's read time limit"
        case .tooManyWaiting(let count):
            "\(operation) was not started: \(count) long reads are already running or waiting; try again shortly"
        }
    }
}
