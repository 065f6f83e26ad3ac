/// A write statement and its parameters (`$1`, `$2`, … in `sql`), as a value: the group-commit
/// batcher can send many of them in one round trip (``PostgresStatementBatch``).
struct PostgresStatement: Sendable {
    var sql: String
    var values: [PostgresValue]

    init(_ sql: String, _ values: [PostgresValue] = []) {
        self.sql = sql
        self.values = values
    }
}

/// Many write statements in one call of the store's `asyncdash_run_batch(statements, parameters)`
/// function, which runs each statement with `EXECUTE … USING parameters` in order: one round trip
/// and one commit for a whole batch, where sending them one by one costs a round trip each (the
/// client's and the server's time per statement dominates short writes on PostgreSQL).
///
/// Values never go into the SQL text: each statement's `$k` becomes `($1[n])::type`, where `n`
/// indexes one text array of every statement's parameters, bound as a parameter of the call
/// (a NULL becomes the keyword `NULL`, which takes the type its place needs). A statement this
/// rewriting cannot read with certainty (dollar quotes, comments, `E''` strings, a `$` inside a
/// word, a placeholder without a value) is refused, and the batcher sends it the ordinary way.
struct PostgresStatementBatch: Sendable {
    private(set) var statements: [String] = []
    private(set) var parameters: [String] = []

    var isEmpty: Bool { statements.isEmpty }

    /// The call that runs the batch, with its two parameters.
    func call(function: String) -> PostgresStatement {
        PostgresStatement("SELECT \(function)($1::text[], $2::text[])", [.texts(statements), .texts(parameters)])
    }

    /// Adds `statement`, or returns `false` and adds nothing when it cannot be sent this way.
    mutating func append(_ statement: PostgresStatement) -> Bool {
        guard let (sql, values) = Self.rewrite(statement, base: parameters.count) else { return false }
        statements.append(sql)
        parameters.append(contentsOf: values)
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
        }
    }

    /// A double as `float8in` reads it back exactly (Swift prints the shortest text that does).
    static func doubleText(_ double: Double) -> String {
        if double.isNaN { return "NaN" }
        if double.isInfinite { return double < 0 ? "-Infinity" : "Infinity" }
        return "\(double)"
    }

    /// An array literal with every element double-quoted (`\` and `"` escaped), so no element
    /// reads as NULL or splits at a comma.
    static func arrayText(_ elements: [String]) -> String {
        var text = "{"
        for (index, element) in elements.enumerated() {
            if index > 0 { text += "," }
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
