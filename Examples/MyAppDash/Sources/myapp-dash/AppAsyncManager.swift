import AsyncDash

/// `myapp.async_manager.AppAsyncManager`: the app's manager. It writes one `myapp.JobRecord` row
/// per task and labels tasks that have no user "Anonymous". The AsyncDashRegistrations plugin
/// registers it because it conforms to `RegisteredManager`.
final class AppAsyncManager: ModelTrackingAsyncManager, RegisteredManager, @unchecked Sendable {
    static let dottedName = "myapp.async_manager.AppAsyncManager"

    override class var recordModelPath: String? { JobRecord.name }

    override func formatUser(_ user: JSONValue?) -> String {
        switch user {
        case nil, .null?, .string("")?: "Anonymous"
        default: super.formatUser(user)
        }
    }
}
