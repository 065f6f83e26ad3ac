/// The kind of a lifecycle event: `create`, `progress`, `complete`, `fail` or `cleanup`.
///
/// A struct over a raw string rather than an enum, so that kinds can be added
/// later without breaking exhaustive `switch`es in users' code.
public struct LifecycleEventKind: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }

    /// The task was queued.
    public static let create = LifecycleEventKind(rawValue: "create")
    /// `updateProgress` was called.
    public static let progress = LifecycleEventKind(rawValue: "progress")
    /// The worker succeeded (may carry a result).
    public static let complete = LifecycleEventKind(rawValue: "complete")
    /// The worker threw or returned failure.
    public static let fail = LifecycleEventKind(rawValue: "fail")
    /// Locks were cleared; always fired after `complete` or `fail`.
    public static let cleanup = LifecycleEventKind(rawValue: "cleanup")

    /// Every kind, in lifecycle order.
    public static let allCases: [LifecycleEventKind] = [.create, .progress, .complete, .fail, .cleanup]

    /// The kind named `name`, or `nil` when `name` is not one of ``allCases``.
    public init?(parsing name: String) {
        guard let kind = Self.allCases.first(where: { $0.rawValue == name }) else { return nil }
        self = kind
    }

    /// The status an event of this kind implies when it carries none
    /// (`create` → pending, `progress` → in progress, `complete` → success, `fail` → failed).
    public var impliedStatus: TaskStatus? {
        switch self {
        case .create: .pending
        case .progress: .inProgress
        case .complete: .success
        case .fail: .failed
        default: nil
        }
    }

    public var description: String { rawValue }
}
