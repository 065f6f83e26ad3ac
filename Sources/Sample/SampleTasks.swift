import AsyncDash

/// The sample task functions, under dotted names docs and demos rely on.
public enum SampleTasks {
    /// `sample.tasks.update_items` — args `{"count": N, "delay_ms": D}`; returns `{"updated": N}`.
    public static let updateItems = TaskFunction(name: "sample.tasks.update_items") { args in
        let count = max(0, args["count"]?.intValue ?? 10)
        let delay = max(0, args["delay_ms"]?.intValue ?? 0)
        for _ in 0..<count where delay > 0 {
            try await Task.sleep(for: .milliseconds(delay))
        }
        return ["updated": .int(count)]
    }

    /// `sample.tasks.fail_on` — args `{"value": X, "fail_on": Y}`; throws when X == Y.
    public static let failOn = TaskFunction(name: "sample.tasks.fail_on") { args in
        let value = args["value"] ?? .null
        if value == (args["fail_on"] ?? .null) {
            throw SampleTaskError(message: "value \(value.jsonText) is the failing value")
        }
        return ["value": value]
    }

    /// `sample.tasks.long_running` — args `{"seconds": S}`; sleeps, honouring cancellation.
    public static let longRunning = TaskFunction(name: "sample.tasks.long_running") { args in
        let seconds = max(0, args["seconds"]?.doubleValue ?? 5)
        try await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
        return ["slept_s": .double(seconds)]
    }

    public static let all = [updateItems, failOn, longRunning]
}

/// The error `sample.tasks.fail_on` throws.
public struct SampleTaskError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var description: String { message }
}
