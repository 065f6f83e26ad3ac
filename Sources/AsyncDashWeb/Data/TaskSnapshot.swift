import AsyncDash
import Foundation

/// What the progress endpoint, the live streams and the pages say about one task right now.
struct TaskSnapshot: Sendable, Equatable {
    var name: String
    /// The record's status; `in_progress` for an active task without a record.
    var status: String
    var message: String
    /// The live progress entry when there is one, else the record's progress column.
    var progress: JSONValue
    /// 0…1 when the progress has a total.
    var fraction: Double?
    var result: JSONValue
    var updatedAt: Date?
    var attempts: Int?

    var finished: Bool { TaskStatus(parsing: status)?.isTerminal ?? false }

    /// Progress as one line of text ("40/100 rows", "Reading rows").
    var progressText: String {
        switch progress {
        case .string(let text): return text
        case .null: return ""
        default:
            guard let payload = ProgressPayload(json: progress), case .structured(let p) = payload else { return progress.jsonText }
            var text = p.total.map { "\(p.done)/\($0)" } ?? "\(p.done)"
            if let unit = p.unit { text += " \(unit)" }
            if let message = p.message, !message.isEmpty { text += " — \(message)" }
            return text
        }
    }

    var json: JSONValue {
        var object: [String: JSONValue] = [
            "task_name": .string(name), "status": .string(status), "message": .string(message),
            "progress": progress, "progress_text": .string(progressText), "finished": .bool(finished),
        ]
        if let fraction { object["percent"] = .int(Int((fraction * 100).rounded())) }
        if !result.isNull { object["result"] = result }
        if let updatedAt { object["updated_at"] = .string(ISO8601.format(updatedAt)) }
        if let attempts { object["attempts"] = .int(attempts) }
        return .object(object)
    }
}
