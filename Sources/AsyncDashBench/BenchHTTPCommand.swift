import ArgumentParser
import AsyncDash
import AsyncDashCLI
import Foundation
import Logging

/// `asyncdash bench http`: the progress polling endpoint of the real dashboard server under
/// load. Seeds tasks in a fresh store (half finished, half in progress with structured
/// progress), starts `asyncdash serve` on it as a child process, and drives
/// `GET /async/progress/?task_name=…` (rotating over the seeded names) with `wrk`, sampling the
/// server's memory. With `--search-load N`, N more connections search the dashboard's list for
/// a text that matches none of `--search-rows` extra records at the same time (each search reads
/// every row), to show that long reads do not slow the progress endpoint. Last line:
/// `progress_http_rps=… p99_ms=… rss_idle_mb=… rss_load_mb=… connections=… threads=… duration_s=…`
/// (and `search_load=… search_rows=… search_rps=… search_p99_ms=… search_busy=…`).
struct BenchHTTPCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "http",
        abstract: "The dashboard's progress endpoint under wrk load, on a child 'asyncdash serve' (needs wrk)."
    )

    /// powercrud's figures for the same endpoint (for the comparison line).
    static let powercrudRPS = 633.0
    static let powercrudP99Ms = 84.0

    @OptionGroup var global: GlobalOptions

    @Option(help: ArgumentHelp("The sqlite:// store to seed and serve (default: a fresh temporary file). Used as is, never deleted.", valueName: "url"))
    var store: String?

    @Option(help: ArgumentHelp("How long wrk runs, in seconds.", valueName: "seconds"))
    var duration = 10

    @Option(help: "wrk's open connections.")
    var connections = 32

    @Option(help: "wrk's threads.")
    var threads = 2

    @Option(help: "How many tasks to seed (half finished, half in progress).")
    var tasks = 1000

    @Option(help: "The server's worker concurrency (serve --concurrency).")
    var serveConcurrency = 4

    @Option(help: "Connections searching the task list for text no record has, at the same time (0: none).")
    var searchLoad = 0

    @Option(help: "Extra finished records the searches read (with --search-load).")
    var searchRows = 500_000

    func validate() throws {
        guard duration >= 1 else { throw ValidationError("--duration must be 1 or more, not \(duration)") }
        guard threads >= 1 else { throw ValidationError("--threads must be 1 or more, not \(threads)") }
        guard connections >= threads else { throw ValidationError("--connections (\(connections)) must be at least --threads (\(threads))") }
        guard tasks >= 2 else { throw ValidationError("--tasks must be 2 or more, not \(tasks)") }
        guard serveConcurrency >= 1 else { throw ValidationError("--serve-concurrency must be 1 or more, not \(serveConcurrency)") }
        guard (0...1024).contains(searchLoad) else { throw ValidationError("--search-load must be from 0 to 1024, not \(searchLoad)") }
        guard (0...50_000_000).contains(searchRows) else { throw ValidationError("--search-rows must be from 0 to 50,000,000, not \(searchRows)") }
        if let store, !store.hasPrefix("sqlite:") {
            throw ValidationError("--store '\(store)': the server is another process, so it needs a sqlite:// store")
        }
    }

    func run() async throws {
        guard let wrk = BenchTools.locate("wrk") else { throw CLIError.failure(BenchTools.wrkMissing) }
        let runtime = try await CLIRuntime(global)
        let scratch = try BenchScratch("http")
        defer { scratch.remove() }
        let url = store ?? scratch.sqliteURL("bench.sqlite")
        let prefix = "bench-http-" + UUID().uuidString.prefix(6).lowercased()
        Output.line("bench http: store \(url), wrk \(wrk)")

        let clock = ContinuousClock()
        let seedStart = clock.now
        let names = try await seed(runtime: runtime, url: url, prefix: prefix)
        Output.line("seeded \(names.count) tasks (\(prefix)-0 …) in \(BenchRunner.seconds(seedStart.duration(to: clock.now))) s")
        if searchLoad > 0 {
            let rowsStart = clock.now
            try await seedSearchRows(runtime: runtime, url: url, prefix: prefix)
            Output.line("added \(searchRows) finished records for the searches in \(BenchRunner.seconds(rowsStart.duration(to: clock.now))) s")
        }

        let server = try await BenchServeChild.start(runtime: runtime, storeURL: url, scratch: scratch, concurrency: serveConcurrency)
        do {
            try await measure(server: server, wrk: wrk, names: names, scratch: scratch)
        } catch {
            await server.stop()
            throw error
        }
    }

    /// Creates `tasks` tasks through the default manager: even ones finished (complete, cleanup),
    /// odd ones in progress with structured progress. Returns their names.
    func seed(runtime: CLIRuntime, url: String, prefix: String) async throws -> [String] {
        let stores = try await runtime.openStores(url: url)
        let manager = try await runtime.manager(named: nil, stores: stores)
        let names = (0..<tasks).map { "\(prefix)-\($0)" }
        let (_, failures) = await BenchRunner.run(count: tasks, concurrency: 32) { index in
            let name = names[index]
            await manager.emit(LifecycleEvent(.create, task: name, status: .pending, message: "Task queued", user: .string("user-\(index % 50)"),
                                              kwargs: ["index": .int(index), "items": 10]))
            let done = index % 2 == 0 ? 10 : 1 + index % 9
            do {
                try await manager.updateProgress(name, .structured(StructuredProgress(done: done, total: 10, unit: "items")))
            } catch {
                manager.logger.error("progress update failed", metadata: ["task": "\(name)", "error": "\(error)"])
                return 1
            }
            if index % 2 == 0 {
                await manager.emit(LifecycleEvent(.complete, task: name, status: .success, result: ["updated": 10], timestamp: Date()))
                await manager.emit(LifecycleEvent(.cleanup, task: name))
            }
            return 0
        }
        let counts = await manager.diagnostics.snapshot
        if failures + counts.hookFailures > 0 {
            throw CLIError.failure("seeding failed: \(failures) progress updates, \(counts.hookFailures) events; see the log above")
        }
        return names
    }

    /// Writes `searchRows` finished records (the searches' haystack) through the store's
    /// records role, 32 at a time, as any store driver would take them.
    func seedSearchRows(runtime: CLIRuntime, url: String, prefix: String) async throws {
        let stores = try await runtime.openStores(url: url)
        guard let model = (try await runtime.manager(named: nil, stores: stores) as? ModelTrackingAsyncManager)?.recordModel else {
            throw CLIError.failure("--search-load needs a default manager that keeps dashboard records (asyncdash.ModelTrackingAsyncManager)")
        }
        let fields = [("status", RecordValue.text("success")), ("message", .text("Task completed")), ("progress", .text("10/10 items"))]
            .filter { model.column($0.0) != nil }
        let records = stores.records
        let (_, failures) = await BenchRunner.run(count: searchRows, concurrency: 32) { index in
            do {
                try await records.upsert(model, key: "\(prefix)-row-\(index)") { record, _ in
                    for (column, value) in fields { record[column] = value }
                }
                return 0
            } catch {
                return 1
            }
        }
        if failures > 0 { throw CLIError.failure("seeding the search rows failed for \(failures) of \(searchRows) records") }
    }

    func measure(server: BenchServeChild, wrk: String, names: [String], scratch: BenchScratch) async throws {
        Output.line("serve: pid \(server.pid), \(server.origin)\(server.pathPrefix)/")
        // Let it settle (its loops start, the first allocations are made), then read its memory.
        try await Task.sleep(for: .milliseconds(500))
        let idle = server.rssMB() ?? 0
        let idleAnon = server.rssMB(field: "RssAnon") ?? 0

        let script = scratch.file("progress.lua")
        let list = names.map { BenchTools.lua($0) }.joined(separator: ",\n")
        try """
            -- asyncdash bench http: rotate task_name over the seeded tasks
            local names = {
            \(list)
            }
            local i = math.random(#names)
            request = function()
              i = i % #names + 1
              return wrk.format(nil, "/async/progress/?task_name=" .. names[i])
            end
            """.write(to: script, atomically: true, encoding: .utf8)

        let target = "\(server.origin)/async/progress/?task_name=\(names[0])"
        let arguments = ["-t\(threads)", "-c\(connections)", "-d\(duration)s", "--latency", "-s", script.path, target]
        Output.line("wrk \(arguments.joined(separator: " "))")
        var peak = idle
        var peakAnon = idleAnon
        // The searches start first and run a little longer, so every progress request meets them.
        let searchArguments = ["-t1", "-c\(searchLoad)", "-d\(duration + 2)s", "--timeout", "30s", "--latency",
                               "\(server.origin)\(server.pathPrefix)/?q=no-record-has-this-text"]
        async let searching: WrkResult? = searchLoad > 0
            ? BenchTools.runWrk(wrk, searchArguments, scratch: scratch, timeout: .seconds(duration + 62)) : nil
        if searchLoad > 0 {
            Output.line("wrk \(searchArguments.joined(separator: " ")) (search load)")
            try await Task.sleep(for: .seconds(1))
        }
        let result = try await BenchTools.runWrk(wrk, arguments, scratch: scratch, timeout: .seconds(duration + 60)) {
            if let rss = server.rssMB() { peak = max(peak, rss) }
            if let rss = server.rssMB(field: "RssAnon") { peakAnon = max(peakAnon, rss) }
        }
        let searches = try await searching
        if let rss = server.rssMB() { peak = max(peak, rss) }
        await server.stop()

        guard let p99 = result.p99Ms, result.requests > 0 else {
            throw CLIError.failure("wrk made no requests, or printed no 99% latency")
        }
        if result.errorResponses > 0 || result.socketErrors > 0 {
            Output.warning("\(result.errorResponses) responses with status 400 or above, \(result.socketErrors) socket errors")
        }
        let f = BenchTools.figure
        Output.line("requests \(result.requests), p50 \(result.p50Ms.map(f) ?? "?") ms, p99 \(f(p99)) ms")
        Output.line("vs_powercrud=\(String(format: "%.1f", result.requestsPerSecond / Self.powercrudRPS))x "
            + "(powercrud: \(Int(Self.powercrudRPS)) req/s, p99 \(Int(Self.powercrudP99Ms)) ms)")
        Output.line("progress_http_rps=\(f(result.requestsPerSecond)) p99_ms=\(f(p99)) p50_ms=\(f(result.p50Ms ?? 0)) "
            + "rss_idle_mb=\(f(idle)) rss_load_mb=\(f(peak)) anon_idle_mb=\(f(idleAnon)) anon_load_mb=\(f(peakAnon)) errors=\(result.errorResponses + result.socketErrors) "
            + "tasks=\(names.count) connections=\(connections) threads=\(threads) duration_s=\(duration)"
            + (searches.map { search in
                // Searches a busy store turned away (503) are counted, not hidden.
                " search_load=\(searchLoad) search_rows=\(searchRows) search_rps=\(f(search.requestsPerSecond)) "
                    + "search_p50_ms=\(f(search.p50Ms ?? 0)) search_p99_ms=\(f(search.p99Ms ?? 0)) search_busy=\(search.errorResponses)"
            } ?? ""))
        if result.errorResponses + result.socketErrors >= result.requests {
            throw CLIError.failure("every request failed")
        }
    }
}
