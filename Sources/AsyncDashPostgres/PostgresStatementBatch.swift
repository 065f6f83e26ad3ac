import AsyncDash

/// A write statement and its parameters (`$1`, `$2`, … in `sql`), as a value: the group-commit
/// batcher can send many of them in one round trip (``PostgresStatementBatch``).
struct PostgresStatement: Sendable {
    var sql: String
    var values: [PostgresValue]
    /// Whether the write reads the statement's rows (`RETURNING …`, or a `SELECT`): they come
    /// back as JSON objects (``PostgresResultRow``).
    var returnsRows = false
    /// Set for a one-row insert made by ``insert(_:types:row:_:shared:key:)``: such inserts of
    /// one batch with the same text and shared values become one multi-row insert.
    var row: RowInsert?
    /// Where the statement's rows go in a batch: to its write (set by the batcher), or each row
    /// to the write that asked for its key (a merged delete).
    var route: Route = .write(0)
    /// Set for a delete by key made by ``delete(from:where:equals:returning:)``: such deletes of
    /// one batch become one delete of every key.
    var keyedDelete: KeyedDelete?

    enum Route: Sendable, Hashable {
        case write(Int)
        /// Each row to the write of the key in its column `column`.
        case byKey(column: String, writes: [String: Int])
    }

    struct KeyedDelete: Sendable, Hashable {
        var table: String
        var column: String
        var returning: [String]
    }

    /// `DELETE FROM table WHERE column = key RETURNING column, returning…` (`table` qualified
    /// and quoted; the names unquoted).
    static func delete(from table: String, where column: String, equals key: String, returning: [String]) -> PostgresStatement {
        let columns = [column] + returning.filter { $0 != column }
        var statement = PostgresStatement(
            "DELETE FROM \(table) WHERE \(PostgresNames.quote(column)) = $1 RETURNING \(columns.map(PostgresNames.quote).joined(separator: ", "))",
            [.text(key)], returnsRows: true)
        statement.keyedDelete = KeyedDelete(table: table, column: column, returning: columns)
        return statement
    }

    init(_ sql: String, _ values: [PostgresValue] = [], returnsRows: Bool = false) {
        self.sql = sql
        self.values = values
        self.returnsRows = returnsRows
    }

    /// The statement that gives this one's rows as JSON text, one column (`row_to_json`).
    var rowsAsJSON: String { "WITH q AS (\(sql)) SELECT row_to_json(q)::text FROM q" }

    /// A one-row insert, `head VALUES ($1, …, $n) tail`, where `tail` (an `ON CONFLICT` clause,
    /// say) reads only the `shared` values, numbered from `$n+1`.
    ///
    /// - Parameters:
    ///   - head: `INSERT INTO table [AS alias] (columns)`.
    ///   - types: The SQL type of each column, for the arrays a merged insert reads.
    ///   - key: The index in `row` of the conflict key, when `tail` updates on conflict: a merged
    ///     insert cannot update one row twice, so rows with the same key go in separate inserts,
    ///     in their order.
    static func insert(_ head: String, types: [String], row: [PostgresValue], _ tail: String, shared: [PostgresValue] = [], key: Int? = nil) -> PostgresStatement {
        let marks = (1...max(1, row.count)).map { "$\($0)" }.joined(separator: ", ")
        var statement = PostgresStatement("\(head) VALUES (\(marks)) \(tail)", row + shared)
        statement.row = RowInsert(head: head, tail: tail, types: types, count: row.count, key: key)
        return statement
    }

    struct RowInsert: Sendable {
        var head: String
        var tail: String
        var types: [String]
        var count: Int
        var key: Int?
    }
}

