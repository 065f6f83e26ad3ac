import AsyncDash
import AsyncDashSQLite
import Foundation
import Sample
import Testing

/// `STORE_ROLES` (issue 11, item 4): records in one store, the rest in another; coordination,
/// queue and outbox always in one store.
@Suite("STORE_ROLES")
struct StoreRolesTests {
    var registry: Registry {
        var registry = Registry.standard
        registry.registerSQLite()
        registry.registerSample()
        return registry
    }

    func errors(_ text: String) -> [String] {
        do {
            _ = try ConfigResolver.parse(text, file: "config.yaml", registry: registry, environment: [:])
            return []
        } catch {
            return error.diagnostics.map(\.description)
        }
    }

    @Test func coordinationQueueAndOutboxMustShareAStore() {
        let lines = errors("""
            STORE: sqlite://a.sqlite
            STORE_ROLES:
              queue: sqlite://b.sqlite
            """)
        #expect(lines.count == 1, "\(lines)")
        #expect(lines.first?.hasPrefix("config.yaml:3:10: error: STORE_ROLES: coordination, queue, outbox must be in one store") == true, "\(lines)")
        #expect(lines.first?.contains("queue is 'sqlite://b.sqlite'") == true, "\(lines)")
        // The three together, elsewhere than STORE, are fine.
        #expect(errors("""
            STORE: sqlite://a.sqlite
            STORE_ROLES: { coordination: sqlite://b.sqlite, queue: sqlite://b.sqlite, outbox: sqlite://b.sqlite }
            """).isEmpty)
    }

    @Test func unknownRolesAndBadURLsAreReportedAtTheirPlace() {
        let lines = errors("""
            STORE: sqlite://a.sqlite
            STORE_ROLES:
              record: sqlite://b.sqlite
              audit: nosuch://x
            """)
        #expect(lines.count == 2, "\(lines)")
        #expect(lines.contains { $0.hasPrefix("config.yaml:3:3: error:") && $0.contains("'record'") && $0.contains("records") }, "\(lines)")
        #expect(lines.contains { $0.hasPrefix("config.yaml:4:10: error: STORE_ROLES.audit 'nosuch://x': no store for scheme 'nosuch'") }, "\(lines)")
    }

    /// Records in one SQLite file, every other role in another: a task's record lands in the
    /// first, its locks, active entry and durable observer's outbox entry in the second, and the
    /// change feed hears both.
    @Test func recordsLiveInTheirOwnStore() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("roles-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: directory) }
        let (recordsPath, restPath) = (directory.appendingPathComponent("records.sqlite").path, directory.appendingPathComponent("rest.sqlite").path)
        let resolved = try ConfigResolver.parse(
            """
            STORE: sqlite://\(restPath)
            STORE_ROLES:
              records: sqlite://\(recordsPath)
            ASYNC_MANAGER_DEFAULT:
              manager_class: sample.async_manager.SampleAsyncManager
              config:
                record_model_path: sample.AsyncTaskRecord
                observers:
                  - type: asyncdash.observers.jsonl
                    path: \(directory.appendingPathComponent("events.jsonl").path)
                    durable: true
            """, file: "config.yaml", registry: registry, environment: [:])
        let stores = try await resolved.makeStores()
        let manager = try await resolved.makeManager(stores: stores)
        let changes = try await stores.changes.subscribe()
        try await manager.reserveConflictLocks(for: "split-1", objects: [ObjectRef(model: "book", id: "1")])
        await manager.emit(LifecycleEvent(.create, task: "split-1", status: .pending, message: "queued"))

        let records = try await StoreSet.sqlite(path: recordsPath)
        let rest = try await StoreSet.sqlite(path: restPath)
        #expect(try await records.records.fetch(AsyncTaskRecord.model, key: "split-1")?["status"] == .text("pending"))
        #expect(try await rest.coordination.lockOwners(["book:1"]) == ["book:1": "split-1"])
        #expect(try await records.coordination.lockOwners(["book:1"]).isEmpty, "locks stay in STORE")
        let outbox = try await rest.outbox.entries(consumer: nil, states: [], limit: 10)
        #expect(outbox.count == 1 && outbox.first?.message.event["task_name"]?.stringValue == "split-1", "\(outbox)")
        #expect(try await records.outbox.entries(consumer: nil, states: [], limit: 10).isEmpty, "the outbox stays in STORE")

        var heard: Set<String> = []
        let deadline = ContinuousClock.now + .seconds(10)
        while !heard.contains("split-1"), ContinuousClock.now < deadline {
            switch await changes.next(timeout: .seconds(1)) {
            case .changed(let names)?: heard.formUnion(names)
            case .resync?: heard.insert("split-1")
            case nil: break
            }
        }
        #expect(heard.contains("split-1"), "the merged change feed names the task")
    }

    /// README "Stores": the `STORE_ROLES` block, as printed, resolves with records apart.
    @Test func theReadmeBlockResolves() throws {
        let readme = try String(contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../README.md"), encoding: .utf8)
        let block = try #require(
            readme.components(separatedBy: "```yaml\n").dropFirst().map { $0.components(separatedBy: "```")[0] }
                .first { $0.contains("STORE_ROLES:") })
        var registry = self.registry
        registry.register(storeScheme: "postgres", validate: nil) { _, clock in StoreSet.memory(clock: clock) }  // validated by its own tests
        let resolved = try ConfigResolver.parse(block, file: "README.md", registry: registry, environment: [:])
        #expect(resolved.config.storeURL(for: .records).value.hasPrefix("postgres://"))
        #expect(resolved.config.storeURL(for: .queue).value == resolved.config.store.value)
    }
}
