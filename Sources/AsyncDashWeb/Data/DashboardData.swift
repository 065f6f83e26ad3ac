import AsyncDash
import Foundation

/// The dashboard's reads: pages of records, one task's snapshot, counts by status. Works through
/// the manager's record model and field map, so renamed columns are followed.
struct DashboardData: Sendable {
    let manager: ModelTrackingAsyncManager
    let settings: DashboardSettings

    var model: RecordModel { manager.recordModel }
    var records: any RecordStore { manager.stores.records }

    /// The column of a logical field (`status`, `updated_at`, …), if the model maps it.
    func column(_ logical: String) -> String? { manager.resolvedFieldMap[logical]?.name }

    /// The sorts the list offers: URL value → column.
    var sorts: [(name: String, column: String)] {
        [("updated", column("updated_at")), ("created", column("created_at")), ("name", model.keyColumn)]
            .compactMap { name, column in column.map { (name, $0) } }
    }

    /// The text columns the list's search looks in: the task name and the user.
    var searchColumns: [String] {
        [model.keyColumn, column("user")].compactMap { $0 }.filter { model.column($0)?.type == .text }
    }

    /// Indexes and counts for the list (idempotent).
    func prepare() async throws {
        let listing = RecordListing(filterColumns: column("status").map { [$0] } ?? [], sortColumns: sorts.map(\.column))
        try await records.prepareListing(model, listing)
    }

    /// The task's record, progress entry and status together; `nil` for a task nobody knows.
    ///
    /// Reads as little as it can: a record is the whole answer (one read) when it is finished or
    /// keeps the progress itself (the manager writes each progress event to the record as it sets
    /// the progress entry); a running task whose model maps no progress column also reads its
    /// live progress entry; only a task without a record asks whether it is active.
    func snapshot(_ name: String) async throws -> TaskSnapshot? {
        try await snapshot(name, record: try await manager.record(for: name))
    }

    /// The task's record and its snapshot, from one read of the record; `nil` without a record.
    func recordAndSnapshot(_ name: String) async throws -> (record: Record, snapshot: TaskSnapshot)? {
        guard let record = try await manager.record(for: name), let snapshot = try await snapshot(name, record: record) else { return nil }
        return (record, snapshot)
    }

    /// ``snapshot(_:)`` for a record already read (`nil`: the task has none).
    func snapshot(_ name: String, record: Record?) async throws -> TaskSnapshot? {
        let recordStatus = record.flatMap { record in column("status").flatMap { record[$0].text } }
        let ended = recordStatus.flatMap(TaskStatus.init(parsing:))?.isTerminal ?? false
        let recordHasProgress = record != nil && column("progress") != nil
        let live = ended || recordHasProgress ? nil : try await manager.stores.coordination.progress(for: name)
        let active = record == nil ? try await manager.stores.coordination.isActiveTask(name) : false
        guard record != nil || live != nil || active else { return nil }
        let value: (String) -> RecordValue = { logical in
            guard let record, let column = column(logical) else { return .null }
            return record[column]
        }
        let status = value("status").text ?? (active ? TaskStatus.inProgress.rawValue : TaskStatus.pending.rawValue)
        var progress = live?.json ?? value("progress").json
        // A text column holds structured progress as its JSON text, and text progress as it was
        // sent: only text that is exactly what structured progress is written as reads back as
        // structured, so a progress text that merely looks like JSON stays that text.
        if case .string(let text) = progress, text.hasPrefix("{"), let parsed = try? JSONValue(parsing: text),
            let structured = StructuredProgress(json: parsed), structured.json.jsonText == text
        {
            progress = structured.json
        }
        var fraction: Double?
        if let payload = ProgressPayload(json: progress), case .structured(let structured) = payload { fraction = structured.fraction }
        if TaskStatus(parsing: status) == .success { fraction = 1 }
        var updatedAt: Date?
        if case .timestamp(let date) = value("updated_at") { updatedAt = date }
        var attempts: Int?
        if case .integer(let count) = value("attempts") { attempts = count }
        return TaskSnapshot(
            name: name, status: status, message: value("message").text ?? "", progress: progress,
            fraction: fraction, result: value("result").json, updatedAt: updatedAt, attempts: attempts)
    }

