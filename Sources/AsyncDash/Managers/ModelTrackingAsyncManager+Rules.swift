import Foundation

/// The column writes one event makes, computed before the record is read so that formatting
/// happens outside the store's transaction.
struct RecordUpdate: Sendable {
    /// Writes skipped when a late `create`/`progress` meets a terminal record.
    var guarded: [(String, RecordValue)] = []
    /// Writes always made.
    var always: [(String, RecordValue)] = []
    /// Writes made only when the record is new (create_defaults, created_at).
    var onCreate: [(String, RecordValue)] = []
    var statusColumn: String?
    var isLateSensitive: Bool

    func apply(to record: inout Record, isNew: Bool) {
        if isNew {
            for (column, value) in onCreate { record[column] = value }
        }
        let isTerminal = statusColumn.flatMap { record[$0].text }.map { TaskStatus(rawValue: $0).isTerminal } ?? false
        if !(isLateSensitive && !isNew && isTerminal) {
            for (column, value) in guarded { record[column] = value }
        }
        for (column, value) in always { record[column] = value }
    }
}

extension ModelTrackingAsyncManager {
    /// The rules of DESIGN §3, per event kind:
    /// - status is set when the event carries one (or its kind implies one); `cleanup` keeps the
    ///   status unless the event carries one;
    /// - the message is set when non-empty, except on `progress`, which keeps the existing one;
    /// - `create` sets user, affected, args, kwargs; `progress` sets the progress (payload or message);
    /// - `complete` sets the result and completed_at; `fail` the result and failed_at;
    /// - `cleanup` sets cleaned;
    /// - a record with a terminal status keeps its status, message and progress when a late
    ///   `create` or `progress` arrives;
    /// - created_at is set on creation, updated_at on every write.
    func makeUpdate(for event: LifecycleEvent) -> RecordUpdate {
        let map = resolvedFieldMap
        let now = Date()
        var update = RecordUpdate(statusColumn: map["status"]?.name, isLateSensitive: event.kind == .create || event.kind == .progress)

        func set(_ logical: String, _ value: JSONValue?, guarded: Bool = false) {
            guard let column = map[logical] else { return }
            let coerced = RecordValue.coerce(value, to: column.type)
            if guarded { update.guarded.append((column.name, coerced)) } else { update.always.append((column.name, coerced)) }
        }
        func stamp(_ logical: String, _ date: Date, into list: inout [(String, RecordValue)]) {
            guard let column = map[logical] else { return }
            list.append((column.name, RecordValue.coerce(date, to: column.type)))
        }

        for (column, value) in defaultValues { update.onCreate.append((column, value)) }
        stamp("created_at", now, into: &update.onCreate)

        let status = event.kind == .cleanup ? event.status : (event.status ?? event.kind.impliedStatus)
        if let status { set("status", .string(status.rawValue), guarded: true) }
        if !event.message.isEmpty && event.kind != .progress { set("message", .string(event.message), guarded: true) }

        switch event.kind {
        case .create:
            set("user", .string(formatUser(event.user)))
            set("affected", .string(formatAffected(event.affected)))
            if let args = event.args { set("args", formatPayload(args)) }
            if let kwargs = event.kwargs { set("kwargs", formatPayload(kwargs)) }
        case .progress:
            set("progress", event.progress?.json ?? .string(event.message), guarded: true)
        case .complete:
            if let result = event.result { set("result", formatPayload(result)) }
            stamp("completed_at", event.timestamp, into: &update.always)
        case .fail:
            if let result = event.result { set("result", formatPayload(result)) }
            stamp("failed_at", event.timestamp, into: &update.always)
        case .cleanup:
            set("cleaned", .bool(true))
        default:
            break
        }
        stamp("updated_at", now, into: &update.always)
        return update
    }
}
