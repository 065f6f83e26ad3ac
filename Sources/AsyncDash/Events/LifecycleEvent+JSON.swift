import Foundation

extension LifecycleEvent {
    /// The event back from its ``json`` (what the outbox keeps); `nil` when `json` is not one.
    public init?(json: JSONValue) {
        guard let kindName = json["event"]?.stringValue, let taskName = json["task_name"]?.stringValue else { return nil }
        let kind = LifecycleEventKind(rawValue: kindName)
        var extra: [String: JSONValue] = [:]
        if case .object(let object)? = json["extra"] { extra = object }
        self.init(
            kind, task: taskName,
            status: json["status"]?.stringValue.map(TaskStatus.init(rawValue:)),
            message: json["message"]?.stringValue ?? "",
            progress: json["progress"].flatMap(ProgressPayload.init(json:)),
            user: json["user"], affected: json["affected"], args: json["args"], kwargs: json["kwargs"], result: json["result"],
            timestamp: json["timestamp"]?.stringValue.flatMap(ISO8601.parse) ?? Date(),
            extra: extra)
    }
}