    /// Counts per status (values as text; a missing status counts as `pending`).
    func statusCounts() async throws -> [String: Int] {
        guard let status = column("status") else { return [:] }
        var counts: [String: Int] = [:]
        for (value, count) in try await records.counts(model, groupedBy: status) {
            counts[value.text ?? TaskStatus.pending.rawValue, default: 0] += count
        }
        return counts
    }
}

/// The list's filters, sort and position, read from a query string.
struct ListRequest: Sendable, Equatable {
    var status: String?
    var search: String?
    var sort = "updated"
    var descending = true
    var after: String?
    var before: String?
    var last = false

    /// - Throws: ``DashboardInputError`` naming the parameter, its value and what is valid.
    init(parameters: [String: String], data: DashboardData) throws(DashboardInputError) {
        if let status = parameters["status"], !status.isEmpty {
            guard TaskStatus(parsing: status) != nil else {
                throw DashboardInputError(parameter: "status", value: status, valid: TaskStatus.allCases.map(\.rawValue))
            }
            self.status = status
        }
        if let search = parameters["q"]?.trimmingCharacters(in: .whitespaces), !search.isEmpty {
            guard search.count <= 200 else { throw DashboardInputError(parameter: "q", value: String(search.prefix(20)) + "…", valid: ["at most 200 characters"]) }
            self.search = search
        }
        if let sort = parameters["sort"], !sort.isEmpty {
            guard data.sorts.contains(where: { $0.name == sort }) else {
                throw DashboardInputError(parameter: "sort", value: sort, valid: data.sorts.map(\.name))
            }
            self.sort = sort
        }
        if let order = parameters["order"], !order.isEmpty {
            guard order == "asc" || order == "desc" else { throw DashboardInputError(parameter: "order", value: order, valid: ["asc", "desc"]) }
            descending = order == "desc"
        }
        after = parameters["after"].flatMap { $0.isEmpty ? nil : $0 }
        before = parameters["before"].flatMap { $0.isEmpty ? nil : $0 }
        last = parameters["page"] == "last"
    }

    /// The store query for this request.
    func query(_ data: DashboardData, limit: Int) throws(DashboardInputError) -> RecordPageQuery {
        let column = data.sorts.first { $0.name == sort }?.column ?? data.model.keyColumn
        let type = data.model.column(column)?.type ?? .text
        var query = RecordPageQuery(sortColumn: column, descending: descending, limit: limit)
        if let status, let statusColumn = data.column("status") { query.filters[statusColumn] = .text(status) }
        if let search {
            query.search = RecordSearch(search, in: data.searchColumns)
        }
        if let after {
            guard let cursor = RecordCursor(token: after, type: type) else { throw DashboardInputError(parameter: "after", value: after, valid: ["a cursor from a page link"]) }
            query.position = .after(cursor)
        } else if let before {
            guard let cursor = RecordCursor(token: before, type: type) else { throw DashboardInputError(parameter: "before", value: before, valid: ["a cursor from a page link"]) }
            query.position = .before(cursor)
        } else if last {
            query.position = .last
        }
        return query
    }

    /// Query-string pairs that keep the filters and sort (for links), without the position.
    var filterParameters: [(String, String)] {
        var pairs: [(String, String)] = []
        if let status { pairs.append(("status", status)) }
        if let search { pairs.append(("q", search)) }
        if sort != "updated" { pairs.append(("sort", sort)) }
        if !descending { pairs.append(("order", "asc")) }
        return pairs
    }
}

/// A query parameter with a value the dashboard cannot use.
struct DashboardInputError: Error, CustomStringConvertible, Sendable {
    var parameter: String
    var value: String
    var valid: [String]
    var description: String {
        "query parameter '\(parameter)': '\(value)' is not valid; expected \(valid.joined(separator: ", "))"
    }
}
