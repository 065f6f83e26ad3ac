/// A unit of background work registered by dotted name (e.g. `sample.tasks.update_items`).
///
/// It takes JSON arguments and a ``TaskContext`` (its name, a progress reporter, its attempt, and
/// descendant locks) and returns a JSON result; a throw is a failure. A ``RetryPolicy`` says how
/// often a failing job is tried again when it runs through a ``TaskQueue``.
///
/// ```swift
/// registry.register(taskFunction: TaskFunction(name: "myapp.tasks.reindex", retry: RetryPolicy(maxAttempts: 3)) { args, context in
///     let count = args["count"]?.intValue ?? 0
///     for i in 1...count {
///         try await context.progress(.structured(StructuredProgress(done: i, total: count, unit: "rows")))
///     }
///     return ["reindexed": .int(count)]
/// })
/// ```
public struct TaskFunction: Sendable {
    public let name: String
    /// How a failing job of this function is retried (default: not at all).
    public let retry: RetryPolicy
    public let run: @Sendable (_ args: JSONValue, _ context: TaskContext) async throws -> JSONValue

    public init(
        name: String,
        retry: RetryPolicy = .none,
        run: @escaping @Sendable (_ args: JSONValue, _ context: TaskContext) async throws -> JSONValue
    ) {
        self.name = name
        self.retry = retry
        self.run = run
    }
}
