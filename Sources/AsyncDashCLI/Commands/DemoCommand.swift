import ArgumentParser
import AsyncDash
import Foundation
import Sample

/// `asyncdash demo`: runs the sample tasks in this process through the configured manager and
/// store, drawing their progress as bars, then prints their dashboard records.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run the sample tasks with locks and progress, and show them finishing."
    )

    @OptionGroup var global: GlobalOptions

    @Option(help: ArgumentHelp("Items per update task.", valueName: "n"))
    var items = 20

    @Option(help: ArgumentHelp("Milliseconds per item.", valueName: "ms"))
    var delayMs = 60

    func validate() throws {
        guard items > 0, delayMs >= 0 else { throw ValidationError("--items must be above 0 and --delay-ms 0 or more") }
    }

    func run() async throws {
        let runtime = try await CLIRuntime(global)
        let stores = try await runtime.openStores()
        let manager = try await runtime.trackingManager(named: nil, stores: stores)
        let batch = String(UUID().uuidString.prefix(6)).lowercased()
        let plans = DemoPlan.all(batch: batch, items: items, delayMs: delayMs)
        Output.line("demo \(batch): \(plans.count) sample tasks on \(runtime.displayedStoreURL()) through \(manager.name)")

        let board = ProgressBoard(names: plans.map(\.taskName))
        let outcomes = await withTaskGroup(of: (String, String).self) { group in
            for plan in plans {
                group.addTask {
                    if plan.startDelayMs > 0 { try? await Task.sleep(for: .milliseconds(plan.startDelayMs)) }
                    if let other = plan.startsWhileRunning { await Self.waitForProgress(of: other, manager) }
                    do {
                        let run = try await manager.runTask(plan.function, args: plan.args, taskName: plan.taskName,
                                                            locking: plan.locks, user: plan.user)
                        return (plan.taskName, run.failure.map { "failed: \($0)" } ?? "succeeded: \(run.result?.jsonText ?? "null")")
                    } catch let error as AsyncDashError where error.code == .conflict {
                        return (plan.taskName, "not started: \(error.message)")
                    } catch {
                        return (plan.taskName, "not started: \(error)")
                    }
                }
            }
            group.addTask {
                await board.follow(manager)
                return ("", "")
            }
            var outcomes: [String: String] = [:]
            var finished = 0
            for await (name, outcome) in group where !name.isEmpty {
                outcomes[name] = outcome
                finished += 1
                if finished == plans.count { await board.stop() }
            }
            return outcomes
        }
        await board.draw(manager, final: true)
        Output.line()
        for plan in plans { Output.line("\(plan.taskName): \(outcomes[plan.taskName] ?? "?")") }
        Output.line()
        let records = try await stores.records.list(manager.recordModel, query: RecordQuery(limit: 1000))
            .filter { $0[manager.recordModel.keyColumn].text?.hasPrefix("demo-\(batch)") == true }
        let rows = records.map { record in
            ["task_name", "status", "user_label", "message"].map { column in
                guard let name = manager.resolvedFieldMap[Self.logical[column] ?? column]?.name else { return "" }
                return record[name].text ?? record[name].json.jsonText
            }
        }
        for line in Output.table(header: ["TASK", "STATUS", "USER", "MESSAGE"], rows: rows) { Output.line(line) }
        Output.line()
        Output.line("inspect one with: asyncdash show \(plans[0].taskName) --json")
    }

    /// Waits (at most 10 s) until `task` has reported progress.
    private static func waitForProgress(of task: String, _ manager: AsyncManager) async {
        for _ in 0..<2000 {
            if case .structured? = try? await manager.getProgress(task) { return }
            try? await Task.sleep(for: .milliseconds(5))
        }
    }

    private static let logical = ["task_name": "task_name", "status": "status", "user_label": "user", "message": "message"]
}
