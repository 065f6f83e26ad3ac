import AsyncDash
import Foundation

/// What a webhook posts for an event: the Standard Webhooks body (the default), or a template
/// filled in per event — for a chat's incoming webhook (``slack``, ``teams``) or any JSON your
/// receiver wants.
///
/// A template is JSON text with `{{field}}` placeholders inside its strings; each is replaced by
/// the event's value, escaped for a JSON string, so no event text can break the JSON. Fields:
/// ``Field``. A template is checked when the config is read: an unknown field, an unclosed
/// `{{`, or text that is not JSON once filled in is a config error.
///
/// ```yaml
/// observers:
///   - type: asyncdash.observers.webhook
///     durable: true
///     events: [fail]
///     url_env: OPS_SLACK_WEBHOOK_URL     # Slack's URL is its secret: read from the environment
///     format: slack                      # or teams, or template (with `template:`)
/// ```
public struct WebhookBody: Sendable, Hashable {
    /// The values a template can use.
    public enum Field: String, CaseIterable, Sendable {
        /// `create`, `progress`, `complete`, `fail`, `cleanup`.
        case event
        /// `task.<event>` (the Standard Webhooks body's `type`).
        case type
        case taskName = "task_name"
        /// The status the event reports (or implies), e.g. `failed`; empty when none.
        case status
        /// The event's message (a failure's error).
        case message
        /// The progress as text: `4/10 items (40%)`, or the task's own progress text; empty when none.
        case progress
        /// The task function of a finished run (`extra.function`); empty when unknown.
        case function
        /// How long a finished run took, e.g. `2.35 s`; empty when unknown.
        case duration
        /// The event's time, ISO 8601 in UTC.
        case timestamp
        /// The event's id (the same on every retry and replay).
        case eventID = "event_id"
        /// One line for people, e.g. `❌ Task import-42 (shop.tasks.import_books) failed: timeout`.
        case summary
    }

    enum Part: Sendable, Hashable {
        case text(String)
        case field(Field)
    }

    /// `nil`: the Standard Webhooks body.
    let parts: [Part]?