/// Many write statements in one call of the store's
/// `asyncdash_run_prepared_batch(statements, returns_rows, parameters, counts)` function, which
/// runs them in order: one round trip and one commit for a whole batch, where sending them one by
/// one costs a round trip each (the client's and the server's time per statement dominates short
/// writes on PostgreSQL). The function prepares each statement once per connection and executes
/// it with its own parameters, so a statement is parsed and planned once, not in every batch.
///
/// Values never go into the SQL text: each statement's `$k` becomes `($1[j])::type`, where `j`
/// indexes the statement's own text array of parameters — the next `counts[i]` of the call's
/// `parameters` (a NULL becomes the keyword `NULL`, which takes the type its place needs). A statement this
/// rewriting cannot read with certainty (dollar quotes, comments, `E''` strings, a `$` inside a
/// word, a placeholder without a value) is refused, and the batcher sends it the ordinary way.
struct PostgresStatementBatch: Sendable {
    private(set) var statements: [String] = []
    private(set) var returning: [Bool] = []
    /// Where each statement's rows go.
    private(set) var routes: [PostgresStatement.Route] = []
    private(set) var parameters: [String] = []
    /// How many of ``parameters`` are each statement's (in order).
    private(set) var counts: [Int] = []

    var isEmpty: Bool { statements.isEmpty }

    /// The call that runs the batch, with its four parameters: its rows are `(n, r)`, the
    /// statement's number (from 1) and a row of it as JSON text.
    func call(function: String) -> PostgresStatement {
        PostgresStatement(
            "SELECT n, r FROM \(function)($1::text[], $2::bool[], $3::text[], $4::int[])",
            [.texts(statements), .bools(returning), .texts(parameters), .ints(counts)],
            returnsRows: true)
    }

    /// Adds `statements` in order (one-row inserts of the same shape merged), or returns `false`
    /// when one cannot be sent this way (what was added before stays).
    mutating func append(contentsOf statements: [PostgresStatement]) -> Bool {
        for statement in Self.merged(statements) where !append(statement) { return false }
        return true
    }

    /// Adds `statement`, or returns `false` and adds nothing when it cannot be sent this way.
    mutating func append(_ statement: PostgresStatement) -> Bool {
        var sent = statement
        if statement.returnsRows { sent.sql = statement.rowsAsJSON }
        guard let (sql, values) = Self.rewrite(sent, base: 0) else { return false }
        statements.append(sql)
        returning.append(statement.returnsRows)
        routes.append(statement.route)
        parameters.append(contentsOf: values)
        counts.append(values.count)
        return true
    }

