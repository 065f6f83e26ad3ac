import Logging

/// The built-in `asyncdash.observers.log`: writes one swift-log line per event.
///
/// Config: `{ type: asyncdash.observers.log, events: [complete, fail], level: info }`. Without a
/// `label` it logs through the runtime's logger; with one, through `Logger(label:)`.
public struct LogObserver: LifecycleObserver {
    public var logger: Logger
    public var level: Logger.Level

    public init(logger: Logger = Logger(label: "asyncdash.events"), level: Logger.Level = .info) {
        self.logger = logger
        self.level = level
    }

    public func observe(_ event: LifecycleEvent) async throws {
        var metadata: Logger.Metadata = ["task": "\(event.taskName)", "event": "\(event.kind)"]
        if let status = event.status { metadata["status"] = "\(status)" }
        if let result = event.result { metadata["result"] = "\(result.jsonText)" }
        if let progress = event.progress { metadata["progress"] = "\(progress.json.jsonText)" }
        logger.log(level: level, "\(event.kind) \(event.taskName)\(event.message.isEmpty ? "" : ": " + event.message)", metadata: metadata)
    }
}
