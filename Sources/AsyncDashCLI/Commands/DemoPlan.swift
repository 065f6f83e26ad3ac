import AsyncDash
import Sample

/// One sample task the demo runs.
struct DemoPlan: Sendable {
    var taskName: String
    var function: TaskFunction
    var args: JSONValue
    var locks: [ObjectRef]
    var user: JSONValue?
    var startDelayMs: Int
    /// Start only once this task has reported progress (so the demo's conflict is certain).
    var startsWhileRunning: String? = nil

    /// Three updates (two of them over different books, one over the first task's books — a
    /// conflict), a failing task, and a long-running one.
    static func all(batch: String, items: Int, delayMs: Int) -> [DemoPlan] {
        [
            DemoPlan(taskName: "demo-\(batch)-update-books-1-3", function: SampleTasks.updateItems,
                     args: ["count": .int(items), "delay_ms": .int(delayMs)], locks: ObjectRef.many(model: "book", ids: 1...3),
                     user: "alice", startDelayMs: 0),
            DemoPlan(taskName: "demo-\(batch)-update-books-4-6", function: SampleTasks.updateItems,
                     args: ["count": .int(items * 3 / 2), "delay_ms": .int(delayMs)], locks: ObjectRef.many(model: "book", ids: 4...6),
                     user: ["username": "bob"], startDelayMs: 100),
            DemoPlan(taskName: "demo-\(batch)-update-books-2-4", function: SampleTasks.updateItems,
                     args: ["count": .int(items), "delay_ms": .int(delayMs)], locks: ObjectRef.many(model: "book", ids: 2...4),
                     user: "carol", startDelayMs: 0, startsWhileRunning: "demo-\(batch)-update-books-1-3"),
            DemoPlan(taskName: "demo-\(batch)-fail-on-7", function: SampleTasks.failOn,
                     args: ["value": 7, "fail_on": 7], locks: [ObjectRef(model: "author", id: "7")], user: nil, startDelayMs: 500),
            DemoPlan(taskName: "demo-\(batch)-long-running", function: SampleTasks.longRunning,
                     args: ["seconds": .double(Double(items * delayMs) / 1000)], locks: [], user: nil, startDelayMs: 200),
        ]
    }
}
