import ArgumentParser
import AsyncDash

/// `asyncdash migrate`: creates or upgrades the record tables of the default manager and every
/// `MANAGERS` entry on the configured store (the coordination tables are made when it opens).
///
/// With `--from URL --to URL` it moves an installation instead (``StoreCopy``): the records of
/// those models, the audit log, the unfinished jobs, the undelivered outbox entries, the locks,
/// the active set and the dead letters.
///
/// ```text
/// $ asyncdash migrate --from sqlite://.asyncdash/asyncdash.sqlite --to postgres://asyncdash@db:5432/asyncdash
/// from: sqlite://.asyncdash/asyncdash.sqlite
/// to: postgres://asyncdash@db:5432/asyncdash
/// records: 1204 of sample.TaskRecord
/// audit entries: 17; jobs: 40 queued, 2 handed back; outbox entries: 3 pending, 1 dead
/// locks: 12; active tasks: 42; dead letters: 0
/// migrate OK
/// ```
struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Create or upgrade the store's schema for every configured manager's record model, or copy an installation to another store.",
        discussion: """
            Without --from/--to: prepares the record table of ASYNC_MANAGER_DEFAULT and of every MANAGERS entry \
            on STORE. With --from URL --to URL: copies from one store to another (any two drivers): the records of \
            those managers' models, the audit log, queued jobs (a job running under an ended lease is queued again \
            at the same attempt), undelivered outbox entries (pending and dead), unexpired locks, the active set and \
            dead letters. Progress entries are not copied. It refuses while a worker is live on the source, and when \
            the target holds anything unless --into-non-empty (records are then replaced by key, and jobs, audit \
            entries, outbox entries and dead letters the target has are skipped). Run twice, it adds nothing new.
            """
    )

    @OptionGroup var global: GlobalOptions

    @Option(help: ArgumentHelp("The store to copy from (with --to).", valueName: "url"))
    var from: String?

    @Option(help: ArgumentHelp("The store to copy into (with --from).", valueName: "url"))
    var to: String?

    @Flag(help: "Copy into a target that already holds something (records replaced by key; what it has is skipped).")
    var intoNonEmpty = false

    @Option(help: ArgumentHelp("Items per read and write while copying (1–10000).", valueName: "n"))
    var batchSize = 500

    @Flag(help: "Print what was copied as JSON.")
    var json = false

    func validate() throws {
        switch (from, to) {
        case (nil, nil):
            if intoNonEmpty || json { throw ValidationError("--into-non-empty and --json go with --from and --to") }
        case (.some, nil): throw ValidationError("--from needs --to: the store to copy into")
        case (nil, .some): throw ValidationError("--to needs --from: the store to copy from")
        case (.some(let source), .some(let target)):
            if source == target { throw ValidationError("--from and --to name the same store ('\(StoreURL.redacted(source))')") }
        }
        guard (1...10_000).contains(batchSize) else { throw ValidationError("--batch-size must be 1–10000, not \(batchSize)") }
    }

    func run() async throws {
        let runtime = try await CLIRuntime(global)
        if let from, let to { return try await copy(runtime, from: from, to: to) }
        let stores = try await runtime.openStores()
        Output.line("store: \(runtime.displayedStoreURL())")
        for (model, managers) in try await Self.models(runtime, stores: stores) {
            try await stores.records.prepare(model)
            Output.line("prepared \(model.name) (table \(model.table), \(model.columns.count) columns) for \(managers.joined(separator: ", "))")
        }
        Output.line("migrate OK")
    }

    /// The record models of the default manager and every `MANAGERS` entry, each with the managers using it.
    static func models(_ runtime: CLIRuntime, stores: StoreSet) async throws -> [(model: RecordModel, managers: [String])] {
        var names: [String?] = [nil]
        names += runtime.resolved.config.managers.map(\.name.value).filter { runtime.resolved.managers[$0] != nil }
        var models: [(model: RecordModel, managers: [String])] = []
        for name in names {
            let manager = try await runtime.manager(named: name, stores: stores, prepare: false)
            guard let tracking = manager as? ModelTrackingAsyncManager else {
                Output.line("\(manager.name): keeps no records; nothing to prepare")
                continue
            }
            if let index = models.firstIndex(where: { $0.model == tracking.recordModel }) {
                models[index].managers.append(manager.name)
            } else {
                models.append((tracking.recordModel, [manager.name]))
            }
        }
        return models
    }

    private func copy(_ runtime: CLIRuntime, from: String, to: String) async throws {
        let source = try await runtime.openStores(url: from, option: "--from")
        let target = try await runtime.openStores(url: to, option: "--to")
        if !json {
            Output.line("from: \(StoreURL.redacted(from))")
            Output.line("to: \(StoreURL.redacted(to))")
        }
        let models = try await Self.models(runtime, stores: source).map(\.model)
        let copy = StoreCopy(from: source, to: target, models: models, intoNonEmpty: intoNonEmpty, batchSize: batchSize)
        let report: StoreCopyReport
        do {
            report = try await copy.run()
        } catch let error as StoreCopyError {
            throw CLIError.failure("nothing copied: \(error)")
        }
        if json {
            Output.line(report.json.prettyJSONText)
        } else {
            for line in Self.describe(report) { Output.line(line) }
        }
        guard report.lockConflicts.isEmpty else {
            throw CLIError.failure("\(report.lockConflicts.count) locks were not copied: " + report.lockConflicts.joined(separator: "; "))
        }
        if !json { Output.line("migrate OK") }
    }

    /// What was copied, in lines.
    static func describe(_ report: StoreCopyReport) -> [String] {
        var lines = report.records.sorted { $0.key < $1.key }.map { "records: \($0.value) of \($0.key)" }
        lines.append(
            "audit entries: \(report.auditEntries); jobs: \(report.jobs.queued) queued, \(report.jobs.handedBack) handed back; "
                + "outbox entries: \(report.outbox.pending) pending, \(report.outbox.dead) dead")
        lines.append("locks: \(report.locks); active tasks: \(report.activeTasks); dead letters: \(report.deadLetters)")
        let skipped = report.skipped
        if skipped != StoreCopyReport.Skipped() {
            lines.append(
                "already on the target, skipped: jobs \(skipped.jobs), audit entries \(skipped.auditEntries), "
                    + "outbox entries \(skipped.outboxEntries), dead letters \(skipped.deadLetters)")
        }
        return lines
    }
}
