import AsyncDash

/// `sample.async_manager.SampleAsyncManager`: the seed's `AppAsyncManager` — writes
/// `sample.AsyncTaskRecord` and labels tasks without a user "Anonymous".
open class SampleAsyncManager: ModelTrackingAsyncManager, RegisteredManager, @unchecked Sendable {
    /// The registered dotted name.
    public static let registeredName = "sample.async_manager.SampleAsyncManager"

    /// The name config files use: `sample.async_manager.SampleAsyncManager` (subclasses declare their own).
    open class var dottedName: String { registeredName }

    open override class var recordModelPath: String? { AsyncTaskRecord.name }

    open override func formatUser(_ user: JSONValue?) -> String {
        switch user {
        case nil, .null?, .string("")?: "Anonymous"
        default: super.formatUser(user)
        }
    }
}
