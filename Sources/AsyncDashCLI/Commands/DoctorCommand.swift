import ArgumentParser
import AsyncDash
import Foundation

/// `asyncdash doctor [--json]`: opens the configured store and checks that every role works —
/// records (the default manager's table can be read), coordination (a probe lock is taken and
/// released), change feed (that probe lock's change is heard), queue, audit log and outbox (read; pending and dead outbox entries are counted),
/// and the store's integrity (SQLite: `PRAGMA integrity_check` reads every page).
/// `check-config` never opens the store; this does. Exit 1 when a role fails or damage is found.
struct DoctorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check that the configured store is reachable and each of its roles works (check-config stays offline)."
    )

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Print the results as one JSON object: role → {ok, detail}.")
    var json = false

    struct Finding {
        var role: String
        var ok: Bool
        var detail: String
    }

    func run() async throws {
        let runtime = try await CLIRuntime(global)
        let url = runtime.displayedStoreURL()
        let stores: StoreSet
        do {
            stores = try await runtime.openStores()
        } catch {
            throw CLIError.failure("store '\(url)' cannot be opened: \(error)")
        }
        let manager = try await runtime.manager(named: nil, stores: stores, prepare: false)
        let probe = "asyncdash-doctor-\(UUID().uuidString.prefix(8).lowercased())"
        var findings: [Finding] = []
        func check(_ role: String, _ body: () async throws -> String) async {
            do {
                findings.append(Finding(role: role, ok: true, detail: try await body()))
            } catch {
                findings.append(Finding(role: role, ok: false, detail: "\(error)"))
            }
        }
        await check("records") {
            guard let tracking = manager as? ModelTrackingAsyncManager else { return "the default manager keeps no records" }
            do {
                let some = try await stores.records.list(tracking.recordModel, query: RecordQuery(limit: 1))
                return "table \(tracking.recordModel.table) readable (\(some.isEmpty ? "empty" : "has records"))"
            } catch {
                throw DoctorError("table \(tracking.recordModel.table) cannot be read (\(error)); run 'asyncdash migrate'")
            }
        }
        await check("coordination") {
            guard try await stores.coordination.reserveLocks([probe + ":1"], owner: probe, ttl: .seconds(60)) == .reserved else {
                throw DoctorError("a probe lock could not be taken")
            }
            guard try await stores.coordination.releaseLocks(owner: probe) == [probe + ":1"] else {
                throw DoctorError("a probe lock could not be released")
            }
            let locks = try await stores.coordination.locks().count
            let active = try await stores.coordination.activeTasks().count
            let letters = try await stores.coordination.deadLetters().count
            return "locks work; \(locks) held, \(active) active tasks, \(letters) dead letters"
        }
        await check("change feed") {
            try await Self.checkChangeFeed(stores, owner: probe + "-feed", url: runtime.storeURL())
        }
        await check("queue") {
            _ = try await stores.queue.taskQueue(runner: manager).state(of: probe)
            let kind = runtime.resolved.config.queue.value
            return stores.queue.isPersistent ? "durable queue readable (QUEUE: \(kind))" : "in memory only: it does not outlive this process (QUEUE: \(kind))"
        }
        await check("audit log") {
            _ = try await stores.audit.entries(forTask: probe, limit: 1)
            return "readable"
        }
        await check("outbox") {
            let waiting = try await stores.outbox.entries(consumer: nil, states: [.pending], limit: 100_000).count
            let dead = try await stores.outbox.entries(consumer: nil, states: [.dead], limit: 100_000).count
            return "\(waiting) events waiting for durable observers, \(dead) dead"
        }
        await check("integrity") {
            guard let integrity = stores.integrity else { return "nothing to check (the store keeps no files)" }
            let problems = try await integrity.integrityProblems(limit: 20, thorough: true)
            guard problems.isEmpty else {
                throw DoctorError("the store is damaged: " + problems.map { $0.cutForMessage(200) }.joined(separator: "; ")
                    + "; restore it from a backup (SQLite: '.recover' in the sqlite3 shell saves what can be read)")
            }
            return "every page read, no damage found"
        }
        if json {
            var object: [String: JSONValue] = ["store": .string(url)]
            for finding in findings { object[finding.role] = ["ok": .bool(finding.ok), "detail": .string(finding.detail)] }
            Output.line(JSONValue.object(object).prettyJSONText)
        } else {
            Output.line("store: \(url)")
            for finding in findings { Output.line("\(finding.role): \(finding.ok ? "ok" : "FAILED") — \(finding.detail)") }
        }
        let failed = findings.filter { !$0.ok }.map(\.role)
        if !failed.isEmpty { throw CLIError.failure("store '\(url)': \(failed.joined(separator: ", ")) failed (see above)") }
        if !json { Output.line("doctor OK") }
    }
}

extension DoctorCommand {
    /// How long the change-feed check waits to hear its own change.
    static let changeFeedPatience: Duration = .seconds(5)

    /// Subscribes to the change feed, takes and releases a probe lock owned by `owner`, and
    /// checks that the feed names `owner` within `patience`: what live pages and
    /// other processes rely on to be pushed changes.
    static func checkChangeFeed(
        _ stores: StoreSet, owner: String, url: String, patience: Duration = changeFeedPatience
    ) async throws -> String {
        let subscription = try await stores.changes.subscribe()
        let started = ContinuousClock.now
        guard try await stores.coordination.reserveLocks([owner + ":1"], owner: owner, ttl: .seconds(60)) == .reserved else {
            throw DoctorError("a probe lock could not be taken")
        }
        let deadline = started + patience
        var heard: Duration?
        while heard == nil, ContinuousClock.now < deadline, let notice = await subscription.next(timeout: deadline - .now) {
            if case .changed(let names) = notice, names.contains(owner) { heard = .now - started }
        }
        _ = try await stores.coordination.releaseLocks(owner: owner)
        guard let heard else {
            let pooler = url.hasPrefix("postgres")
                ? " (LISTEN needs a connection of its own: behind PgBouncer, use pool_mode = session; transaction and statement modes break it)"
                : ""
            throw DoctorError(
                "a change made through the store (a probe lock) was not heard within \(patience); "
                    + "live pages and other processes will not be told of changes" + pooler)
        }
        let milliseconds = Double(heard.components.attoseconds) / 1e15 + Double(heard.components.seconds) * 1_000
        return "a change was heard after \(Int(milliseconds.rounded())) ms"
    }
}

struct DoctorError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
