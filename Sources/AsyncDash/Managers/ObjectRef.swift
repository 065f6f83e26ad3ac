/// An object a task works on, as `model:id` — the key of its conflict lock.
///
/// ```swift
/// let books = ObjectRef.many(model: "book", ids: [1, 2, 3])  // book:1, book:2, book:3
/// let one = try ObjectRef(parsing: "book:7")
/// ```
public struct ObjectRef: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var model: String
    public var id: String

    public init(model: String, id: String) {
        self.model = model
        self.id = id
    }

    /// Parses `model:id`. The model is everything before the first `:`.
    ///
    /// - Throws: ``AsyncDashError`` (``AsyncDashError/Code/invalidArgument``) when either part is empty.
    public init(parsing text: String) throws {
        guard let colon = text.firstIndex(of: ":"), colon != text.startIndex, text.index(after: colon) != text.endIndex else {
            throw AsyncDashError(.invalidArgument, value: text, message: "'\(text)' is not an object reference; expected MODEL:ID, e.g. book:42")
        }
        self.init(model: String(text[..<colon]), id: String(text[text.index(after: colon)...]))
    }

    /// References to several ids of one model.
    public static func many<ID: CustomStringConvertible>(model: String, ids: some Sequence<ID>) -> [ObjectRef] {
        ids.map { ObjectRef(model: model, id: $0.description) }
    }

    /// The lock key, `model:id`.
    public var lockKey: String { "\(model):\(id)" }
    public var description: String { lockKey }

    public static func < (a: ObjectRef, b: ObjectRef) -> Bool { a.lockKey < b.lockKey }
}
