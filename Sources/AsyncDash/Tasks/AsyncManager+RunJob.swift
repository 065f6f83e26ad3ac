import Foundation
import Logging

extension AsyncManager: TaskJobRunner {
    /// Runs a queued job: waits until its launch has emitted `create`, runs the registered
    /// function with ``TaskContext/current`` bound, then finishes the task (`complete` or `fail`,
    /// then `cleanup`, everything released) — or, when the function threw and its ``RetryPolicy``
    /// allows another attempt, emits a `progress` event "Retrying (attempt n of m)" (status
    /// pending; `extra` carries `attempt`, `max_attempts`, `error`, `delay_ms`), keeps the locks,
    /// and returns ``TaskJobOutcome/retry(after:)``.
    ///
    /// ```swift
    /// let outcome = await manager.runJob(TaskJob(taskName: "t1", functionName: "sample.tasks.update_items", args: ["count": 3]))
    /// ```
    public func runJob(_ job: TaskJob) async -> TaskJobOutcome {
        await launchGate.wait(job.taskName)
        let function: TaskFunction
        do {
            function = try context.registry.taskFunction(named: job.functionName)
        } catch {
            await finishTask(job.taskName, .failed("\(error)"), attempt: job.attempt, maxAttempts: job.maxAttempts)
            return .failed("\(error)")
        }
        var execution: TaskExecution
        var ranFor: Duration?
        if Task.isCancelled {
            execution = .cancelled
        } else {
            let context = makeTaskContext(job.taskName, attempt: job.attempt, maxAttempts: job.maxAttempts)
            let started = ContinuousClock.now
            execution = await execute(function, args: job.args, context: context)
            ranFor = ContinuousClock.now - started
        }
        // Stopped by its worker for running past MAX_TASK_DURATION: failed, with the reason, no retry.
        if case .cancelled = execution, let limit = JobHandBack.current?.exceededDuration {
            execution = .failed(JobHandBack.exceededMessage(limit))
        }
        if case .cancelled = execution, JobHandBack.current?.isRequested == true {
            await announceHandBack(job)
            return .handedBack
        }
        if case .failed(let message) = execution, job.attempt < job.maxAttempts, !Task.isCancelled {
            let delay = function.retry.delay(afterAttempt: job.attempt)
            await announceRetry(job, error: message, delay: delay)
            return .retry(after: delay)
        }
        await finishTask(
            job.taskName, execution, attempt: job.attempt, maxAttempts: job.maxAttempts, recovered: job.recovered, function: job.functionName,
            ranFor: ranFor)
        switch execution {
        case .succeeded(let result): return .succeeded(result)
        case .failed(let message): return .failed(message)
        case .cancelled: return .cancelled
        }
    }

    /// Finishes a job that never ran, or was waiting to retry, as cancelled.
    public func finishCancelledJob(_ job: TaskJob) async {
        await launchGate.wait(job.taskName)
        await finishTask(job.taskName, .cancelled, attempt: job.attempt, maxAttempts: job.maxAttempts)
    }

    /// Records that a stopping worker gave the job back to its queue (status pending again).
    private func announceHandBack(_ job: TaskJob) async {
        let message = "Returned to the queue (worker stopping)"
        await emit(LifecycleEvent(
            .progress, task: job.taskName, status: .pending, message: message, progress: .text(message), timestamp: context.clock.now(),
            extra: ["attempt": .int(job.attempt), "max_attempts": .int(job.maxAttempts), "handed_back": true]
        ))
    }

    private func announceRetry(_ job: TaskJob, error: String, delay: Duration) async {
        let message = "Retrying (attempt \(job.attempt + 1) of \(job.maxAttempts))"
        do {
            try await stores.coordination.setProgress(.text(message), for: job.taskName, ttl: settings.progressTTL)
        } catch {
            logger.error("could not store a retry's progress entry", metadata: ["task": "\(job.taskName)", "error": "\(error)"])
        }
        await emit(LifecycleEvent(
            .progress, task: job.taskName, status: .pending, message: message, progress: .text(message), timestamp: context.clock.now(),
            extra: [
                "attempt": .int(job.attempt + 1), "max_attempts": .int(job.maxAttempts),
                "error": .string(error), "delay_ms": .int(Int(saturating: delay.timeInterval * 1000)),
            ]
        ))
    }
}
