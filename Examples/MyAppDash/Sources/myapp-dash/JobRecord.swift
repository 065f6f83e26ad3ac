import AsyncDash

/// `myapp.JobRecord`: the app's dashboard table, `job_records`, one row per task.
enum JobRecord: RegistrationCatalog {
    /// The registered dotted name.
    static let name = "myapp.JobRecord"

    static let model: RecordModel = {
        do {
            return try RecordModel(
                name: name,
                table: "job_records",
                columns: [
                    .init("task_name", .text),
                    .init("status", .text),
                    .init("message", .text),
                    .init("progress_payload", .text),
                    .init("user_label", .text),
                    .init("result_payload", .json),
                    .init("completed_at", .timestamp),
                    .init("failed_at", .timestamp),
                    .init("cleaned_up", .bool),
                    .init("created_at", .timestamp),
                    .init("updated_at", .timestamp),
                ]
            )
        } catch {
            preconditionFailure("myapp.JobRecord is declared wrongly: \(error)")
        }
    }()
}
