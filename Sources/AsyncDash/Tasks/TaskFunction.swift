/// A unit of background work registered by dotted name (e.g. `sample.tasks.update_items`).
///
/// It takes JSON arguments and a ``TaskContext`` (its name and a progress reporter) and returns a
/// JSON result; a throw is a failure.
///
/// ```swift
/// registry.register(taskFunction: TaskFunction(name: "myapp.tasks.reindex") { args, context in
///     let count = args["count"]?.intValue ?? 0
///     for i in 1...count {
///         try await context.progress(.structured(StructuredProgress(done: i, total: count, unit: "rows")))
///     }
///     return ["reindexed": .int(count)]
/// })
/// ```
public struct TaskFunction: Sendable {
    public let name: String
    public let run: @Sendable (_ args: JSONValue, _ context: TaskContext) async throws -> JSONValue

    public init(name: String, run: @escaping @Sendable (_ args: JSONValue, _ context: TaskContext) async throws -> JSONValue) {
        self.name = name
        self.run = run
    }
}

/// What a running task function is given: its task name and a way to report progress.
public struct TaskContext: Sendable {
    /// The task's name (its dashboard key).
    public let taskName: String
    private let report: @Sendable (ProgressPayload) async throws -> Void

    public init(taskName: String, report: @escaping @Sendable (ProgressPayload) async throws -> Void) {
        self.taskName = taskName
        self.report = report
    }

    /// Reports progress: stored as the task's progress entry and emitted as a `progress` event.
    public func progress(_ progress: ProgressPayload) async throws {
        try await report(progress)
    }
}
