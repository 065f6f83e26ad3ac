import AsyncDash

/// `sample.AsyncTaskRecord`: the seed's dashboard model, plus `task_args`, `task_kwargs`,
/// `task_function` and `task_locks` (what the dashboard's retry relaunches and locks again) and `attempts`.
public enum AsyncTaskRecord: RegistrationCatalog {
    /// The registered dotted name.
    public static let name = "sample.AsyncTaskRecord"

    /// The model: table `async_task_records`.
    public static let model: RecordModel = {
        do {
            return try RecordModel(
                name: name,
                table: "async_task_records",
                columns: [
                    .init("task_name", .text),
                    .init("status", .text),
                    .init("message", .text),
                    .init("progress_payload", .text),
                    .init("user_label", .text),
                    .init("affected_objects", .text),
                    .init("task_args", .json),
                    .init("task_kwargs", .json),
                    .init("result_payload", .json),
                    .init("cleaned_up", .bool),
                    .init("created_at", .timestamp),
                    .init("updated_at", .timestamp),
                    .init("completed_at", .timestamp),
                    .init("failed_at", .timestamp),
                    .init("task_function", .text),
                    .init("attempts", .integer),
                    .init("task_locks", .json),
                ]
            )
        } catch {
            preconditionFailure("the sample model is declared wrongly: \(error)")  // a programmer error, covered by tests
        }
    }()
}
