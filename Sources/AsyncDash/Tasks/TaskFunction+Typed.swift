import Foundation

extension TaskFunction {
    /// A task function with typed arguments and result: the JSON arguments are decoded into
    /// `Arguments` (a mismatch fails the task with a ``TaskArgumentsError`` naming the function,
    /// the arguments and the reason), and the result is encoded back to JSON.
    ///
    /// ```swift
    /// struct ReindexArgs: Codable, Sendable { var count: Int; var dryRun: Bool? }
    /// struct ReindexResult: Codable, Sendable { var reindexed: Int }
    ///
    /// registry.register(taskFunction: .typed("myapp.tasks.reindex") { (args: ReindexArgs, context) in
    ///     try await context.progress(.text("reindexing \(args.count)"))
    ///     return ReindexResult(reindexed: args.count)
    /// })
    /// ```
    public static func typed<Arguments: Decodable & Sendable, Result: Encodable & Sendable>(
        _ name: String,
        retry: RetryPolicy = .none,
        run: @escaping @Sendable (_ args: Arguments, _ context: TaskContext) async throws -> Result
    ) -> TaskFunction {
        TaskFunction(name: name, retry: retry) { json, context in
            let arguments: Arguments
            do {
                arguments = try JSONDecoder().decode(Arguments.self, from: Data(json.jsonText.utf8))
            } catch {
                throw TaskArgumentsError(function: name, arguments: json, reason: Self.describe(error))
            }
            let result = try await run(arguments, context)
            return try JSONValue(parsing: String(decoding: try JSONEncoder().encode(result), as: UTF8.self))
        }
    }

    private static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, _):
            return "missing argument '\(key.stringValue)'"
        case DecodingError.typeMismatch(let type, let context), DecodingError.valueNotFound(let type, let context):
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            return "argument '\(path)' must be \(type)"
        case DecodingError.dataCorrupted(let context):
            return context.debugDescription
        default:
            return "\(error)"
        }
    }
}

/// A task's JSON arguments did not decode into the function's argument type.
public struct TaskArgumentsError: Error, CustomStringConvertible, Sendable {
    public var function: String
    public var arguments: JSONValue
    public var reason: String
    public var description: String { "\(function): \(reason) (arguments: \(arguments.jsonText))" }
}
