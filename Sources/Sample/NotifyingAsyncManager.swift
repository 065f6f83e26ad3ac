import AsyncDash
import Logging

/// `sample.async_manager.NotifyingAsyncManager`: the seed's §4 example — records the event
/// like its base, then notifies ops of failures and logs successes.
///
/// For notifications you can change without recompiling, prefer config observers
/// (`MANAGERS: {…: {observers: [...]}}`); this class shows the subclassing route.
open class NotifyingAsyncManager: SampleAsyncManager, @unchecked Sendable {
    public static let notifyingName = "sample.async_manager.NotifyingAsyncManager"

    open override class var dottedName: String { notifyingName }

    open override func asyncTaskLifecycle(_ event: LifecycleEvent) async throws {
        try await super.asyncTaskLifecycle(event)
        switch event.kind {
        case .fail:
            notifyOps("Task \(event.taskName) failed: \(event.result?.jsonText ?? event.message)")
        case .complete:
            logSuccess(event.taskName, event.result)
        default:
            break
        }
    }

    /// Tells operations about a failure. Logs at `error` level under `asyncdash.ops`; override to page someone.
    open func notifyOps(_ message: String) {
        var ops = logger
        ops[metadataKey: "channel"] = "ops"
        ops.error("\(message)")
    }

    /// Records a success. Logs at `notice` level (shown by default).
    open func logSuccess(_ taskName: String, _ result: JSONValue?) {
        logger.notice("Task \(taskName) succeeded", metadata: ["result": "\(result?.jsonText ?? "null")"])
    }
}
