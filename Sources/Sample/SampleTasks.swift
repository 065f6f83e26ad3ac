import AsyncDash

/// The sample task functions, under dotted names docs and demos rely on.
public enum SampleTasks: RegistrationCatalog {
    /// The arguments of `sample.tasks.update_items` (both optional).
    public struct UpdateItemsArguments: Codable, Sendable {
        public var count: Int?
        public var delayMs: Int?
        enum CodingKeys: String, CodingKey { case count, delayMs = "delay_ms" }
    }

    /// The result of `sample.tasks.update_items`.
    public struct UpdateItemsResult: Codable, Sendable {
        public var updated: Int
    }

    /// `sample.tasks.update_items` — args `{"count": N, "delay_ms": D}` (typed: a string count fails
    /// the task with a clear error); reports progress per item; returns `{"updated": N}`.
    public static let updateItems: TaskFunction = .typed("sample.tasks.update_items") { (args: UpdateItemsArguments, context) in
        let count = args.count ?? 10
        let delay = args.delayMs ?? 0
        guard (0...1_000_000).contains(count) else {
            throw SampleTaskError(message: "count \(count) is out of range: give 0 to 1000000 items")
        }
        guard (0...3_600_000).contains(delay) else {
            throw SampleTaskError(message: "delay_ms \(delay) is out of range: give 0 to 3600000 milliseconds")
        }
        for item in 0..<count {
            if delay > 0 { try await Task.sleep(for: .milliseconds(delay)) }
            try await context.progress(.structured(StructuredProgress(done: item + 1, total: count, unit: "items")))
        }
        return UpdateItemsResult(updated: count)
    }

    /// `sample.tasks.fail_on` — args `{"value": X, "fail_on": Y}`; throws when X == Y.
    public static let failOn = TaskFunction(name: "sample.tasks.fail_on") { args, _ in
        let value = args["value"] ?? .null
        if value == (args["fail_on"] ?? .null) {
            throw SampleTaskError(message: "value \(value.jsonText) is the failing value")
        }
        return ["value": value]
    }

    /// `sample.tasks.long_running` — args `{"seconds": S}`; sleeps in steps, reporting progress and
    /// honouring cancellation.
    public static let longRunning = TaskFunction(name: "sample.tasks.long_running") { args, context in
        let seconds = args["seconds"]?.doubleValue ?? 5
        guard seconds.isFinite, (0...86_400).contains(seconds) else {
            throw SampleTaskError(message: "seconds \(args["seconds"]?.jsonText ?? "") is out of range: give 0 to 86400 seconds")
        }
        let steps = max(1, Int(seconds * 10))
        for step in 1...steps {
            try await Task.sleep(for: .milliseconds(Int(seconds * 1000) / steps))
            try await context.progress(.structured(StructuredProgress(done: step, total: steps, unit: "ticks")))
        }
        return ["slept_s": .double(seconds)]
    }

    /// `sample.tasks.ignore_cancel` — args `{"seconds": S}`; waits S seconds and never looks at
    /// cancellation, like a function stuck in a call that cannot be interrupted. It shows what
    /// becomes of a task that does not stop when asked: past `MAX_TASK_DURATION` its worker stops
    /// renewing its lease after one `LEASE_TTL`, and it is recovered as a lost worker's task.
    public static let ignoreCancel = TaskFunction(name: "sample.tasks.ignore_cancel") { args, _ in
        let seconds = args["seconds"]?.doubleValue ?? 5
        guard seconds.isFinite, (0...86_400).contains(seconds) else {
            throw SampleTaskError(message: "seconds \(args["seconds"]?.jsonText ?? "") is out of range: give 0 to 86400 seconds")
        }
        // A detached task is not cancelled with its awaiter, and awaiting its value ignores cancellation.
        await Task.detached { try? await Task.sleep(for: .milliseconds(Int(seconds * 1000))) }.value
        return ["waited_s": .double(seconds)]
    }

    public static let all = [updateItems, failOn, longRunning, ignoreCancel]
}

/// The error `sample.tasks.fail_on` throws.
public struct SampleTaskError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var description: String { message }
}
