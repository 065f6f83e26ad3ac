import Foundation

extension RecordValue {
    /// This value as the case a column of type `type` holds, or `nil` when it already is one (or
    /// is `.null`): what a store writes. Values of another case are converted like
    /// `coerce(_:to:)` converts JSON (text columns receive JSON text, an integer
    /// becomes a real, a whole real an integer, a number of seconds a timestamp, …).
    ///
    /// Every store driver converts with this one rule, so a record reads back alike everywhere.
    ///
    /// ```swift
    /// RecordValue.integer(3).storedForm(for: .real)   // .real(3.0)
    /// RecordValue.text("x").storedForm(for: .text)    // nil: already stored as is
    /// ```
    public func storedForm(for type: ColumnType) -> RecordValue? {
        switch (type, self) {
        case (_, .null), (.text, .text), (.json, .json), (.bool, .bool), (.integer, .integer), (.real, .real),
            (.timestamp, .timestamp):
            return nil
        case (.real, .integer(let i)):
            return .real(Double(i))
        case (.integer, .bool(let b)):
            return .integer(b ? 1 : 0)
        case (.integer, .real(let d)):
            return Int(exactly: d).map(RecordValue.integer) ?? .null
        case (.timestamp, .real(let d)):
            return .timestamp(Date(timeIntervalSince1970: d))
        case (.timestamp, .integer(let i)):
            return .timestamp(Date(timeIntervalSince1970: TimeInterval(i)))
        default:
            return RecordValue.coerce(json, to: type)
        }
    }

    /// This value as a column of type `type` stores it (itself when it already is).
    public func stored(as type: ColumnType) -> RecordValue {
        storedForm(for: type) ?? self
    }
}
