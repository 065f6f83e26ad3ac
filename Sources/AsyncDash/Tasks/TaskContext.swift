/// What a running task function is given: its task name, a progress reporter, its attempt, and a
/// way to lock descendant objects under the task's own name.
///
/// While a task function runs, its context is also the task-local ``current``, so code at any
/// depth of the call stack (a model's `save()`, a helper three calls down) can reach it without
/// passing it around — powercrud's `task_context`:
///
/// ```swift
/// func saveChapter(_ chapter: Chapter) async throws {
///     if let task = TaskContext.current {
///         try await task.registerDescendantConflicts([ObjectRef(model: "chapter", id: chapter.id)])
///         try await task.progress(.text("Saving chapter \(chapter.id)"))
///     }
/// }
/// ```
public struct TaskContext: Sendable {
    /// The context of the task function running in this Swift task, or `nil` outside one.
    @TaskLocal public static var current: TaskContext?

    /// Whether code is running inside a task function, so a nested launch should not queue a new
    /// task (powercrud's `skip_nested_async()`). ``AsyncManager/launchAsyncTask(_:args:taskName:locking:user:affected:queue:)``
    /// honours it: inside a task it runs the function inline, under the current task.
    public static var skipNestedAsync: Bool { current != nil }

    /// The task's name (its dashboard key).
    public let taskName: String
    /// This attempt's number, from 1.
    public let attempt: Int
    /// How many attempts the task may take in all.
    public let maxAttempts: Int
    private let report: @Sendable (ProgressPayload) async throws -> Void
    private let lock: (@Sendable ([ObjectRef]) async throws -> Void)?

    /// A context for attempt 1 of 1. Without `registerLocks` (e.g. in a unit test of a task
    /// function), ``registerDescendantConflicts(_:)`` does nothing, as powercrud's does outside a task.
    public init(
        taskName: String,
        attempt: Int = 1,
        maxAttempts: Int = 1,
        report: @escaping @Sendable (ProgressPayload) async throws -> Void,
        registerLocks: (@Sendable ([ObjectRef]) async throws -> Void)? = nil
    ) {
        self.taskName = taskName
        self.attempt = attempt
        self.maxAttempts = maxAttempts
        self.report = report
        self.lock = registerLocks
    }

    /// Reports progress: stored as the task's progress entry and emitted as a `progress` event.
    public func progress(_ progress: ProgressPayload) async throws {
        try await report(progress)
    }

    /// Adds conflict locks on `objects` for this task, all or nothing; they are released with the
    /// task's other locks when it finishes.
    ///
    /// - Throws: ``AsyncDashError`` with code ``AsyncDashError/Code/conflict`` listing the objects
    ///   another task holds (none of `objects` is then locked).
    public func registerDescendantConflicts(_ objects: [ObjectRef]) async throws {
        try await lock?(objects)
    }

    /// Whether the task was cancelled (``AsyncManager/cancel(_:queue:)``); a task function should
    /// then stop soon, e.g. with ``checkCancellation()``.
    public var isCancelled: Bool { Task.isCancelled }

    /// Throws `CancellationError` when the task was cancelled.
    public func checkCancellation() throws { try Task.checkCancellation() }

    /// Runs `body` with this context as ``current``.
    public func bind<T: Sendable>(_ body: () async throws -> T) async rethrows -> T {
        try await Self.$current.withValue(self) { try await body() }
    }
}
