import Foundation

/// One lifecycle event of a task, as handed to a manager's hook and to observers.
///
/// ```swift
/// let event = LifecycleEvent(.create, task: "import-42", status: .pending, message: "Task queued",
///                            user: "alice", affected: ["book:1", "book:2"], kwargs: ["dry_run": false])
/// await manager.emit(event)
/// ```
public struct LifecycleEvent: Sendable, Hashable {
    public var kind: LifecycleEventKind
    public var taskName: String
    /// The status the event reports, or `nil` (see ``LifecycleEventKind/impliedStatus``).
    public var status: TaskStatus?
    public var message: String
    public var progress: ProgressPayload?
    /// The user who launched the task: a string, or an object with a `username`.
    public var user: JSONValue?
    /// The objects the task touches (e.g. `["book:1", "book:2"]`).
    public var affected: JSONValue?
    public var args: JSONValue?
    public var kwargs: JSONValue?
    public var result: JSONValue?
    /// When the event happened; defaults to now. Truncated to the microsecond when the event is
    /// made: the precision every store keeps.
    public var timestamp: Date
    /// Extra keys, passed through to observers.
    public var extra: [String: JSONValue]

    public init(
        _ kind: LifecycleEventKind,
        task taskName: String,
        status: TaskStatus? = nil,
        message: String = "",
        progress: ProgressPayload? = nil,
        user: JSONValue? = nil,
        affected: JSONValue? = nil,
        args: JSONValue? = nil,
        kwargs: JSONValue? = nil,
        result: JSONValue? = nil,
        timestamp: Date = Date(),
        extra: [String: JSONValue] = [:]
    ) {
        self.kind = kind
        self.taskName = taskName
        self.status = status
        self.message = message
        self.progress = progress
        self.user = user
        self.affected = affected
        self.args = args
        self.kwargs = kwargs
        self.result = result
        self.timestamp = timestamp.truncatedToMicroseconds
        self.extra = extra
    }

    /// The event as one JSON object (for logs, dead letters and plugins).
    public var json: JSONValue {
        var o: [String: JSONValue] = [
            "event": .string(kind.rawValue),
            "task_name": .string(taskName),
            "message": .string(message),
            "timestamp": .string(ISO8601.format(timestamp)),
        ]
        if let status { o["status"] = .string(status.rawValue) }
        if let progress { o["progress"] = progress.json }
        if let user { o["user"] = user }
        if let affected { o["affected"] = affected }
        if let args { o["args"] = args }
        if let kwargs { o["kwargs"] = kwargs }
        if let result { o["result"] = result }
        if !extra.isEmpty { o["extra"] = .object(extra) }
        return .object(o)
    }
}
