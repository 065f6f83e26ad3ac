import ArgumentParser
import AsyncDash
import AsyncDashCLI
import Foundation

/// `asyncdash bench lifecycle|locks|e2e|http|list|webhooks`: throughput workloads; each prints one last line of
/// `key=value` pairs.
public struct BenchCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure throughput; the last line of output is key=value pairs.",
        subcommands: [
            BenchLifecycleCommand.self, BenchLocksCommand.self, BenchE2ECommand.self, BenchHTTPCommand.self, BenchListCommand.self,
            BenchWebhooksCommand.self, BenchWebhookReceiverCommand.self,
        ]
    )

    @OptionGroup var global: GlobalOptions

    public init() {}

    public func run() async throws {
        throw CLIError.usage("missing a workload: lifecycle, locks, e2e, http, list or webhooks; see 'asyncdash bench --help'")
    }
}

/// The options every workload takes.
struct BenchOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp("The store URL to run against (default: the config's STORE). The store is used as is, never deleted.", valueName: "url")
    )
    var store: String?

    @Option(name: [.customShort("n"), .customLong("count")], help: "How many tasks.")
    var count = 2000

    @Option(help: "How many tasks run at once.")
    var concurrency = 64

    @Option(help: ArgumentHelp("Task names are PREFIX-0, PREFIX-1, … (default: bench- and a random suffix).", valueName: "prefix"))
    var taskPrefix: String?

    func validate() throws {
        guard count >= 1 else { throw ValidationError("-n must be 1 or more, not \(count)") }
        guard concurrency >= 1 else { throw ValidationError("--concurrency must be 1 or more, not \(concurrency)") }
        if let taskPrefix, taskPrefix.trimmingCharacters(in: .whitespaces).isEmpty {
            throw ValidationError("--task-prefix must not be empty")
        }
    }

    /// The prefix of task names.
    var prefix: String {
        taskPrefix ?? "bench-" + UUID().uuidString.prefix(8).lowercased()
    }
}

/// Runs a workload `concurrency` tasks at a time and times it.
enum BenchRunner {
    /// Runs `work(index)` for each index in `0..<count`, keeping `concurrency` in flight.
    ///
    /// - Returns: The wall time (``ContinuousClock``) and the sum of the failures `work` reported.
    static func run(count: Int, concurrency: Int, _ work: @escaping @Sendable (Int) async -> Int) async -> (elapsed: Duration, failures: Int) {
        let clock = ContinuousClock()
        let start = clock.now
        let failures = await withTaskGroup(of: Int.self, returning: Int.self) { group in
            var next = 0
            var failures = 0
            while next < min(concurrency, count) {
                let index = next
                group.addTask { await work(index) }
                next += 1
            }
            while let failed = await group.next() {
                failures += failed
                if next < count {
                    let index = next
                    group.addTask { await work(index) }
                    next += 1
                }
            }
            return failures
        }
        return (start.duration(to: clock.now), failures)
    }

    /// `count / elapsed`, rounded to a whole number.
    static func rate(_ count: Int, _ elapsed: Duration) -> Int {
        let seconds = max(elapsed.timeInterval, 1e-9)
        return Int((Double(count) / seconds).rounded())
    }

    /// `12.345`
    static func seconds(_ elapsed: Duration) -> String {
        String(format: "%.3f", elapsed.timeInterval)
    }
}
