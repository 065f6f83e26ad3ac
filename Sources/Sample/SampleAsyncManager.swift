import AsyncDash

/// `sample.async_manager.SampleAsyncManager`: the seed's `AppAsyncManager` — writes
/// `sample.AsyncTaskRecord` and labels tasks without a user "Anonymous".
open class SampleAsyncManager: ModelTrackingAsyncManager, @unchecked Sendable {
    /// The registered dotted name.
    public static let registeredName = "sample.async_manager.SampleAsyncManager"

    open override class var recordModelPath: String? { AsyncTaskRecord.name }

    open override func formatUser(_ user: JSONValue?) -> String {
        switch user {
        case nil, .null?, .string("")?: "Anonymous"
        default: super.formatUser(user)
        }
    }
}
