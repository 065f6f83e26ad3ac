import Foundation

/// One page of records for a dashboard list: equality filters, a text search, a sort column and a
/// keyset position — never an offset, so the last page of a million records costs what the first does.
///
/// Records are ordered by the sort column, then by the key column (so the order is total); a
/// `.null` sort value sorts below every other value. Pages are read with a ``RecordCursor`` taken
/// from the first or last record of the page before:
///
/// ```swift
/// var query = RecordPageQuery(sortColumn: "updated_at", filters: ["status": .text("failed")], limit: 50)
/// let first = try await store.page(model, query: query)
/// if first.hasNext, let cursor = first.lastCursor {
///     query.position = .after(cursor)
///     let second = try await store.page(model, query: query)
/// }
/// ```
public struct RecordPageQuery: Sendable, Hashable {
    /// Where the page starts.
    public enum Position: Sendable, Hashable {
        /// The first `limit` records.
        case first
        /// The `limit` records that follow the cursor.
        case after(RecordCursor)
        /// The `limit` records that come just before the cursor.
        case before(RecordCursor)
        /// The last `limit` records.
        case last
    }

    /// How a keyset query reads this page: backwards (a page before a cursor, or the last page,
    /// read from its end) or forwards, from which cursor (none: from an end of the list).
    public var keysetRead: (backwards: Bool, cursor: RecordCursor?) {
        switch position {
        case .first: (false, nil)
        case .last: (true, nil)
        case .after(let cursor): (false, cursor)
        case .before(let cursor): (true, cursor)
        }
    }

    /// Column → value the record must have.
    public var filters: [String: RecordValue]
    /// Case-insensitive (ASCII letters) substring search in some text columns.
    public var search: RecordSearch?
    /// The column records are sorted by (not a JSON column); ties are broken by the key column.
    public var sortColumn: String
    public var descending: Bool
    public var position: Position
    public var limit: Int

    public init(
        sortColumn: String, descending: Bool = true, filters: [String: RecordValue] = [:],
        search: RecordSearch? = nil, position: Position = .first, limit: Int = 50
    ) {
        self.sortColumn = sortColumn
        self.descending = descending
        self.filters = filters
        self.search = search
        self.position = position
        self.limit = limit
    }
}

/// A substring to look for in any of `columns` (case-insensitive for ASCII letters, like SQL `LIKE`).
public struct RecordSearch: Sendable, Hashable {
    public var text: String
    public var columns: [String]

    public init(_ text: String, in columns: [String]) {
        self.text = text
        self.columns = columns
    }

    /// Whether `record` matches: the text is found in one of the columns.
    public func matches(_ record: Record) -> Bool {
        let needle = Self.folded(text)
        return columns.contains { column in
            guard let value = record[column].text else { return false }
            return Self.folded(value).contains(needle)
        }
    }

    /// The text as a SQL `LIKE` pattern that finds it anywhere in a value, with a backslash as the
    /// escape character (`… LIKE ? ESCAPE` a backslash): `%`, `_` and backslashes in the text match themselves.
    public var likePattern: String {
        let escaped = text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
            .replacingOccurrences(of: "_", with: "\\_")
        return "%" + escaped + "%"
    }

    /// ASCII letters lowered, everything else kept (what SQLite's `LIKE` compares).
    static func folded(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.map { scalar in
            (scalar >= "A" && scalar <= "Z") ? Unicode.Scalar(scalar.value + 32) ?? scalar : scalar
        }))
    }
}

/// A position in a sorted record list: the sort value and the key of one record.
public struct RecordCursor: Sendable, Hashable {
    public var value: RecordValue
    public var key: String

    public init(value: RecordValue, key: String) {
        self.value = value
        self.key = key
    }

    /// The cursor of `record` for a list sorted by `sortColumn` in `model`.
    public init(of record: Record, sortColumn: String, model: RecordModel) {
        self.init(value: record[sortColumn], key: record[model.keyColumn].text ?? "")
    }

    /// The cursor as URL-safe text (for a `?after=` parameter); read back with ``init(token:type:)``.
    public var token: String {
        let value: JSONValue = switch self.value {
        case .timestamp(let date): .double(date.timeIntervalSince1970)
        default: self.value.json
        }
        let text = JSONValue.array([value, .string(key)]).jsonText
        return Data(text.utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// Reads a ``token`` for a sort column of type `type`; `nil` when it is not one.
    public init?(token: String, type: ColumnType) {
        guard token.utf8.count <= 4096 else { return nil }
        var base64 = token.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.utf8.count % 4) % 4)
        guard let data = Data(base64Encoded: base64), let text = String(data: data, encoding: .utf8),
            let json = try? JSONValue(parsing: text), case .array(let parts) = json, parts.count == 2,
            let key = parts[1].stringValue
        else { return nil }
        let value: RecordValue
        switch (type, parts[0]) {
        case (_, .null): value = .null
        case (.timestamp, let number):
            guard let seconds = number.doubleValue else { return nil }
            value = .timestamp(Date(timeIntervalSince1970: seconds))
        default: value = RecordValue.coerce(parts[0], to: type)
        }
        self.init(value: value, key: key)
    }
}

/// A page of records in display order, and whether there are records on either side.
public struct RecordPage: Sendable, Hashable {
    public var records: [Record]
    public var hasPrevious: Bool
    public var hasNext: Bool
    /// The cursor of the first record (for ``RecordPageQuery/Position/before(_:)``).
    public var firstCursor: RecordCursor?
    /// The cursor of the last record (for ``RecordPageQuery/Position/after(_:)``).
    public var lastCursor: RecordCursor?

    public init(records: [Record], hasPrevious: Bool, hasNext: Bool, firstCursor: RecordCursor?, lastCursor: RecordCursor?) {
        self.records = records
        self.hasPrevious = hasPrevious
        self.hasNext = hasNext
        self.firstCursor = firstCursor
        self.lastCursor = lastCursor
    }
}

/// What a dashboard lists by, so a store can index it ahead of time
/// (``RecordStore/prepareListing(_:_:)``).
public struct RecordListing: Sendable, Hashable {
    /// Columns filtered by equality (e.g. the status column); each is also counted by value.
    public var filterColumns: [String]
    /// Columns pages are sorted by.
    public var sortColumns: [String]

    public init(filterColumns: [String], sortColumns: [String]) {
        self.filterColumns = filterColumns
        self.sortColumns = sortColumns
    }
}
