import Foundation

extension ModelTrackingAsyncManager {
    /// The rules of DESIGN §3, per event kind:
    /// - status is set when the event carries one (or its kind implies one); `cleanup` keeps the
    ///   status unless the event carries one;
    /// - the message is set when non-empty, except on `progress`, which keeps the existing one;
    /// - `create` sets user, affected, args, kwargs; `progress` sets the progress (payload or message);
    /// - `complete` sets the result and completed_at; `fail` the result and failed_at;
    /// - `cleanup` sets cleaned;
    /// - a record with a terminal status is never rewritten by a later event of any kind: its
    ///   status, message, progress, result, `completed_at` and `failed_at` stay (so a `complete`
    ///   after a `fail` leaves it failed, and `completed_at` and `failed_at` are never both set);
    ///   `cleanup` still marks it cleaned, and `updated_at` moves;
    /// - a progress event with neither a payload nor a message keeps the stored progress;
    /// - a new record starts as status pending, not cleaned, its text columns empty (`""`, as the
    ///   seed's `TextField(blank=True)`), with `create_defaults`;
    /// - created_at is set on creation, updated_at on every write;
    /// - `create` sets the task function's name (`extra["function"]`) and the locked objects
    ///   (`extra["locks"]`, lock keys), and any event carrying
    ///   `extra["attempt"]` sets attempts (so the dashboard can retry and show attempts).
    ///
    /// Exposed so a subclass or a store can inspect exactly what an event writes.
    public func makeChange(for event: LifecycleEvent) -> RecordChange {
        let map = resolvedFieldMap
        let now = context.clock.now().truncatedToMicroseconds
        var update = RecordChange()
        if let statusColumn = map["status"] {
            update.guardColumn = statusColumn.name
            update.guardValues = Self.terminalStatuses
        }

        func set(_ logical: String, _ value: JSONValue?, guarded: Bool = false) {
            guard let column = map[logical] else { return }
            let assignment = RecordChange.Assignment(column.name, RecordValue.coerce(value, to: column.type))
            if guarded { update.guarded.append(assignment) } else { update.always.append(assignment) }
        }
        func stamp(_ logical: String, _ date: Date, into list: inout [RecordChange.Assignment]) {
            guard let column = map[logical] else { return }
            list.append(RecordChange.Assignment(column.name, RecordValue.coerce(date, to: column.type)))
        }

        // The seed model's column defaults (text empty, status pending, not cleaned up), then
        // create_defaults.
        for column in recordModel.columns where column.type == .text && column.name != recordModel.keyColumn {
            update.onInsert.append(.init(column.name, .text("")))
        }
        if let column = map["status"] { update.onInsert.append(.init(column.name, RecordValue.coerce(.string(TaskStatus.pending.rawValue), to: column.type))) }
        if let column = map["cleaned"] { update.onInsert.append(.init(column.name, RecordValue.coerce(.bool(false), to: column.type))) }
        for (column, value) in defaultValues.sorted(by: { $0.key < $1.key }) { update.onInsert.append(.init(column, value)) }
        stamp("created_at", now, into: &update.onInsert)

        let status = event.kind == .cleanup ? event.status : (event.status ?? event.kind.impliedStatus)
        if let status { set("status", .string(status.rawValue), guarded: true) }
        if !event.message.isEmpty && event.kind != .progress { set("message", .string(event.message), guarded: true) }

        switch event.kind {
        case .create:
            set("user", .string(formattedUser(event.user)))
            set("affected", .string(formattedAffected(event.affected)))
            if let args = event.args { set("args", formattedPayload(args)) }
            if let kwargs = event.kwargs { set("kwargs", formattedPayload(kwargs)) }
            if let function = event.extra["function"] { set("function", function) }
            if let locks = event.extra["locks"] { set("locks", locks) }
        case .progress:
            if let progress = event.progress {
                set("progress", progress.json, guarded: true)
            } else if !event.message.isEmpty {
                set("progress", .string(event.message), guarded: true)
            }
        case .complete:
            if let result = event.result { set("result", formattedPayload(result), guarded: true) }
            stamp("completed_at", event.timestamp, into: &update.guarded)
        case .fail:
            if let result = event.result { set("result", formattedPayload(result), guarded: true) }
            stamp("failed_at", event.timestamp, into: &update.guarded)
        case .cleanup:
            set("cleaned", .bool(true))
        default:
            break
        }
        if let attempt = event.extra["attempt"] { set("attempts", attempt) }
        stamp("updated_at", now, into: &update.always)
        return update
    }

    /// The statuses a late `create` or `progress` must not overwrite.
    static let terminalStatuses = TaskStatus.allCases.filter(\.isTerminal).map(\.rawValue)
}
