import AsyncDash
import Foundation

/// How one column value is shown: the context a `cell` template renders. Every string here is
/// escaped by the template (`{{…}}`), never inserted raw.
struct CellView {
    let data: DashboardData
    let prefix: String
    let now: Date

    static let icons = ["pending": "◷", "in_progress": "▶", "success": "✓", "failed": "✗", "cancelled": "⊘"]
    static let logicalLabels = [
        "task_name": "Task", "status": "Status", "message": "Message", "progress": "Progress", "user": "User",
        "affected": "Affected objects", "kwargs": "Keyword arguments", "args": "Arguments", "result": "Result",
        "cleaned": "Cleaned up", "completed_at": "Completed", "failed_at": "Failed", "created_at": "Created",
        "updated_at": "Updated", "function": "Function", "attempts": "Attempts", "locks": "Locked objects",
    ]

    /// The logical field a column holds, if any.
    func logical(_ column: String) -> String? {
        data.manager.resolvedFieldMap.columns.first { $0.value.name == column }?.key
    }

    func label(_ column: String) -> String {
        if let logical = logical(column), let label = Self.logicalLabels[logical] { return label }
        let words = column.replacingOccurrences(of: "_", with: " ")
        return words.prefix(1).uppercased() + words.dropFirst()
    }

    static func icon(_ status: String) -> String { icons[status] ?? "•" }

    func taskHref(_ name: String) -> String { "\(prefix)/\(PathEncoding.segment(name))/" }

    func cell(_ column: String, of record: Record, snapshotFraction: Double? = nil) -> [String: Any] {
        let value = record[column]
        // Every flag the `cell` template asks for is present, so Mustache finds it in the cell
        // itself instead of searching the enclosing contexts (a large part of a page's cost).
        var cell: [String: Any] = [
            "label": label(column), "column": column, "isName": false, "isStatus": false, "isTime": false,
            "isJSON": false, "isPlain": false, "isEmpty": false, "affected": false, "showBar": false,
        ]
        let role = logical(column)
        if column == data.model.keyColumn {
            let name = value.text ?? ""
            cell["isName"] = true
            cell["text"] = name
            cell["href"] = taskHref(name)
            if let affected = data.column("affected"), let text = record[affected].text, !text.isEmpty { cell["affected"] = text }
            return cell
        }
        if role == "status" {
            let status = value.text ?? TaskStatus.pending.rawValue
            cell["isStatus"] = true
            cell["status"] = Self.cssToken(status)
            cell["icon"] = Self.icon(status)
            cell["text"] = status
            if status == TaskStatus.inProgress.rawValue, let fraction = snapshotFraction ?? fraction(of: record) {
                cell["showBar"] = true
                cell["percent"] = Int((fraction * 100).rounded())
            }
            return cell
        }
        switch value {
        case .null, .json(.null):
            cell["isEmpty"] = true
        case .timestamp(let date):
            cell["isTime"] = true
            cell.merge(Self.time(date, now: now)) { $1 }
        case .json(let json):
            cell["isJSON"] = true
            cell["text"] = Self.shown(json)
        case .text(let text) where role == "progress" || role == "result" || role == "args" || role == "kwargs":
            if let parsed = try? JSONValue(parsing: text), parsed.isContainer {
                cell["isJSON"] = true
                cell["text"] = Self.shown(parsed)
            } else {
                cell["isPlain"] = true
                cell["text"] = Self.shown(text)
            }
        case .text(let text) where text.isEmpty:
            cell["isEmpty"] = true
        default:
            cell["isPlain"] = true
            cell["text"] = Self.shown(value.text ?? value.json.jsonText)
        }
        return cell
    }

    /// A stored JSON value as the page shows it: pretty, within ``JSONDisplayLimits/dashboard``,
    /// with a note when something was cut (the JSON API has it whole).
    static func shown(_ json: JSONValue) -> String {
        let (bounded, cut) = json.bounded()
        return bounded.prettyJSONText + (cut ? "\n(cut for display: the whole value is in the JSON API)" : "")
    }

    /// A stored text as the page shows it: at most 20,000 characters, then a note.
    static func shown(_ text: String) -> String {
        guard text.count > 20_000 else { return text }
        return String(text.prefix(20_000)) + "… (cut for display: \(text.count) characters in all; the whole value is in the JSON API)"
    }

    /// The record's progress fraction (structured progress with a total).
    func fraction(of record: Record) -> Double? {
        guard let column = data.column("progress") else { return nil }
        var json = record[column].json
        if case .string(let text) = json, let parsed = try? JSONValue(parsing: text) { json = parsed }
        guard let payload = ProgressPayload(json: json), case .structured(let p) = payload else { return nil }
        return p.fraction
    }

    /// `iso`, `absolute`, `relative` for a point in time.
    static func time(_ date: Date, now: Date) -> [String: Any] {
        ["iso": ISO8601.format(date), "absolute": absolute(date), "relative": relative(date, now: now)]
    }

    /// `2026-11-29 06:34:10 UTC` (from the ISO 8601 text: no formatter is built per value).
    static func absolute(_ date: Date) -> String {
        let iso = ISO8601.format(date)  // 2026-11-29T06:34:10.827Z
        guard iso.utf8.count >= 19 else { return iso }
        return iso.prefix(10) + " " + iso.dropFirst(11).prefix(8) + " UTC"
    }

    static func relative(_ date: Date, now: Date) -> String {
        let seconds = Int(saturating: now.timeIntervalSince(date).rounded())
        let magnitude = abs(seconds)
        let text = magnitude < 5 ? "just now"
            : magnitude < 60 ? "\(magnitude) s"
            : magnitude < 3_600 ? "\(magnitude / 60) min"
            : magnitude < 86_400 ? "\(magnitude / 3_600) h" : "\(magnitude / 86_400) d"
        if text == "just now" { return text }
        return seconds < 0 ? "in \(text)" : "\(text) ago"
    }

    /// Letters, digits, `_` and `-` only (for a CSS class built from data).
    static func cssToken(_ text: String) -> String {
        String(text.unicodeScalars.filter { c in
            (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || (c >= "0" && c <= "9") || c == "_" || c == "-"
        }.map(Character.init))
    }
}

/// Percent-encoding for path segments and query values.
enum PathEncoding {
    static let unreserved: CharacterSet = {
        var set = CharacterSet.alphanumerics.intersection(CharacterSet(charactersIn: Unicode.Scalar(0)...Unicode.Scalar(127)))
        set.insert(charactersIn: "-._~")
        return set
    }()

    /// `text` as one path segment. `-`, `.` and `..` are encoded whole (`%2D`, `%2E`, `%2E%2E`):
    /// browsers drop dot segments, and `-` is the dashboard's own segment (`P/-/stream`).
    static func segment(_ text: String) -> String {
        if text == "-" || text == "." || text == ".." {
            return text.unicodeScalars.map { "%" + String($0.value, radix: 16, uppercase: true) }.joined()
        }
        return text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? ""
    }

    static func query(_ pairs: [(String, String)]) -> String {
        pairs.map { "\(segment($0.0))=\(segment($0.1))" }.joined(separator: "&")
    }
}
