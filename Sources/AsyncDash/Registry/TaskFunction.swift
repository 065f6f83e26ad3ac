/// A unit of background work registered by dotted name (e.g. `sample.tasks.update_items`).
///
/// It takes JSON arguments and returns a JSON result; a throw is a failure.
///
/// ```swift
/// registry.register(taskFunction: TaskFunction(name: "myapp.tasks.reindex") { args in
///     let count = args["count"]?.intValue ?? 0
///     return ["reindexed": .int(count)]
/// })
/// ```
public struct TaskFunction: Sendable {
    public let name: String
    public let run: @Sendable (_ args: JSONValue) async throws -> JSONValue

    public init(name: String, run: @escaping @Sendable (_ args: JSONValue) async throws -> JSONValue) {
        self.name = name
        self.run = run
    }
}
