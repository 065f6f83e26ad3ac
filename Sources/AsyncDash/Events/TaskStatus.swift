/// The status of a task as shown on its dashboard record.
///
/// `success`, `failed` and `cancelled` are terminal: once a record has one, a late
/// `create` or `progress` event of the same task does not change it.
public struct TaskStatus: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }

    public static let pending = TaskStatus(rawValue: "pending")
    public static let inProgress = TaskStatus(rawValue: "in_progress")
    public static let success = TaskStatus(rawValue: "success")
    public static let failed = TaskStatus(rawValue: "failed")
    public static let cancelled = TaskStatus(rawValue: "cancelled")

    /// Every built-in status.
    public static let allCases: [TaskStatus] = [.pending, .inProgress, .success, .failed, .cancelled]

    /// The status named `name`, or `nil` when it is not one of ``allCases``.
    public init?(parsing name: String) {
        guard let status = Self.allCases.first(where: { $0.rawValue == name }) else { return nil }
        self = status
    }

    /// `true` for `success`, `failed` and `cancelled`.
    public var isTerminal: Bool { self == .success || self == .failed || self == .cancelled }

    public var description: String { rawValue }
}
