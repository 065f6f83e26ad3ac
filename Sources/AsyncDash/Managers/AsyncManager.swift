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
    private let _outboxWakeup = Wakeup()

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
        /// Why the durable observers' outbox messages could not be written, if they could not
        /// (the event was then dead-lettered).
        public var outboxError: (any Error)?
        public var succeeded: Bool { hookError == nil && outboxError == nil }
    }

    /// Sends `event` to the hook (the record write, with the durable observers' outbox messages
    /// in its transaction), then hands it to the best-effort observers' buffers, and returns —
    /// it never waits for an observer (DESIGN §9). Never throws: a failing hook is logged, counted
    /// and dead-lettered.
    @discardableResult
    public func emit(_ event: LifecycleEvent) async -> EmitOutcome {
        var outcome = EmitOutcome(hookError: nil, outboxError: nil)
        do {
            try await runHook(event)
        } catch let failure as HookFailure {
            outcome.hookError = failure.hookError
            outcome.outboxError = failure.outboxError
            if let hookError = failure.hookError { await reportHookFailure(event, hookError) }
        } catch {}
        await context.observers.dispatch(event, manager: name, logger: logger, diagnostics: diagnostics)
        return outcome
    }

    /// Like ``emit(_:)``, but a failing hook is thrown to the caller (who then owns the event)
    /// and the observers receive the event only when the hook succeeded. For callers that can
    /// report the error themselves, such as `asyncdash emit`.
    public func emitOrThrow(_ event: LifecycleEvent) async throws {
        do {
            try await runHook(event)
        } catch let failure as HookFailure {
            if let hookError = failure.hookError { throw hookError }
        }
        await context.observers.dispatch(event, manager: name, logger: logger, diagnostics: diagnostics)
    }

    /// Waits until the best-effort observers have handled every event given to them, or `timeout`
    /// passed; returns whether they all did. Short-lived processes (`asyncdash emit`) call it
    /// before they exit; tests call it before reading what an observer saw.
    @discardableResult
    public func flushObservers(timeout: Duration = .seconds(30)) async -> Bool {
        await context.observers.flush(timeout: timeout)
    }

    /// Signalled whenever this manager writes to the outbox, so this process's
    /// ``OutboxDispatcher`` delivers at once.
    public var outboxWakeup: Wakeup { _outboxWakeup }

    private struct HookFailure: Error {
        var hookError: (any Error)?
        var outboxError: (any Error)?
    }

    /// Runs the hook inside an ``OutboxScope`` holding the durable observers' messages, then
    /// appends the ones the hook did not write with its record (all of them when it failed). A
    /// message that cannot be written at all is kept as a dead letter with its event.
    private func runHook(_ event: LifecycleEvent) async throws {
        if let tooDeep = event.valueNestedTooDeep {
            throw HookFailure(hookError: AsyncDashError(
                .invalidArgument, value: tooDeep,
                message: "the event's \(tooDeep) is nested more than \(JSONValue.maximumNesting) levels deep; it is refused (no store or page could use it)"))
        }
        let messages = context.observers.outboxMessages(for: event, manager: name)
        guard !messages.isEmpty else {
            do { try await asyncTaskLifecycle(event) } catch { throw HookFailure(hookError: error) }
            return
        }
        let scope = OutboxScope(messages)
        var hookError: (any Error)?
        do {
            try await OutboxScope.$current.withValue(scope) { try await asyncTaskLifecycle(event) }
        } catch {
            hookError = error
        }
        let leftover = scope.leftover(hookFailed: hookError != nil)
        var outboxError: (any Error)?
        if !leftover.isEmpty {
            do {
                try await stores.outbox.append(leftover)
            } catch {
                outboxError = error
                await reportOutboxFailure(event, error)
            }
        }
        _outboxWakeup.signal()
        if hookError != nil || outboxError != nil { throw HookFailure(hookError: hookError, outboxError: outboxError) }
    }

    private func reportOutboxFailure(_ event: LifecycleEvent, _ error: any Error) async {
        await diagnostics.recordOutboxFailure()
        let letter = DeadLetter(taskName: event.taskName, event: event.json, reason: "durable observers' outbox could not be written: \(error)", at: event.timestamp)
        do {
            try await stores.coordination.deadLetter(letter)
            logger.error("outbox write failed; event kept as a dead letter", metadata: ["task": "\(event.taskName)", "event": "\(event.kind)", "error": "\(error)"])
        } catch let deadLetterError {
            logger.critical(
                "lifecycle event lost for durable observers: the outbox and the dead letter could not be written",
                metadata: ["task": "\(event.taskName)", "event": "\(event.json.jsonText)", "error": "\(error)", "dead_letter_error": "\(deadLetterError)"])
        }
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