    /// `{"type": "task.<event>", "timestamp": "…", "data": <the event>}`, as Standard Webhooks says.
    public static let standard = WebhookBody(parts: nil)
    /// Slack's incoming webhooks (and Mattermost's, Rocket.Chat's, Discord's `/slack` ones):
    /// `{"text": "{{summary}}"}`.
    public static let slack = WebhookBody(parts: [.text(#"{"text": ""#), .field(.summary), .text(#""}"#)])
    /// A Microsoft Teams workflow ("When a Teams webhook request is received"): a message with
    /// one Adaptive Card showing the summary.
    public static let teams = WebhookBody(parts: [
        .text(
            #"{"type": "message", "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive", "content": "#
                + #"{"$schema": "http://adaptivecards.io/schemas/adaptive-card.json", "type": "AdaptiveCard", "version": "1.4", "#
                + #""body": [{"type": "TextBlock", "wrap": true, "text": ""#),
        .field(.summary),
        .text(#""}]}}]}"#),
    ])

    /// The longest template accepted, in bytes.
    public static let longestTemplate = 16 * 1024

    init(parts: [Part]?) {
        self.parts = parts
    }

    /// A template of your own.
    ///
    /// - Throws: ``WebhookConfigurationError`` naming the problem: an unknown field (with the valid
    ///   ones), an unclosed `{{`, a template over ``longestTemplate`` bytes, or one that is not JSON
    ///   once filled in.
    public init(template: String) throws(WebhookConfigurationError) {
        guard template.utf8.count <= Self.longestTemplate else {
            throw WebhookConfigurationError("template is \(template.utf8.count) bytes; at most \(Self.longestTemplate) are allowed")
        }
        var parts: [Part] = []
        var rest = Substring(template)
        while let open = rest.range(of: "{{") {
            if open.lowerBound > rest.startIndex { parts.append(.text(String(rest[..<open.lowerBound]))) }
            guard let close = rest[open.upperBound...].range(of: "}}") else {
                throw WebhookConfigurationError("template has a '{{' with no '}}' after it: '\(String(rest[open.lowerBound...]).cutForMessage(60))'")
            }
            let name = rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces)
            guard let field = Field(rawValue: name) else {
                let valid = Field.allCases.map(\.rawValue)
                throw WebhookConfigurationError(
                    "template field '{{\(name.cutForMessage(60))}}' is unknown\(Suggest.didYouMean(name, in: valid)); valid fields: \(valid.joined(separator: ", "))")
            }
            parts.append(.field(field))
            rest = rest[close.upperBound...]
        }
        if !rest.isEmpty { parts.append(.text(String(rest))) }
        self.parts = parts
        let sample = LifecycleEvent(
            .fail, task: "sample \"task\"", message: "a \\ sample\nerror", progress: .structured(StructuredProgress(done: 1, total: 2, unit: "items")),
            extra: ["function": "sample.function", "duration_ms": 1500])
        let filled = String(decoding: render(sample, eventID: "msg_sample"), as: UTF8.self)
        do {
            _ = try JSONValue(parsing: filled)
        } catch {
            throw WebhookConfigurationError("template is not JSON once filled in (\(error)); put each {{field}} inside a JSON string, e.g. {\"text\": \"{{summary}}\"}")
        }
    }

    /// Whether this is the Standard Webhooks body (whose receivers verify its signature).
    public var isStandard: Bool { parts == nil }

    /// The body for `event`.
    func render(_ event: LifecycleEvent, eventID: String) -> [UInt8] {
        guard let parts else {
            let object: JSONValue = [
                "type": .string("task.\(event.kind.rawValue)"),
                "timestamp": .string(ISO8601.format(event.timestamp)),
                "data": event.json,
            ]
            return Array(object.jsonText.utf8)
        }
        var text = ""
        for part in parts {
            switch part {
            case .text(let literal): text += literal
            case .field(let field): text += Self.escaped(Self.value(of: field, event, eventID: eventID))
            }
        }
        return Array(text.utf8)
    }

    /// `value` as the inside of a JSON string (no quotes).
    static func escaped(_ value: String) -> String {
        let quoted = JSONValue.string(value).jsonText
        return String(quoted.dropFirst().dropLast())
    }

    static func value(of field: Field, _ event: LifecycleEvent, eventID: String) -> String {
        switch field {
        case .event: event.kind.rawValue
        case .type: "task.\(event.kind.rawValue)"
        case .taskName: event.taskName
        case .status: (event.status ?? event.kind.impliedStatus)?.rawValue ?? ""
        case .message: event.message
        case .progress: progressText(event.progress)
        case .function: event.extra["function"]?.stringValue ?? ""
        case .duration: durationText(event)
        case .timestamp: ISO8601.format(event.timestamp)
        case .eventID: eventID
        case .summary: summary(event)
        }
    }

    static func progressText(_ progress: ProgressPayload?) -> String {
        switch progress {
        case nil: ""
        case .text(let text)?: text
        case .structured(let structured)?:
            [
                "\(structured.done)\(structured.total.map { "/\($0)" } ?? "")\(structured.unit.map { " \($0)" } ?? "")",
                structured.fraction.map { "(\(Int(($0 * 100).rounded()))%)" },
                structured.message,
            ].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: " ")
        }
    }

    static func durationText(_ event: LifecycleEvent) -> String {
        guard let ms = event.extra["duration_ms"]?.doubleValue ?? event.extra["duration_ms"]?.intValue.map(Double.init) else { return "" }
        return ms < 1_000 ? "\(Int(ms.rounded())) ms" : String(format: "%.2f s", ms / 1_000)
    }

    /// One line for people.
    static func summary(_ event: LifecycleEvent) -> String {
        var task = "Task \(event.taskName)"
        if let function = event.extra["function"]?.stringValue, !function.isEmpty { task += " (\(function))" }
        let took = durationText(event)
        let detail = event.message.isEmpty ? "" : ": \(event.message)"
        let status = event.status ?? event.kind.impliedStatus
        switch event.kind {
        case .create: return "🕓 \(task) queued\(detail)"
        case .progress:
            let progress = progressText(event.progress)
            return "⏳ \(task)\(progress.isEmpty ? " is running" : ": \(progress)")\(detail)"
        case .complete: return "✅ \(task) completed\(took.isEmpty ? "" : " in \(took)")\(detail)"
        case .fail:
            return status == .cancelled ? "⏹️ \(task) was cancelled\(detail)" : "❌ \(task) failed\(took.isEmpty ? "" : " after \(took)")\(detail)"
        case .cleanup: return "🧹 \(task) cleaned up"
        default: return "\(task): \(event.kind.rawValue)\(status.map { " (\($0.rawValue))" } ?? "")\(detail)"
        }
    }
}
