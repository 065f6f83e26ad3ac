import Foundation

/// How often a failing task is tried, and how long to wait between attempts: exponential
/// backoff with jitter.
///
/// The wait after failed attempt `n` is `initialDelay × multiplier^(n-1)`, capped at `maxDelay`,
/// then shortened by a random fraction of at most `jitter` (so jobs that failed together do not
/// retry together).
///
/// ```swift
/// let policy = RetryPolicy(maxAttempts: 3, initialDelay: .seconds(1), multiplier: 2, maxDelay: .seconds(30))
/// policy.baseDelay(afterAttempt: 2)   // 2 s (before jitter)
/// ```
public struct RetryPolicy: Sendable, Hashable {
    /// Attempts in all, including the first (≥ 1).
    public var maxAttempts: Int
    public var initialDelay: Duration
    public var multiplier: Double
    public var maxDelay: Duration
    /// The largest fraction (0...1) taken off a delay at random.
    public var jitter: Double

    /// - Precondition: `maxAttempts ≥ 1`, `multiplier ≥ 1`, `jitter` in 0...1 (programmer errors).
    public init(
        maxAttempts: Int,
        initialDelay: Duration = .seconds(1),
        multiplier: Double = 2,
        maxDelay: Duration = .seconds(300),
        jitter: Double = 0.2
    ) {
        precondition(maxAttempts >= 1, "a retry policy needs at least one attempt")
        precondition(multiplier >= 1, "a retry policy's multiplier must be at least 1")
        precondition((0...1).contains(jitter), "a retry policy's jitter must be between 0 and 1")
        self.maxAttempts = maxAttempts
        self.initialDelay = initialDelay
        self.multiplier = multiplier
        self.maxDelay = maxDelay
        self.jitter = jitter
    }

    /// One attempt, no retry.
    public static let none = RetryPolicy(maxAttempts: 1)

    /// The delay after failed attempt `attempt` (1-based), before jitter.
    public func baseDelay(afterAttempt attempt: Int) -> Duration {
        let factor = pow(multiplier, Double(max(0, attempt - 1)))
        let seconds = min(maxDelay.timeInterval, initialDelay.timeInterval * factor)
        return .milliseconds(Int64((seconds * 1000).rounded()))
    }

    /// The delay after failed attempt `attempt`, with jitter applied.
    public func delay(afterAttempt attempt: Int) -> Duration {
        let base = baseDelay(afterAttempt: attempt)
        let cut = jitter > 0 ? Double.random(in: 0..<jitter) : 0
        return .milliseconds(Int64((base.timeInterval * (1 - cut) * 1000).rounded()))
    }
}
