import ArgumentParser
import AsyncDash
import Foundation

/// `asyncdash emit EVENT --task NAME …`: reports one lifecycle event through the configured
/// manager, so any process (a cron script, a non-Swift job) can feed the dashboard.
struct EmitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "emit",
        abstract: "Report a lifecycle event (create, progress, complete, fail, cleanup) through the configured manager.",
        discussion: """
            Examples:
              asyncdash emit create --task import-42 --user alice --affected book:1 --affected book:2 --kwargs '{"dry_run":false}'
              asyncdash emit progress --task import-42 --done 40 --total 100 --unit rows
              asyncdash emit progress --task import-42 --progress 'Reading rows'
              asyncdash emit complete --task import-42 --result '{"updated":100}'
              asyncdash emit cleanup --task import-42
            """
    )

    @OptionGroup var global: GlobalOptions

    @Argument(help: ArgumentHelp("The event: create, progress, complete, fail or cleanup.", valueName: "event"))
    var event: String

    @Option(help: ArgumentHelp("The task's name.", valueName: "name"))
    var task: String

    @Option(help: ArgumentHelp("The status the event reports: \(TaskStatus.allCases.map(\.rawValue).joined(separator: ", ")).", valueName: "status"))
    var status: String?

    @Option(help: "A message (kept on the record except for progress events).")
    var message: String?

    @Option(help: ArgumentHelp("Progress text, kept exactly as given (also when it looks like JSON); with --done, the structured progress's message.", valueName: "text"))
    var progress: String?

    @Option(help: ArgumentHelp("Structured progress: how many are done (0 or more).", valueName: "n"))
    var done: Int?

    @Option(help: ArgumentHelp("Structured progress: how many there are in all (with --done).", valueName: "n"))
    var total: Int?

    @Option(help: ArgumentHelp("Structured progress: what is counted, e.g. rows (with --done).", valueName: "unit"))
    var unit: String?

    @Option(help: ArgumentHelp("The user: a JSON object when it starts with '{', else a name.", valueName: "user"))
    var user: String?

    @Option(help: ArgumentHelp("An affected object, e.g. book:1 (repeat for several).", valueName: "object"))
    var affected: [String] = []

    @Option(help: ArgumentHelp("The task's args as JSON.", valueName: "json"))
    var args: String?

    @Option(help: ArgumentHelp("The task's kwargs as JSON.", valueName: "json"))
    var kwargs: String?

    @Option(help: ArgumentHelp("The task's result as JSON.", valueName: "json"))
    var result: String?

    @Option(help: ArgumentHelp("When it happened, ISO 8601 (default now).", valueName: "iso8601"))
    var timestamp: String?

    @Option(
        help: ArgumentHelp(
            "The manager to use: a MANAGERS name or a registered dotted name (default ASYNC_MANAGER_DEFAULT).", valueName: "dotted-name")
    )
    var manager: String?

    @Flag(help: "Print the task's record afterwards as JSON.")
    var json = false

    func run() async throws {
        let lifecycleEvent = try makeEvent()
        let runtime = try await CLIRuntime(global)
        let stores = try await runtime.openStores()
        let manager = try await runtime.manager(named: manager, stores: stores)
        if lifecycleEvent.kind == .progress, let payload = lifecycleEvent.progress {
            // updateProgress semantics: the progress entry first, then the event.
            try await stores.coordination.setProgress(payload, for: lifecycleEvent.taskName, ttl: manager.settings.progressTTL)
        }
        do {
            try await manager.emitOrThrow(lifecycleEvent)
        } catch {
            throw CLIError.failure("\(manager.name) could not record the \(lifecycleEvent.kind) event of task '\(lifecycleEvent.taskName)': \(error)")
        }
        // This process ends now: let the best-effort observers (log…) handle the event first.
        // Durable ones are in the outbox, delivered by any serve or worker on the store.
        if !(await manager.flushObservers(timeout: Self.observerGrace)) {
            Output.warning("a best-effort observer did not finish within \(Self.observerGrace); the event was recorded")
        }
        let counts = await manager.diagnostics.snapshot
        for (observer, count) in counts.observerFailures.sorted(by: { $0.key < $1.key }) {
            Output.warning("observer '\(observer)' failed \(count == 1 ? "once" : "\(count) times") (logged above); the event was recorded")
        }
        guard json else { return }
        if let tracking = manager as? ModelTrackingAsyncManager, let record = try await tracking.record(for: lifecycleEvent.taskName) {
            Output.line(RecordRendering.json(record, model: tracking.recordModel).prettyJSONText)
        } else {
            Output.line(lifecycleEvent.json.prettyJSONText)
        }
    }

    /// How long `emit` waits for best-effort observers before it exits.
    static let observerGrace: Duration = .seconds(10)

    /// The event the options describe; every bad value is a usage error naming the option.
    func makeEvent() throws(CLIError) -> LifecycleEvent {
        guard let kind = LifecycleEventKind(parsing: event) else {
            throw .usage("unknown event '\(event)'; valid events: \(LifecycleEventKind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        if task.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            throw .usage("--task is empty; give the task a non-empty name")
        }
        var parsedStatus: TaskStatus?
        if let status {
            guard let known = TaskStatus(parsing: status) else {
                throw .usage("--status '\(status)' is not a status; valid statuses: \(TaskStatus.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            parsedStatus = known
        }
        var parsedTimestamp = Date()
        if let timestamp {
            guard let date = ISO8601.parse(timestamp) else {
                throw .usage("--timestamp '\(timestamp)' is not an ISO 8601 time; e.g. 2026-11-29T03:53:10Z")
            }
            parsedTimestamp = date
        }
        var payload = progress.map(ProgressPayload.text)
        if let done {
            guard done >= 0, (total ?? 0) >= 0 else { throw .usage("--done and --total must be 0 or more (got --done \(done)\(total.map { " --total \($0)" } ?? ""))") }
            payload = .structured(StructuredProgress(done: done, total: total, unit: unit, message: progress))
        } else if total != nil || unit != nil {
            throw .usage("--total and --unit describe structured progress: give --done too (e.g. --done 40 --total 100 --unit rows)")
        }
        var text = message ?? ""
        if kind == .progress && payload == nil && !text.isEmpty { payload = .text(text) }
        if kind == .progress && text.isEmpty, let payload {
            switch payload {
            case .text(let progressText): text = progressText
            case .structured(let structured): text = structured.message ?? ""
            }
        }
        return LifecycleEvent(
            kind, task: task, status: parsedStatus, message: text, progress: payload,
            user: try user.map(EventParsing.user),
            affected: affected.isEmpty ? nil : .array(affected.map(JSONValue.string)),
            args: try args.map { text throws(CLIError) in try EventParsing.json(text, option: "--args") },
            kwargs: try kwargs.map { text throws(CLIError) in try EventParsing.json(text, option: "--kwargs") },
            result: try result.map { text throws(CLIError) in try EventParsing.json(text, option: "--result") },
            timestamp: parsedTimestamp
        )
    }
}
