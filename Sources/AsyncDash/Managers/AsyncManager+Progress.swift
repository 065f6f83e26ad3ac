import Foundation

extension AsyncManager {
    /// Stores `progress` as the task's progress entry (TTL `PROGRESS_TTL`) and emits a `progress` event.
    ///
    /// Returns the outcome of the emission: a failing hook or observer is reported there (and
    /// logged, counted, dead-lettered) rather than thrown, so progress reporting never breaks a task.
    ///
    /// - Throws: ``AsyncDashError`` (``AsyncDashError/Code/invalidTaskName``) for an empty task name;
    ///   store errors.
    @discardableResult
    public func updateProgress(_ taskName: String, _ progress: ProgressPayload) async throws -> EmitOutcome {
        try Self.validate(taskName: taskName)
        try await stores.coordination.setProgress(progress, for: taskName, ttl: settings.progressTTL)
        let message: String
        switch progress {
        case .text(let text): message = text
        case .structured(let p): message = p.message ?? ""
        }
        return await emit(LifecycleEvent(.progress, task: taskName, status: .inProgress, message: message, progress: progress, timestamp: context.clock.now()))
    }

    /// The task's current progress entry, or `nil` when there is none (or it expired).
    ///
    /// - Throws: ``AsyncDashError`` (``AsyncDashError/Code/invalidTaskName``) for an empty task name.
    public func getProgress(_ taskName: String) async throws -> ProgressPayload? {
        try Self.validate(taskName: taskName)
        return try await stores.coordination.progress(for: taskName)
    }

    static func validate(taskName: String) throws {
        if taskName.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            throw AsyncDashError(.invalidTaskName, value: taskName, message: "task name is empty; give the task a non-empty name")
        }
    }
}
