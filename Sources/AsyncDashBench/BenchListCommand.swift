import ArgumentParser
import AsyncDash
import AsyncDashCLI
import AsyncDashSQLite
import AsyncDashWeb
import Foundation
import GRDB

/// `asyncdash bench list`: the dashboard's list query on a big table. Fills a fresh SQLite store
/// with N records of the default manager's model (straight through GRDB, 50,000 rows a
/// transaction), prepares the listing (indexes, trigger-kept counts), then times what one list
/// page request does — `page(model, query:)` and `counts(model, groupedBy: status)` together —
/// for the first, a middle and the last page, each unfiltered and filtered by `status=failed`,
/// and a search. With `wrk` on the PATH it also times the real HTTP list page of a child
/// `asyncdash serve`. Last line:
/// `list_p99_ms=… first_p99_ms=… middle_p99_ms=… last_p99_ms=… filtered_p99_ms=… search_p99_ms=… records=…`.
struct BenchListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "Dashboard list pages (first, middle, last; filtered; search) over N records."
    )

    @OptionGroup var global: GlobalOptions

    @Option(help: ArgumentHelp("The sqlite:// store to fill (default: a fresh temporary file). Its record table must be empty; it is never deleted.", valueName: "url"))
    var store: String?

    @Option(help: "How many records to fill.")
    var records = 1_000_000

    @Option(help: "How many timed requests per case.")
    var samples = 200

    @Option(help: ArgumentHelp("How long wrk times each HTTP case, in seconds.", valueName: "seconds"))
    var httpDuration = 3

    @Flag(help: "Skip the HTTP list page timings (they need wrk).")
    var noHttp = false

    func validate() throws {
        guard records >= 1 else { throw ValidationError("--records must be 1 or more, not \(records)") }
        guard samples >= 1 else { throw ValidationError("--samples must be 1 or more, not \(samples)") }
        guard httpDuration >= 1 else { throw ValidationError("--http-duration must be 1 or more, not \(httpDuration)") }
        if let store, !store.hasPrefix("sqlite:") {
            throw ValidationError("--store '\(store)': bench list fills the table through SQLite, so it needs a sqlite:// store")
        }
    }

    /// One timed case: a position, with or without the status filter, or a search.
    struct Case {
        var name: String
        var group: String
        var query: RecordPageQuery
        /// The list page's query string (for the HTTP timings).
        var queryString: String
    }

    /// The columns the fill writes (`nil`: the model lacks that field).
    struct Columns {
        var key: String
        var status: String
        var sort: String
        var created: String?
        var user: String?
        var message: String?
        var progress: String?
        var completed: String?
        var failed: String?
        var cleaned: String?
        var attempts: String?
    }

    func run() async throws {
        let runtime = try await CLIRuntime(global)
        let scratch = try BenchScratch("list")
        defer { scratch.remove() }
        let url = store ?? scratch.sqliteURL("bench.sqlite")
        let stores = try await runtime.openStores(url: url)
        // The fill goes straight into the file through GRDB; the list requests go through the records role.
        let path: String
        do { path = try SQLiteStore.parse(url: url).path } catch { throw CLIError.usage("bench list needs a sqlite:// store, not '\(url)': \(error)") }
        let sqlite = stores.records
        let manager = try await runtime.trackingManager(named: nil, stores: stores)
        let model = manager.recordModel
        let map = manager.resolvedFieldMap
        guard let status = map["status"]?.name, let sort = map["updated_at"]?.name else {
            throw CLIError.failure("model \(model.name) maps no status or updated_at column; bench list needs both")
        }
        let columns = Columns(
            key: model.keyColumn, status: status, sort: sort, created: map["created_at"]?.name, user: map["user"]?.name,
            message: map["message"]?.name, progress: map["progress"]?.name, completed: map["completed_at"]?.name,
            failed: map["failed_at"]?.name, cleaned: map["cleaned"]?.name, attempts: map["attempts"]?.name)
        let settings = try? DashboardSettings.resolve(runtime.resolved.config.dashboard, model: model, environment: runtime.environment)
        let pageSize = settings?.pageSize ?? 50
        Output.line("bench list: store \(url), model \(model.name) (table \(model.table)), \(records) records, page size \(pageSize)")

        // Fill.
        try await sqlite.prepare(model)
        let clock = ContinuousClock()
        let fillStart = clock.now
        try fill(path: path, model: model, columns: columns)
        let filled = fillStart.duration(to: clock.now)
        let listingStart = clock.now
        let sortColumns = [sort, columns.created, model.keyColumn].compactMap { $0 }
        try await sqlite.prepareListing(model, RecordListing(filterColumns: [status], sortColumns: sortColumns))
        let indexed = listingStart.duration(to: clock.now)
        Output.line("fill \(BenchRunner.seconds(filled)) s (\(BenchRunner.rate(records, filled)) records/s), indexes and counts \(BenchRunner.seconds(indexed)) s")

        // The cases.
        let cases = try await makeCases(sqlite: sqlite, path: path, model: model, columns: columns, pageSize: pageSize)
        var all: [Double] = []
        var byGroup: [String: [Double]] = [:]
        let f = BenchTools.figure
        for item in cases {
            // Two untimed rounds warm the statement caches and the pages read.
            for _ in 0..<2 { _ = try await listRequest(sqlite, model, item.query, status) }
            var times: [Double] = []
            times.reserveCapacity(samples)
            var shown = 0
            for _ in 0..<samples {
                let start = clock.now
                shown = try await listRequest(sqlite, model, item.query, status)
                times.append(start.duration(to: clock.now).timeInterval * 1000)
            }
            all += times
            byGroup[item.group, default: []] += times
            let label = item.name.padding(toLength: 14, withPad: " ", startingAt: 0)
            Output.line("\(label) p50 \(f(BenchTools.percentile(times, 50))) ms  p99 \(f(BenchTools.percentile(times, 99))) ms  (\(shown) rows)")
        }

        // The real HTTP list page.
        var httpP99: Double?
        if !noHttp {
            if let wrk = BenchTools.locate("wrk") {
                httpP99 = try await measureHTTP(runtime: runtime, url: url, wrk: wrk, cases: cases, scratch: scratch)
            } else {
                Output.line("http: skipped (\(BenchTools.wrkMissing))")
            }
        }

        func p99(_ group: String) -> String { f(BenchTools.percentile(byGroup[group] ?? [], 99)) }
        var last = "list_p99_ms=\(f(BenchTools.percentile(all, 99))) list_p50_ms=\(f(BenchTools.percentile(all, 50))) "
            + "first_p99_ms=\(p99("first")) middle_p99_ms=\(p99("middle")) last_p99_ms=\(p99("last")) "
            + "filtered_p99_ms=\(p99("filtered")) search_p99_ms=\(p99("search"))"
        if let httpP99 { last += " http_list_p99_ms=\(f(httpP99))" }
        last += " records=\(records) samples=\(samples) fill_s=\(BenchRunner.seconds(filled))"
        Output.line(last)
    }

    /// What one list page request reads: the page and the counts by status, at once.
    func listRequest(_ store: any RecordStore, _ model: RecordModel, _ query: RecordPageQuery, _ status: String) async throws -> Int {
        async let page = store.page(model, query: query)
        async let counts = store.counts(model, groupedBy: status)
        let (read, _) = try await (page, counts)
        return read.records.count
    }

    // MARK: Filling

    /// Inserts `records` rows straight through GRDB: one prepared INSERT, 50,000 rows a
    /// transaction. Statuses are skewed like a real dashboard's (mostly success), times spread
    /// over 30 days; a fixed seed makes every run the same.
    func fill(path: String, model: RecordModel, columns: Columns) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(30)
        let queue = try DatabaseQueue(path: path, configuration: configuration)
        let existing = try queue.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM \(quote(model.table))") ?? 0 }
        guard existing == 0 else {
            throw CLIError.usage("table \(model.table) of the store already holds \(existing) records; bench list needs an empty one (leave out --store for a fresh temporary file)")
        }
        let names: [String] = [columns.key, columns.status, columns.sort, columns.created, columns.user, columns.message,
                               columns.progress, columns.completed, columns.failed, columns.cleaned, columns.attempts]
            .map { $0 ?? "" }
        let present = names.enumerated().filter { !$0.element.isEmpty && model.column($0.element) != nil }
        let sql = "INSERT INTO \(quote(model.table)) (" + present.map { quote($0.element) }.joined(separator: ", ")
            + ") VALUES (" + present.map { _ in "?" }.joined(separator: ", ") + ")"
        let indexes = present.map(\.offset)

        var random = SplitMix64(seed: 0x5EED_A5D1)
        let now = Date().timeIntervalSince1970
        let span = 30.0 * 86_400
        let batch = 50_000
        var next = 0
        while next < records {
            let end = min(records, next + batch)
            try queue.inTransaction { db in
                let statement = try db.makeStatement(sql: sql)
                var row = [(any DatabaseValueConvertible)?](repeating: nil, count: names.count)
                for index in next..<end {
                    let roll = random.next() % 100
                    let status: TaskStatus = switch roll {
                    case 0..<72: .success
                    case 72..<80: .failed
                    case 80..<90: .pending
                    case 90..<96: .inProgress
                    default: .cancelled
                    }
                    let updated = now - span * Double(random.next() % 1_000_000) / 1_000_000
                    let created = updated - Double(random.next() % 3600)
                    let user = random.next() % 5 == 0 ? "Anonymous" : "user-\(random.next() % 1000)"
                    let finished = status == .success || status == .failed || status == .cancelled
                    let digits = String(index)
                    row[0] = "task-" + String(repeating: "0", count: max(0, 7 - digits.count)) + digits
                    row[1] = status.rawValue
                    row[2] = updated
                    row[3] = created
                    row[4] = user
                    let message: String = switch status {
                    case .success: "Updated \(10 + index % 90) items"
                    case .failed: "Error: timed out after 30 s"
                    case .cancelled: "Cancelled by user"
                    case .pending: "Task queued"
                    default: "Working"
                    }
                    row[5] = message
                    let progress: String? = status == .inProgress ? "{\"done\":\(index % 10),\"total\":10,\"unit\":\"items\"}" : nil
                    row[6] = progress
                    let completedAt: Double? = status == .success ? updated : nil
                    let failedAt: Double? = status == .failed ? updated : nil
                    row[7] = completedAt
                    row[8] = failedAt
                    row[9] = finished ? 1 : 0
                    row[10] = 1 + (status == .failed ? index % 3 : 0)
                    statement.setUncheckedArguments(StatementArguments(indexes.map { row[$0] }))
                    try statement.execute()
                }
                return .commit
            }
            next = end
        }
    }

    func quote(_ name: String) -> String { "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }

    // MARK: Cases

    func makeCases(sqlite: any RecordStore, path: String, model: RecordModel, columns: Columns, pageSize: Int) async throws -> [Case] {
        var cases: [Case] = []
        for filtered in [false, true] {
            let filters: [String: RecordValue] = filtered ? [columns.status: .text(TaskStatus.failed.rawValue)] : [:]
            let statusQuery = filtered ? "status=failed" : ""
            func join(_ parts: String...) -> String { parts.filter { !$0.isEmpty }.joined(separator: "&") }
            let base = RecordPageQuery(sortColumn: columns.sort, descending: true, filters: filters, limit: pageSize)
            let suffix = filtered ? "_failed" : ""
            var middle = base
            var middleToken = ""
            if let cursor = try await middleCursor(path: path, model: model, columns: columns, filtered: filtered) {
                middle.position = .after(cursor)
                middleToken = "after=" + cursor.token
            }
            var last = base
            last.position = .last
            cases.append(Case(name: "first" + suffix, group: filtered ? "filtered" : "first", query: base, queryString: statusQuery))
            cases.append(Case(name: "middle" + suffix, group: filtered ? "filtered" : "middle", query: middle, queryString: join(statusQuery, middleToken)))
            cases.append(Case(name: "last" + suffix, group: filtered ? "filtered" : "last", query: last, queryString: join(statusQuery, "page=last")))
        }
        var search = RecordPageQuery(sortColumn: columns.sort, descending: true, limit: pageSize)
        let searchColumns = [model.keyColumn, columns.user].compactMap { $0 }.filter { model.column($0)?.type == .text }
        search.search = RecordSearch("user-12", in: searchColumns)
        cases.append(Case(name: "search", group: "search", query: search, queryString: "q=user-12"))
        return cases
    }

    /// The cursor of the record in the middle of the list (sorted like the dashboard's default).
    func middleCursor(path: String, model: RecordModel, columns: Columns, filtered: Bool) async throws -> AsyncDash.RecordCursor? {
        var configuration = Configuration()
        configuration.readonly = true
        let queue = try DatabaseQueue(path: path, configuration: configuration)
        let table = quote(model.table)
        let (sort, key, status) = (quote(columns.sort), quote(columns.key), quote(columns.status))
        let filter = filtered ? " WHERE \(status) = 'failed'" : ""
        return try await queue.read { db -> AsyncDash.RecordCursor? in
            let count = try Int.fetchOne(db, sql: "SELECT count(*) FROM \(table)\(filter)") ?? 0
            guard count > 1 else { return nil }
            let sql = "SELECT \(sort), \(key) FROM \(table)\(filter) ORDER BY ifnull(\(sort), -1e308) DESC, \(key) DESC LIMIT 1 OFFSET ?"
            guard let row = try Row.fetchOne(db, sql: sql, arguments: [count / 2]) else { return nil }
            let value: RecordValue = (row[0] as Double?).map { .timestamp(Date(timeIntervalSince1970: $0)) } ?? .null
            return AsyncDash.RecordCursor(value: value, key: row[1] as String? ?? "")
        }
    }

    // MARK: HTTP

    /// Starts `asyncdash serve` on the store and times each case's list page with
    /// `wrk -t1 -c1 --latency`; returns the highest p99 of the cases.
    func measureHTTP(runtime: CLIRuntime, url: String, wrk: String, cases: [Case], scratch: BenchScratch) async throws -> Double {
        let server = try await BenchServeChild.start(runtime: runtime, storeURL: url, scratch: scratch)
        do {
            Output.line("http: serve pid \(server.pid), \(server.origin)\(server.pathPrefix)/")
            var worst = 0.0
            for item in cases {
                let target = "\(server.origin)\(server.pathPrefix)/" + (item.queryString.isEmpty ? "" : "?" + item.queryString)
                // An untimed second first (the server opens its long-read connections on the first
                // list page), and a generous timeout: a slow page is measured, not dropped.
                _ = try? await BenchTools.runWrk(wrk, ["-t1", "-c1", "-d1s", "--timeout", "30s", target], scratch: scratch, timeout: .seconds(61))
                let result = try await BenchTools.runWrk(
                    wrk, ["-t1", "-c1", "-d\(httpDuration)s", "--timeout", "30s", "--latency", target], scratch: scratch,
                    timeout: .seconds(httpDuration + 60))
                guard let p99 = result.p99Ms, result.requests > 0 else { throw CLIError.failure("wrk made no requests to \(target)") }
                if result.errorResponses > 0 || result.socketErrors > 0 {
                    throw CLIError.failure("GET \(target): \(result.errorResponses) error responses, \(result.socketErrors) socket errors")
                }
                worst = max(worst, p99)
                let f = BenchTools.figure
                let label = ("http_" + item.name).padding(toLength: 19, withPad: " ", startingAt: 0)
                Output.line("\(label) p50 \(f(result.p50Ms ?? 0)) ms  p99 \(f(p99)) ms  (\(f(result.requestsPerSecond)) req/s)")
            }
            await server.stop()
            return worst
        } catch {
            await server.stop()
            throw error
        }
    }
}

/// A small fixed-seed generator (SplitMix64), so every fill is the same.
struct SplitMix64 {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
