/// An error from a manager operation: a code, the offending value, and details.
///
/// ```swift
/// do {
///     try await manager.reserveConflictLocks(for: "import-42", objects: [.init(model: "book", id: "7")])
/// } catch let error as AsyncDashError where error.code == .conflict {
///     print(error.lockedObjects) // [book:7 held by import-41]
/// }
/// ```
public struct AsyncDashError: Error, CustomStringConvertible, Sendable {
    /// What went wrong, as an open set of codes.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: String, Sendable { case invalidTaskName, conflict, invalidArgument, notFound, duplicateTask }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// A task name was empty or unusable.
        public static let invalidTaskName = Code(.invalidTaskName)
        /// Some of the objects are locked by another task.
        public static let conflict = Code(.conflict)
        /// An argument had a value that cannot be used.
        public static let invalidArgument = Code(.invalidArgument)
        /// The named thing does not exist.
        public static let notFound = Code(.notFound)
        /// A task of that name is already active (queued or running).
        public static let duplicateTask = Code(.duplicateTask)

        public var description: String { value.rawValue }
    }

    public var code: Code
    /// The value the error is about (a task name, a lock key…).
    public var value: String
    /// A sentence saying what was wrong and what would be valid.
    public var message: String
    /// For ``Code/conflict``: the locked objects and the task holding each.
    public var lockedObjects: [LockedObject]

    public init(_ code: Code, value: String, message: String, lockedObjects: [LockedObject] = []) {
        self.code = code
        self.value = value
        self.message = message
        self.lockedObjects = lockedObjects
    }

    public var description: String { message }
}

/// An object that is locked, and the task holding it.
public struct LockedObject: Sendable, Hashable, CustomStringConvertible {
    public var object: ObjectRef
    public var heldBy: String
    public init(object: ObjectRef, heldBy: String) {
        self.object = object
        self.heldBy = heldBy
    }
    public var description: String { "\(object) held by \(heldBy)" }
}
