import Logging

/// The base manager: lifecycle hook, safe emission, progress, conflict locks, the active set.
///
/// Subclass it and override ``asyncTaskLifecycle(_:)`` for side effects; register the subclass
/// under a dotted name so config can select it:
///
/// ```swift
/// final class AuditingManager: AsyncManager, @unchecked Sendable {
///     override func asyncTaskLifecycle(_ event: LifecycleEvent) async throws {
///         try await audit.write(event.taskName, event.kind.rawValue)
///     }
/// }
/// registry.register(AuditingManager.self, as: "myapp.AuditingManager")
/// ```
///
/// A manager holds only immutable configuration (its ``context``); mutable state lives in the
/// stores, which are actors or databases. Subclasses must restate `@unchecked Sendable` and
/// keep to `let` properties.
open class AsyncManager: @unchecked Sendable {
    public let context: ManagerContext
    /// Holds a launched job back until its `create` was emitted (see `LaunchGate`).
    let launchGate = LaunchGate()

    /// Builds the manager from its context. Subclasses override to validate their configuration.
    public required init(context: ManagerContext) throws {
        self.context = context
    }

    public var name: String { context.name }
    public var settings: AsyncSettings { context.settings }
    public var stores: StoreSet { context.stores }
    public var logger: Logger { context.logger }
    public var diagnostics: ManagerDiagnostics { context.diagnostics }

    /// The lifecycle hook, called once per event before the observer chain. No-op by default.
    ///
    /// Throwing here never breaks a launch or a worker: ``emit(_:)`` logs the error, counts it,
    /// and keeps the event as a dead letter in the coordination store.
    open func asyncTaskLifecycle(_ event: LifecycleEvent) async throws {}

    /// Removes extra artefacts of a task during clean-up; returns how many. 0 by default.
    open func cleanupDashboardData(_ taskName: String) async throws -> Int { 0 }

    /// What happened when an event was emitted.
    public struct EmitOutcome: Sendable {
        /// The hook's error, if it threw (the event was then dead-lettered).
        public var hookError: (any Error)?
        public var observerFailures: [ObserverChain.Failure]
        public var succeeded: Bool { hookError == nil && observerFailures.isEmpty }
    }

    /// Sends `event` to the hook, then to the observer chain. Never throws: a failing hook is
    /// logged, counted and dead-lettered; failing observers are logged and counted.
    @discardableResult
    public func emit(_ event: LifecycleEvent) async -> EmitOutcome {
        var outcome = EmitOutcome(hookError: nil, observerFailures: [])
        do {
            try await asyncTaskLifecycle(event)
        } catch {
            outcome.hookError = error
            await reportHookFailure(event, error)
        }
        outcome.observerFailures = await context.observers.notify(event, logger: logger, diagnostics: diagnostics)
        return outcome
    }

    /// Like ``emit(_:)``, but a failing hook is thrown to the caller (who then owns the event)
    /// and the observers run only when the hook succeeded. For callers that can report the
    /// error themselves, such as `asyncdash emit`.
    @discardableResult
    public func emitOrThrow(_ event: LifecycleEvent) async throws -> [ObserverChain.Failure] {
        try await asyncTaskLifecycle(event)
        return await context.observers.notify(event, logger: logger, diagnostics: diagnostics)
    }

    private func reportHookFailure(_ event: LifecycleEvent, _ error: any Error) async {
        logger.error(
            "lifecycle hook failed; event kept as a dead letter",
            metadata: ["manager": "\(name)", "task": "\(event.taskName)", "event": "\(event.kind)", "error": "\(error)"]
        )
        let letter = DeadLetter(taskName: event.taskName, event: event.json, reason: "\(error)", at: event.timestamp)
        do {
            try await stores.coordination.deadLetter(letter)
            await diagnostics.recordHookFailure(deadLettered: true)
        } catch let deadLetterError {
            await diagnostics.recordHookFailure(deadLettered: false)
            logger.critical(
                "lifecycle event lost: the hook failed and the dead letter could not be written",
                metadata: ["task": "\(event.taskName)", "event": "\(event.json.jsonText)", "error": "\(deadLetterError)"]
            )
        }
    }
}
