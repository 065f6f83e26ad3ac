import AsyncDash
import Foundation
import PostgresNIO

/// A statement parameter.
enum PostgresValue: Sendable {
    case null
    case text(String)
    case int(Int)
    case double(Double)
    case bool(Bool)
    case texts([String])
    case doubles([Double])
    case ints([Int])
    case bools([Bool])
    /// A column of a merged insert (``PostgresStatementBatch/merge(_:)``): the text forms of its
    /// values, `nil` for NULL, bound as an array literal the statement casts (`$k::type[]`).
    case column([String?])

    /// Whether this is one value (not an array).
    var isScalar: Bool {
        switch self {
        case .null, .text, .int, .double, .bool: true
        case .texts, .doubles, .ints, .bools, .column: false
        }
    }

    static func bindings(_ values: [PostgresValue]) -> PostgresBindings {
        var bindings = PostgresBindings(capacity: values.count)
        for value in values {
            switch value {
            case .null: bindings.appendNull()
            case .text(let text): bindings.append(text)
            case .int(let int): bindings.append(int)
            case .double(let double): bindings.append(double)
            case .bool(let bool): bindings.append(bool)
            case .texts(let texts): bindings.append(texts)
            case .doubles(let doubles): bindings.append(doubles)
            case .ints(let ints): bindings.append(ints)
            case .bools(let bools): bindings.append(bools)
            case .column(let elements): bindings.append(PostgresStatementBatch.arrayText(elements))
            }
        }
        return bindings
    }

    /// The parameter of a record value already normalized for its column (see ``PostgresRecordCodec``).
    init(_ value: RecordValue) {
        switch value {
        case .null: self = .null
        case .text(let s): self = .text(s)
        case .json(let j): self = .text(j.jsonText)
        case .bool(let b): self = .bool(b)
        case .integer(let i): self = .int(i)
        case .real(let d): self = .double(d)
        case .timestamp(let d): self = .double(d.timeIntervalSince1970)
        }
    }
}

extension PostgresConnection {
    /// Runs `sql` with `values` and collects the rows.
    @discardableResult
    func run(_ sql: String, _ values: [PostgresValue] = [], logger: Logger) async throws -> [PostgresRow] {
        try await query(PostgresQuery(unsafeSQL: sql, binds: PostgresValue.bindings(values)), logger: logger).collect()
    }
}

extension PostgresRow {
    /// Cell `index` decoded as `T` (`nil` for SQL NULL).
    func value<T: PostgresDecodable>(_ index: Int, as type: T.Type = T.self) throws -> T? {
        let cell = makeRandomAccess()[index]
        guard cell.bytes != nil else { return nil }
        return try cell.decode(T.self)
    }

    /// Cell `index` decoded as a non-NULL `T`.
    func required<T: PostgresDecodable>(_ index: Int, as type: T.Type = T.self) throws -> T {
        try makeRandomAccess()[index].decode(T.self)
    }
}