    /// `statement` with `$k` replaced by `($1[base + j])::type` (or `NULL`), and the text forms
    /// of its non-NULL values in order; `nil` when the text holds anything but plain SQL,
    /// quoted identifiers and standard string literals.
    static func rewrite(_ statement: PostgresStatement, base: Int) -> (String, [String])? {
        // Each value's replacement, and the parameters it adds.
        var replacements: [String] = []
        var texts: [String] = []
        for value in statement.values {
            guard let (type, text) = textForm(value) else {
                replacements.append("NULL")
                continue
            }
            texts.append(text)
            replacements.append("($1[\(base + texts.count)])::\(type)")
        }
        let bytes = Array(statement.sql.utf8)
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count + 16 * replacements.count)
        var index = 0
        func isWordByte(_ byte: UInt8) -> Bool {
            (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
                || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: "_") || byte >= 0x80
        }
        func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "'"):
                // A standard string literal or a quoted identifier: copied through its closing
                // quote (a doubled quote is part of it). An E'' string treats backslashes
                // specially: refused.
                if byte == UInt8(ascii: "'"), index > 0, bytes[index - 1] == UInt8(ascii: "E") || bytes[index - 1] == UInt8(ascii: "e") {
                    return nil
                }
                output.append(byte)
                index += 1
                while true {
                    guard index < bytes.count else { return nil }  // unterminated
                    output.append(bytes[index])
                    if bytes[index] == byte {
                        if index + 1 < bytes.count, bytes[index + 1] == byte {
                            output.append(byte)
                            index += 2
                            continue
                        }
                        index += 1
                        break
                    }
                    index += 1
                }
            case UInt8(ascii: "$"):
                guard index + 1 < bytes.count, isDigit(bytes[index + 1]), index == 0 || !isWordByte(bytes[index - 1]) else { return nil }
                var end = index + 1
                var number = 0
                while end < bytes.count, isDigit(bytes[end]) {
                    number = number * 10 + Int(bytes[end] - UInt8(ascii: "0"))
                    guard number <= replacements.count else { return nil }
                    end += 1
                }
                guard number >= 1 else { return nil }
                output.append(contentsOf: replacements[number - 1].utf8)
                index = end
            case UInt8(ascii: "-"), UInt8(ascii: "/"):
                // A comment (`--` or `/*`) is refused rather than parsed.
                if index + 1 < bytes.count, bytes[index + 1] == (byte == UInt8(ascii: "-") ? UInt8(ascii: "-") : UInt8(ascii: "*")) { return nil }
                output.append(byte)
                index += 1
            default:
                output.append(byte)
                index += 1
            }
        }
        return (String(decoding: output, as: UTF8.self), texts)
    }

    /// The SQL type and text form of a value (PostgreSQL's input syntax), or `nil` for NULL.
    static func textForm(_ value: PostgresValue) -> (type: String, text: String)? {
        switch value {
        case .null: nil
        case .text(let text): ("text", text)
        case .int(let int): ("int8", String(int))
        case .double(let double): ("float8", doubleText(double))
        case .bool(let bool): ("bool", bool ? "t" : "f")
        case .texts(let texts): ("text[]", arrayText(texts))
        case .doubles(let doubles): ("float8[]", arrayText(doubles.map(doubleText)))
        case .ints(let ints): ("int8[]", arrayText(ints.map { String($0) }))
        case .bools(let bools): ("bool[]", arrayText(bools.map { $0 ? "t" : "f" }))
        // The type is in the statement (`$k::type[]`): read as text here.
        case .column(let elements): ("text", arrayText(elements))
        }
    }

    /// A double as `float8in` reads it back exactly (Swift prints the shortest text that does).
    static func doubleText(_ double: Double) -> String {
        if double.isNaN { return "NaN" }
        if double.isInfinite { return double < 0 ? "-Infinity" : "Infinity" }
        return "\(double)"
    }

    /// An array literal with every element double-quoted (`\` and `"` escaped), so no element
    /// reads as NULL or splits at a comma; `nil` is the unquoted `NULL`.
    static func arrayText(_ elements: [String?]) -> String {
        var text = "{"
        for (index, element) in elements.enumerated() {
            if index > 0 { text += "," }
            guard let element else {
                text += "NULL"
                continue
            }
            text += "\""
            for character in element.unicodeScalars {
                if character == "\\" || character == "\"" { text += "\\" }
                text.unicodeScalars.append(character)
            }
            text += "\""
        }
        return text + "}"
    }
}

/// A row a batched statement returned: its columns by name (`row_to_json`: numbers, strings,
/// booleans, NULL).
struct PostgresResultRow: Sendable {
    var columns: [String: JSONValue]

    init(json text: String) {
        if case .object(let object) = PostgresRecordCodec.parseJSON(text) {
            columns = object
        } else {
            columns = [:]
        }
    }

    subscript(_ name: String) -> JSONValue? { columns[name] }

    /// A column that must be text.
    func text(_ name: String) throws -> String {
        guard case .string(let text)? = columns[name] else { throw PostgresResultRowError(column: name, value: columns[name]) }
        return text
    }

    /// A column that must be a number.
    func double(_ name: String) throws -> Double {
        switch columns[name] {
        case .double(let double)?: return double
        case .int(let int)?: return Double(int)
        default: throw PostgresResultRowError(column: name, value: columns[name])
        }
    }
}

/// A batched statement's row lacked a column of the expected kind (a bug in the store's SQL).
struct PostgresResultRowError: Error, CustomStringConvertible {
    var column: String
    var value: JSONValue?
    var description: String { "a PostgreSQL result row has \(value.map { "\($0)" } ?? "no value") in column '\(column)'" }
}
