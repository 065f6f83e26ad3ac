import Foundation

/// A queue that runs jobs in this process, at most ``concurrency`` at a time, first in first out.
///
/// Nothing survives the process: use it for `serve`, tests and single-process apps. A job that
/// its runner says to retry waits out the backoff delay, then joins the back of the queue.
///
/// ```swift
/// let queue = InProcessTaskQueue(runner: manager, concurrency: 4)
/// let launch = try await manager.launchAsyncTask("sample.tasks.long_running", args: ["seconds": 60], queue: queue)
/// await queue.cancel(launch.taskName)       // the record ends `cancelled`, then `cleanup`
/// _ = await queue.waitUntilIdle(timeout: .seconds(10))
/// ```
///
/// With `maxTaskDuration`, a run older than that is cancelled and its task ends `failed` with the
/// reason when it stops (``JobHandBack/exceedDuration(_:)``); its locks stay until then.
///
/// ``close()`` makes later enqueues throw ``TaskQueueError`` (``TaskQueueError/Code/closed``);
/// jobs already accepted still run.
public actor InProcessTaskQueue: TaskQueue {
    /// The most jobs running at once.
    public let concurrency: Int
    /// How long a run may take before it is cancelled (`MAX_TASK_DURATION`); `nil`: no limit.
    public let maxTaskDuration: Duration?
    private let runner: any TaskJobRunner
    /// The timers that stop runs older than ``maxTaskDuration``.
    private var deadlines: [String: Task<Void, Never>] = [:]
    private var queued: [TaskJob] = []
    private var running: [String: Task<Void, Never>] = [:]
    private var waiting: [String: (job: TaskJob, timer: Task<Void, Never>)] = [:]
    private var closed = false
    private var cancelRequested: Set<String> = []
    /// When each running job was handed to its worker (read by clean-up, `InProcessTaskQueue+Inspector.swift`).
    private(set) var runningSince: [String: Date] = [:]

    /// - Parameters:
    ///   - runner: Runs the jobs (a manager).
    ///   - concurrency: The most jobs running at once.
    ///   - maxTaskDuration: How long a run may take before it is cancelled and its task fails
    ///     (the manager's `MAX_TASK_DURATION`); `nil` (the default): no limit.
    /// - Precondition: `concurrency ≥ 1` (a programmer error).
    public init(runner: any TaskJobRunner, concurrency: Int = 4, maxTaskDuration: Duration? = nil) {
        precondition(concurrency >= 1, "an in-process queue needs a concurrency of at least 1")
        self.runner = runner
        self.concurrency = concurrency
        self.maxTaskDuration = maxTaskDuration
    }

    public func enqueue(_ job: TaskJob) throws {
        if closed {
            throw TaskQueueError(.closed, taskName: job.taskName, message: "the queue is closed; task '\(job.taskName)' was not queued")
        }
        if knows(job.taskName) {
            throw TaskQueueError(.duplicate, taskName: job.taskName, message: "task '\(job.taskName)' is already queued or running")
        }
        queued.append(job)
        pump()
    }

    @discardableResult
    public func cancel(_ taskName: String) async -> Bool {
        if let task = running[taskName] {
            cancelRequested.insert(taskName)
            task.cancel()
            return true
        }
        let job: TaskJob
        if let index = queued.firstIndex(where: { $0.taskName == taskName }) {
            job = queued.remove(at: index)
        } else if let entry = waiting.removeValue(forKey: taskName) {
            entry.timer.cancel()
            job = entry.job
        } else {
            return false
        }
        await runner.finishCancelledJob(job)
        return true
    }

    /// Refuses every later enqueue; accepted jobs still run.
    public func close() { closed = true }

    /// Whether later enqueues are refused.
    public var isClosed: Bool { closed }

    /// How many jobs are queued, running, and waiting to retry.
    public var counts: (queued: Int, running: Int, waiting: Int) { (queued.count, running.count, waiting.count) }

    /// Whether the queue holds no job at all.
    public var isIdle: Bool { queued.isEmpty && running.isEmpty && waiting.isEmpty }

    /// Whether the queue holds a job of `taskName`.
    public func knows(_ taskName: String) -> Bool {
        running[taskName] != nil || waiting[taskName] != nil || queued.contains { $0.taskName == taskName }
    }

    /// Waits until the queue is idle or `timeout` has passed; returns whether it is idle.
    public func waitUntilIdle(timeout: Duration = .seconds(30)) async -> Bool {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while !isIdle && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(5))
        }
        return isIdle
    }

    private func pump() {
        while running.count < concurrency, !queued.isEmpty {
            let job = queued.removeFirst()
            let runner = self.runner
            runningSince[job.taskName] = Date()
            let handBack = JobHandBack()
            let run = Task {
                let outcome = await JobHandBack.$current.withValue(handBack) { await runner.runJob(job) }
                await self.ended(job, outcome)
            }
            running[job.taskName] = run
            if let limit = maxTaskDuration {
                deadlines[job.taskName] = Task {
                    do { try await Task.sleep(for: limit) } catch { return }
                    handBack.exceedDuration(limit)
                    run.cancel()
                }
            }
        }
    }

    private func ended(_ job: TaskJob, _ outcome: TaskJobOutcome) async {
        runningSince[job.taskName] = nil
        deadlines.removeValue(forKey: job.taskName)?.cancel()
        let cancelled = cancelRequested.remove(job.taskName) != nil
        if case .retry = outcome, cancelled {
            await runner.finishCancelledJob(job)  // cancelled after its last attempt failed: no retry
            running[job.taskName] = nil
            pump()
            return
        }
        running[job.taskName] = nil
        if case .retry(let delay) = outcome {
            let next = job.nextAttempt
            waiting[job.taskName] = (next, Task {
                do { try await Task.sleep(for: delay) } catch { return }
                self.wake(next)
            })
        }
        pump()
    }

    private func wake(_ job: TaskJob) {
        guard waiting.removeValue(forKey: job.taskName) != nil else { return }  // cancelled meanwhile
        queued.append(job)
        pump()
    }
}
