import AsyncDash
import AsyncDashSQLite
import AsyncDashTesting
import Foundation
import Logging
import Sample
import Synchronization
import Testing

// The code of README.md and of the DocC articles in Sources/AsyncDash/AsyncDash.docc/, run
// against memory stores. When a snippet in the docs changes, change it here too (and back).
// Types are prefixed `Doc` here; the docs use the same code without the prefix.

// MARK: - README quick start

/// README "Quick start", step 1: the app's manager subclass.
private final class DocAppAsyncManager: ModelTrackingAsyncManager, @unchecked Sendable {
    override class var recordModelPath: String? { "myapp.AsyncTaskRecord" }

    override func formatUser(_ user: JSONValue?) -> String {
        user == nil ? "Anonymous" : super.formatUser(user)
    }
}

/// README "Quick start", step 1: the app's record model.
private func docTaskRecordModel() throws -> RecordModel {
    try RecordModel(name: "myapp.AsyncTaskRecord", table: "async_task_records", columns: [
        .init("task_name", .text), .init("status", .text), .init("message", .text),
        .init("progress_payload", .text), .init("user_label", .text), .init("affected_objects", .text),
        .init("task_kwargs", .json), .init("result_payload", .json), .init("cleaned_up", .bool),
        .init("created_at", .timestamp), .init("updated_at", .timestamp),
        .init("completed_at", .timestamp), .init("failed_at", .timestamp),
    ])
}

/// README "Quick start", step 2: config.yaml.
private let docQuickStartConfig = """
    STORE: sqlite://.asyncdash/asyncdash.sqlite
    CONFLICT_TTL: 3600
    PROGRESS_TTL: 7200
    ASYNC_MANAGER_DEFAULT:
      manager_class: myapp.async_manager.AppAsyncManager
    """

/// Writes `text` to a new temporary file and returns its path.
private func docTemporaryConfig(_ text: String) throws -> String {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("asyncdash-docs-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let path = directory.appendingPathComponent("config.yaml").path
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    return path
}

@Suite("Documentation examples")
struct DocumentationExampleTests {
    @Test
    func readmeQuickStartRunsAsWritten() async throws {
        // Step 1: register the record model and the manager, one line each.
        var registry = Registry.standard
        registry.register(recordModel: try docTaskRecordModel())
        registry.register(DocAppAsyncManager.self, as: "myapp.async_manager.AppAsyncManager")

        // Step 2: load the config. The README's app also calls registry.registerSQLite() and
        // uses the file's sqlite:// store; here the environment override swaps in memory.
        let path = try docTemporaryConfig(docQuickStartConfig)
        let resolved = try ConfigResolver.load(path: path, registry: registry, environment: ["ASYNCDASH_STORE": "memory"])
        let stores = try await resolved.makeStores()
        let manager = try await resolved.makeManager(stores: stores)
        #expect(manager is DocAppAsyncManager)
        #expect(resolved.settings.conflictTTL == .seconds(3600))

        // Step 3: lock the rows, then report the lifecycle.
        let task = "import-42"
        let books = ObjectRef.many(model: "book", ids: [1, 2, 3])
        try await manager.reserveConflictLocks(for: task, objects: books)
        try await manager.registerActiveTask(task)
        await manager.emit(LifecycleEvent(
            .create, task: task, message: "Task queued",
            user: "alice", affected: ["book:1", "book:2", "book:3"], kwargs: ["dry_run": false]
        ))

        // Another job that touches book:3 gets a typed conflict error and locks nothing.
        do {
            try await manager.reserveConflictLocks(for: "import-43", objects: ObjectRef.many(model: "book", ids: [3, 4]))
            Issue.record("expected a conflict")
        } catch let error as AsyncDashError where error.code == .conflict {
            #expect(error.lockedObjects.map(\.description) == ["book:3 held by import-42"])
        }
        #expect(try await manager.checkConflict([ObjectRef(model: "book", id: "4")]).isEmpty)

        for done in 1...3 {
            try await manager.updateProgress(task, .structured(StructuredProgress(done: done, total: 3, unit: "books")))
        }
        let progress = try await manager.getProgress(task)
        #expect(progress == .structured(StructuredProgress(done: 3, total: 3, unit: "books")))
        if case .structured(let counts)? = progress {
            #expect(counts.fraction == 1.0)
        }

        // Step 4: finish: unregister, release, drop the progress entry, then complete and cleanup.
        try await manager.unregisterActiveTask(task)
        try await manager.releaseConflictLocks(for: task)
        try await stores.coordination.deleteProgress(for: task)
        await manager.emit(LifecycleEvent(.complete, task: task, result: ["updated": 3]))
        await manager.emit(LifecycleEvent(.cleanup, task: task))

        // Step 5: read the dashboard record.
        let tracking = try #require(manager as? ModelTrackingAsyncManager)
        let record = try #require(try await tracking.record(for: task))
        #expect(record["status"] == .text("success"))
        #expect(record["message"] == .text("Task queued"))
        #expect(record["user_label"] == .text("alice"))
        #expect(record["affected_objects"] == .text("book:1, book:2, book:3"))
        #expect(record["task_kwargs"] == .json(["dry_run": false]))
        #expect(record["progress_payload"] == .text(#"{"done":3,"total":3,"unit":"books"}"#))
        #expect(record["result_payload"] == .json(["updated": 3]))
        #expect(record["cleaned_up"] == .bool(true))
        #expect(!record["completed_at"].isNull)

        #expect(try await manager.checkConflict(books).isEmpty)
        #expect(try await manager.getProgress(task) == nil)
        #expect(try await manager.activeTasks().isEmpty)
    }

    @Test
    func readmeAnonymousUserAndFailure() async throws {
        var registry = Registry.standard
        registry.register(recordModel: try docTaskRecordModel())
        registry.register(DocAppAsyncManager.self, as: "myapp.async_manager.AppAsyncManager")
        let resolved = try ConfigResolver.parse(docQuickStartConfig, file: "config.yaml", registry: registry,
                                                environment: ["ASYNCDASH_STORE": "memory"])
        let manager = try #require(try await resolved.makeManager(stores: try resolved.makeStores()) as? ModelTrackingAsyncManager)
        await manager.emit(LifecycleEvent(.create, task: "t1", message: "Task queued"))
        await manager.emit(LifecycleEvent(.fail, task: "t1", message: "disk full", result: ["error": "ENOSPC"]))
        let record = try #require(try await manager.record(for: "t1"))
        #expect(record["user_label"] == .text("Anonymous"))
        #expect(record["status"] == .text("failed"))
        #expect(record["message"] == .text("disk full"))
        #expect(!record["failed_at"].isNull)
    }

    @Test
    func readmeLifecycleTable() async throws {
        var registry = Registry.standard
        registry.registerSample()
        let stores = StoreSet.memory()
        let manager = try SampleAsyncManager(context: ManagerContext(name: SampleAsyncManager.registeredName, stores: stores, registry: registry))
        try await stores.records.prepare(manager.recordModel)

        // create → pending, message, user, affected
        await manager.emit(LifecycleEvent(.create, task: "t", message: "Task queued", user: "bob", affected: ["row:1"]))
        var record = try #require(try await manager.record(for: "t"))
        #expect(record["status"] == .text("pending"))
        let firstUpdate = record["updated_at"]

        // progress → in_progress, progress payload, message kept
        try await Task.sleep(for: .milliseconds(5))
        await manager.emit(LifecycleEvent(.progress, task: "t", message: "ignored", progress: .text("1 of 2")))
        record = try #require(try await manager.record(for: "t"))
        #expect(record["status"] == .text("in_progress"))
        #expect(record["message"] == .text("Task queued"))
        #expect(record["progress_payload"] == .text("1 of 2"))
        #expect(record["updated_at"] != firstUpdate)

        // complete → success, then a late progress and a late create change nothing visible
        await manager.emit(LifecycleEvent(.complete, task: "t", message: "Done", result: ["ok": true]))
        await manager.emit(LifecycleEvent(.progress, task: "t", progress: .text("2 of 2")))
        await manager.emit(LifecycleEvent(.create, task: "t", message: "Task queued"))
        record = try #require(try await manager.record(for: "t"))
        #expect(record["status"] == .text("success"))
        #expect(record["message"] == .text("Done"))
        #expect(record["progress_payload"] == .text("1 of 2"))

        // cleanup → cleaned_up, status kept unless the event carries one
        await manager.emit(LifecycleEvent(.cleanup, task: "t"))
        record = try #require(try await manager.record(for: "t"))
        #expect(record["cleaned_up"] == .bool(true))
        #expect(record["status"] == .text("success"))
    }

    @Test
    func readmeConfigEnvironmentAndErrors() throws {
        var registry = Registry.standard
        registry.registerSample()
        // Environment overrides of scalar keys.
        let resolved = try ConfigResolver.parse("STORE: memory\nLEASE_TTL: 30\n", file: "config.yaml", registry: registry,
                                                environment: ["ASYNCDASH_LEASE_TTL": "45", "ASYNCDASH_QUEUE": "inprocess"])
        #expect(resolved.settings.leaseTTL == .seconds(45))
        #expect(resolved.config.queue.value == "inprocess")
        // The defaults, as if the file were empty.
        let defaults = AsyncDashConfig(file: "empty.yaml")
        #expect(defaults.store.value == "sqlite://.asyncdash/asyncdash.sqlite")
        #expect(defaults.queue.value == "durable")
        #expect(defaults.defaultManager.base?.value == "asyncdash.AsyncManager")
        #expect(defaults.settings == AsyncSettings())
        #expect(AsyncSettings().conflictTTL == .seconds(3600))
        #expect(AsyncSettings().progressTTL == .seconds(7200))
        #expect(AsyncSettings().cleanupGracePeriod == .seconds(86400))
        #expect(AsyncSettings().maxTaskDuration == .seconds(3600))
        #expect(AsyncSettings().cleanupScheduleInterval == .seconds(300))
        #expect(AsyncSettings().leaseTTL == .seconds(30))
        #expect(AsyncSettings().asyncEnabled)

        // Every mistake in one run, each at its place, with suggestions.
        do {
            _ = try ConfigResolver.parse("""
                STORE: memory
                CONFLICT_TTL: an hour
                ASYNC_MANAGER_DEFAULT:
                  manager_class: sample.async_manager.SampleAsyncManagr
                PLUGINS: [libslack.so]
                """, file: "config.yaml", registry: registry)
            Issue.record("expected a config error")
        } catch {
            let lines = error.diagnostics.map(\.description)
            #expect(lines.count == 3, "\(lines)")
            #expect(lines[0] == "config.yaml:2:15: error: CONFLICT_TTL must be a whole number of seconds (1 to 31536000), got string 'an hour'")
            #expect(lines[1].hasPrefix("config.yaml:4:18: error: ASYNC_MANAGER_DEFAULT.manager_class: unknown manager"))
            #expect(lines[1].contains("did you mean 'sample.async_manager.SampleAsyncManager'"))
            #expect(lines[2].hasPrefix("config.yaml:5:11: error: PLUGINS:"))
        }
    }

    /// README "Config reference": the example blocks, in one file.
    @Test
    func readmeConfigReferenceExamplesResolve() async throws {
        var registry = Registry.standard
        registry.registerSQLite()
        registry.registerSample()
        let resolved = try ConfigResolver.parse(docReferenceConfig, file: "config.yaml", registry: registry)
        #expect(resolved.config.store.value == "sqlite://.asyncdash/asyncdash.sqlite")
        #expect(resolved.settings == AsyncSettings())
        #expect(resolved.config.queue.value == "durable")
        #expect(resolved.defaultManager.name == "sample.async_manager.SampleAsyncManager")
        #expect(resolved.defaultManager.fallbackReason == nil)
        #expect(resolved.defaultManager.effectiveFieldMap?["args"] == nil)
        #expect(resolved.defaultManager.createDefaults == ["message": "Created"])
        #expect(resolved.defaultManager.observers.first?.kinds == [.complete, .fail])
        #expect(resolved.managers["sample.NotifyingAsyncManager"]?.formatterNames == [.payload: "asyncdash.formatters.payload"])
        #expect(try resolved.registry.recordModel(named: "myapp.JobRow").table == "job_rows")
        #expect(resolved.config.plugins.isEmpty)
        #expect(resolved.config.dashboard["bind"]?.value == "127.0.0.1:8080")

        let manager = try #require(try await resolved.makeManager(stores: .memory()) as? ModelTrackingAsyncManager)
        await manager.emit(LifecycleEvent(.create, task: "t1", affected: .array((1...60).map { .string("row:\($0)") }),
                                          args: [1], kwargs: ["token": "abc"]))
        let record = try #require(try await manager.record(for: "t1"))
        #expect(record["affected_objects"].text?.hasSuffix(", … (+10 more)") == true)
        #expect(record["task_kwargs"] == .json(["token": "[redacted]"]))
        #expect(record["task_args"].isNull)
        #expect(record["user_label"] == .text("Anonymous"))
    }

    /// AsyncDash.md (the DocC landing page).
    @Test
    func landingPageExample() async throws {
        var registry = Registry.standard
        registry.registerSample()
        let resolved = try ConfigResolver.parse("""
            STORE: memory
            ASYNC_MANAGER_DEFAULT:
              manager_class: sample.async_manager.SampleAsyncManager
            """, file: "config.yaml", registry: registry)
        let manager = try await resolved.makeManager(stores: try resolved.makeStores())
        await manager.emit(LifecycleEvent(.create, task: "import-42", message: "Task queued", user: "alice"))
        let record = try #require(try await (manager as? ModelTrackingAsyncManager)?.record(for: "import-42"))
        #expect(record["status"] == .text("pending"))
        #expect(record["user_label"] == .text("alice"))
    }

    // MARK: - Article: Subclassing a manager

    @Test
    func subclassingAManagerArticle() async throws {
        let lines = CapturedLines()
        var registry = Registry.standard
        registry.register(recordModel: try docImportRecordModel())
        registry.register(DocImportAsyncManager.self, as: "myapp.async_manager.ImportAsyncManager")

        let stores = StoreSet.memory()
        let manager = try DocImportAsyncManager(context: ManagerContext(
            name: "myapp.async_manager.ImportAsyncManager", stores: stores, registry: registry, logger: lines.logger()
        ))
        try await stores.records.prepare(manager.recordModel)

        await manager.emit(LifecycleEvent(.create, task: "import-7", message: "Task queued", affected: ["book:1", "book:2"], args: ["secret"]))
        await manager.emit(LifecycleEvent(.fail, task: "import-7", message: "row 2 is invalid"))

        let record = try #require(try await manager.record(for: "import-7"))
        #expect(record["source"] == .text("web"))
        #expect(record["affected_objects"] == .text("2 objects"))
        #expect(record["status"] == .text("failed"))
        #expect(record.values["task_args"] == nil)  // the model has no such column
        #expect(lines.all.contains { $0.contains("task failed") && $0.contains("task=import-7") })

        // The same class through config; a model it cannot work with is a config error.
        let resolved = try ConfigResolver.parse("""
            STORE: memory
            ASYNC_MANAGER_DEFAULT:
              manager_class: myapp.async_manager.ImportAsyncManager
            """, file: "config.yaml", registry: registry)
        #expect(resolved.defaultManager.recordModel?.name == "myapp.ImportRecord")

        do {
            _ = try ConfigResolver.parse("""
                STORE: memory
                ASYNC_MANAGER_DEFAULT:
                  manager_class: myapp.async_manager.ImportAsyncManager
                  config:
                    field_map: { status: "" }
                """, file: "config.yaml", registry: registry)
            Issue.record("expected a config error")
        } catch {
            #expect(error.diagnostics.count == 1)
            #expect(error.description == "config.yaml:3:18: error: ASYNC_MANAGER_DEFAULT: myapp.async_manager.ImportAsyncManager cannot be built: "
                + "myapp.async_manager.ImportAsyncManager needs a status column: failures must show")
        }
    }

    // MARK: - Article: Declaring a manager in config

    @Test
    func declaringAManagerInConfigArticle() async throws {
        let lines = CapturedLines()
        var registry = Registry.standard
        registry.registerSample()
        let resolved = try ConfigResolver.parse(docDeclaredConfig, file: "config.yaml", registry: registry, logger: lines.logger())

        let notifying = try resolved.manager(named: "myapp.NotifyingAsyncManager")
        #expect(notifying.chain == ["myapp.NotifyingAsyncManager", "sample.async_manager.SampleAsyncManager"])
        #expect(notifying.observers.map(\.name) == ["asyncdash.observers.log"])
        #expect(notifying.observers.first?.kinds == [.fail])
        #expect(notifying.observers.first?.timeout == .milliseconds(2000))

        let stores = try await resolved.makeStores()
        let manager = try await resolved.makeManager(named: "myapp.NotifyingAsyncManager", stores: stores)
        await manager.emit(LifecycleEvent(.create, task: "import-9", message: "Task queued", kwargs: ["password": "s3cret", "ids": [1, 2]]))
        await manager.emit(LifecycleEvent(.fail, task: "import-9", message: "disk full"))
        await manager.flushObservers()   // observers run off the emitting path

        let record = try #require(try await (manager as? ModelTrackingAsyncManager)?.record(for: "import-9"))
        #expect(record["task_kwargs"] == .json(["password": "[redacted]", "ids": [1, 2]]))
        #expect(record["user_label"] == .text("Anonymous"))
        #expect(record["status"] == .text("failed"))
        let failures = lines.all.filter { $0.hasPrefix("error fail import-9") }
        #expect(failures.count == 1, "\(lines.all)")
        #expect(!lines.all.contains { $0.contains("create import-9") })

        // The config-declared model and the manager on it.
        let jobs = try #require(try await resolved.makeManager(named: "myapp.JobManager", stores: stores) as? ModelTrackingAsyncManager)
        await jobs.emit(LifecycleEvent(.create, task: "job-1", message: "queued"))
        await jobs.emit(LifecycleEvent(.complete, task: "job-1", result: ["rows": 3]))
        await jobs.emit(LifecycleEvent(.cleanup, task: "job-1"))
        let row = try #require(try await jobs.record(for: "job-1"))
        #expect(jobs.recordModel.table == "job_rows")
        #expect(row["state"] == .text("success"))
        #expect(row["note"] == .text("queued"))
        #expect(row["payload"] == .json(["rows": 3]))
        #expect(row["done"] == .bool(true))
        #expect(row["origin"] == .text("config"))

        // A typo is reported at its line, with the closest registered name.
        do {
            _ = try ConfigResolver.parse("""
                STORE: memory
                MANAGERS:
                  myapp.NotifyingAsyncManager:
                    base: sample.async_manager.SampleAsyncManger
                """, file: "config.yaml", registry: registry)
            Issue.record("expected a config error")
        } catch {
            #expect(error.description.hasPrefix("config.yaml:4:11: error: MANAGERS.myapp.NotifyingAsyncManager.base: unknown manager"))
            #expect(error.description.contains("did you mean 'sample.async_manager.SampleAsyncManager'"))
        }

        // fallback: only when the config asks for it.
        let fallback = try ConfigResolver.parse("""
            STORE: memory
            ASYNC_MANAGER_DEFAULT:
              manager_class: myapp.async_manager.NotYetDeployed
              fallback: sample.async_manager.SampleAsyncManager
            """, file: "config.yaml", registry: registry)
        #expect(fallback.defaultManager.entry.name == "sample.async_manager.SampleAsyncManager")
        #expect(fallback.defaultManager.fallbackReason?.contains("myapp.async_manager.NotYetDeployed") == true)
    }

    // MARK: - Article: Implementing a store

    @Test
    func implementingAStoreArticle() async throws {
        let counter = DocWriteCounter()
        var registry = Registry.standard
        registry.registerSample()
        registry.register(storeScheme: "counting", persistent: false) { _, clock in
            var stores = StoreSet.memory(clock: clock)   // every other role stays in memory
            stores.records = DocCountingRecordStore(base: stores.records, counter: counter)
            return stores
        }
        let resolved = try ConfigResolver.parse("""
            STORE: counting
            ASYNC_MANAGER_DEFAULT:
              manager_class: sample.async_manager.SampleAsyncManager
            """, file: "config.yaml", registry: registry)
        let stores = try await resolved.makeStores()
        let manager = try await resolved.makeManager(stores: stores)
        await manager.emit(LifecycleEvent(.create, task: "t1", message: "Task queued"))
        await manager.emit(LifecycleEvent(.complete, task: "t1"))
        #expect(await counter.writes == 2)
        #expect(try await stores.records.fetch(AsyncTaskRecord.model, key: "t1")?["status"] == .text("success"))

        // An unknown scheme is a config error that lists the registered ones.
        do {
            _ = try ConfigResolver.parse("STORE: countin://x\n", file: "config.yaml", registry: registry)
            Issue.record("expected a config error")
        } catch {
            #expect(error.description.contains("no store for scheme 'countin' (did you mean 'counting'?)"))
        }

        // The reference stores keep the TTL rules: time comes from the clock they are given.
        let clock = ManualClock()
        let coordination = MemoryCoordinationStore(clock: clock)
        #expect(try await coordination.reserveLocks(["book:1"], owner: "a", ttl: .seconds(60)) == .reserved)
        #expect(try await coordination.reserveLocks(["book:1", "book:2"], owner: "b", ttl: .seconds(60)) == .conflict(["book:1": "a"]))
        #expect(try await coordination.lockOwners(["book:2"]).isEmpty)  // all or nothing
        clock.advance(by: .seconds(61))
        #expect(try await coordination.reserveLocks(["book:1"], owner: "b", ttl: .seconds(60)) == .reserved)
    }

    // MARK: - Article: Writing an observer

    @Test
    func writingAnObserverArticle() async throws {
        let client = DocChatClient()
        var registry = Registry.standard
        registry.registerSample()
        registry.register(observer: "myapp.observers.chat") { options in
            try options.allowOnly(["channel", "token_env"])
            return DocChatObserver(channel: try options.string("channel"), token: try options.secret("token_env"), client: client)
        }
        let resolved = try ConfigResolver.parse(docObserverConfig, file: "config.yaml", registry: registry,
                                                environment: ["CHAT_TOKEN": "t0k3n"])
        let manager = try await resolved.makeManager(named: "myapp.PagingAsyncManager", stores: try resolved.makeStores())
        await manager.emit(LifecycleEvent(.create, task: "import-5", message: "Task queued"))
        let outcome = await manager.emit(LifecycleEvent(.fail, task: "import-5", message: "disk full"))
        await manager.flushObservers()   // the observer runs off the emitting path
        #expect(outcome.succeeded)
        #expect(await client.posts == ["#ops: Task import-5 failed: disk full"])
        #expect(await client.tokens == ["t0k3n"])

        // A missing secret is a config error at the option.
        do {
            _ = try ConfigResolver.parse(docObserverConfig, file: "config.yaml", registry: registry)
            Issue.record("expected a config error")
        } catch {
            #expect(error.diagnostics.count == 1)
            #expect(error.description == "config.yaml:9:9: error: MANAGERS.myapp.PagingAsyncManager.observers (myapp.observers.chat): "
                + "option 'token_env' names environment variable CHAT_TOKEN, which is not set")
        }

        // Isolation: a throwing observer is counted; the record is written and the next observer
        // still receives the event.
        let recorder = RecordingObserver()
        let stores = StoreSet.memory()
        let isolated = try SampleAsyncManager(context: ManagerContext(
            name: SampleAsyncManager.registeredName, stores: stores,
            observers: ObserverChain([
                ObserverRegistration(name: "failing", observer: FailingObserver()),
                ObserverRegistration(name: "recorder", observer: recorder, kinds: [.fail], timeout: .seconds(2)),
            ]),
            registry: registry
        ))
        try await stores.records.prepare(isolated.recordModel)
        let failed = await isolated.emit(LifecycleEvent(.fail, task: "t9", message: "boom"))
        #expect(await isolated.flushObservers(timeout: .seconds(120)), "observers still busy after 120 s")
        #expect(failed.succeeded)
        #expect(recorder.events.map(\.kind) == [.fail])
        #expect(try await isolated.record(for: "t9")?["status"] == .text("failed"))
        #expect(await isolated.diagnostics.snapshot.observerFailures == ["failing": 1])
    }

    // MARK: - Article: Writing a formatter

    @Test
    func writingAFormatterArticle() async throws {
        var registry = Registry.standard
        registry.registerSample()
        registry.register(formatter: "myapp.formatters.count") { options in
            try options.allowOnly(["noun"])
            return DocCountFormatter(noun: try options.string("noun", default: "objects"))
        }
        let resolved = try ConfigResolver.parse(docFormatterConfig, file: "config.yaml", registry: registry)
        #expect(resolved.managers["myapp.CountingAsyncManager"]?.formatterNames[.affected] == "myapp.formatters.count")
        let manager = try #require(
            try await resolved.makeManager(named: "myapp.CountingAsyncManager", stores: try resolved.makeStores()) as? ModelTrackingAsyncManager
        )
        await manager.emit(LifecycleEvent(.create, task: "t1", user: ["username": "carol", "id": 7], affected: ["book:1", "book:2", "book:3"]))
        let record = try #require(try await manager.record(for: "t1"))
        #expect(record["affected_objects"] == .text("3 books"))
        #expect(record["user_label"] == .text("carol"))

        // The formatter on its own.
        #expect(DocCountFormatter(noun: "rows").format(["a", "b"]) == .string("2 rows"))
        #expect(DocCountFormatter(noun: "rows").format(nil) == .string(""))

        // A bare dotted name, with the formatter's defaults.
        let bare = try ConfigResolver.parse("""
            STORE: memory
            ASYNC_MANAGER_DEFAULT:
              manager_class: asyncdash.ModelTrackingAsyncManager
              record_model_path: sample.AsyncTaskRecord
              formatters:
                affected: myapp.formatters.count
            """, file: "config.yaml", registry: registry)
        let plain = try #require(try await bare.makeManager(stores: try bare.makeStores()) as? ModelTrackingAsyncManager)
        #expect(plain.formattedAffected(["x", "y"]) == "2 objects")
        #expect(plain.formattedUser(nil) == "")

        // An unknown option names the valid ones.
        do {
            _ = try ConfigResolver.parse("""
                STORE: memory
                ASYNC_MANAGER_DEFAULT:
                  manager_class: sample.async_manager.SampleAsyncManager
                  formatters:
                    affected: { type: myapp.formatters.count, nuon: rows }
                """, file: "config.yaml", registry: registry)
            Issue.record("expected a config error")
        } catch {
            #expect(error.description == "config.yaml:5:47: error: ASYNC_MANAGER_DEFAULT.formatters.affected (myapp.formatters.count): "
                + "unknown option 'nuon' for myapp.formatters.count (did you mean 'noun'?); valid options: noun")
        }
    }
}

/// README "Config reference": the example blocks, as written there.
private let docReferenceConfig = """
    ASYNC_ENABLED: true
    STORE: sqlite://.asyncdash/asyncdash.sqlite   # or: memory, postgres://USER@HOST/DATABASE
    CONFLICT_TTL: 3600
    PROGRESS_TTL: 7200
    CLEANUP_GRACE_PERIOD: 86400
    MAX_TASK_DURATION: 3600
    CLEANUP_SCHEDULE_INTERVAL: 300
    LEASE_TTL: 30
    QUEUE: durable                                 # or: inprocess

    ASYNC_MANAGER_DEFAULT:
      manager_class: sample.async_manager.SampleAsyncManager   # a registered manager
      fallback: asyncdash.ModelTrackingAsyncManager            # optional; see below
      config:
        record_model_path: sample.AsyncTaskRecord
        field_map: { progress: progress_payload, args: null }
        formatters:
          user: { anonymous: Anonymous }
          affected: { separator: ", ", limit: 50 }
          payload: { redact: [password, token] }
        observers:
          - type: asyncdash.observers.log
            events: [complete, fail]
            level: info
            timeout_ms: 5000
        create_defaults: { message: "Created" }

    MANAGERS:
      sample.NotifyingAsyncManager:
        base: sample.async_manager.SampleAsyncManager
        formatters:
          payload: { redact: [password, token] }
        observers:
          - type: asyncdash.observers.log
            events: [complete, fail]
            level: info

    MODELS:
      myapp.JobRow:
        table: job_rows
        key: task_name          # optional, default task_name; must be a text column
        columns: { task_name: text, state: text, note: text, payload: json, done: bool, updated_at: timestamp }

    PLUGINS: []

    DASHBOARD: { bind: 127.0.0.1:8080, auth_token_env: ASYNCDASH_TOKEN }
    """

// MARK: - Article types

/// SubclassingAManager.md: the record model.
private func docImportRecordModel() throws -> RecordModel {
    try RecordModel(name: "myapp.ImportRecord", table: "import_records", columns: [
        .init("task_name", .text), .init("status", .text), .init("message", .text),
        .init("progress_payload", .text), .init("affected_objects", .text), .init("result_payload", .json),
        .init("source", .text), .init("updated_at", .timestamp),
    ])
}

/// SubclassingAManager.md: the subclass.
private final class DocImportAsyncManager: ModelTrackingAsyncManager, @unchecked Sendable {
    // Class attributes; config (record_model_path, field_map, create_defaults) overrides them.
    override class var recordModelPath: String? { "myapp.ImportRecord" }
    override class var createDefaults: [String: JSONValue] { ["source": "web"] }

    required init(context: ManagerContext) throws {
        try super.init(context: context)
        // Runs when config is resolved too, so a bad combination is a config error.
        guard resolvedFieldMap["status"] != nil else {
            throw ManagerConfigurationError(manager: context.name, message: "\(context.name) needs a status column: failures must show")
        }
    }

    override func formatAffected(_ affected: JSONValue?) -> String {
        let count = affected?.arrayValue?.count ?? 0
        return count == 0 ? "" : "\(count) objects"
    }

    override func asyncTaskLifecycle(_ event: LifecycleEvent) async throws {
        try await super.asyncTaskLifecycle(event)  // write the record first
        if event.kind == .fail {
            logger.error("task failed", metadata: ["task": "\(event.taskName)", "reason": "\(event.message)"])
        }
    }
}

/// DeclaringAManagerInConfig.md: the config.
private let docDeclaredConfig = """
    STORE: memory
    ASYNC_MANAGER_DEFAULT:
      manager_class: sample.async_manager.SampleAsyncManager

    MANAGERS:
      myapp.NotifyingAsyncManager:
        base: sample.async_manager.SampleAsyncManager
        formatters:
          payload: { redact: [password, token] }
        observers:
          - type: asyncdash.observers.log
            events: [fail]
            level: error
            timeout_ms: 2000

      myapp.JobManager:
        base: asyncdash.ModelTrackingAsyncManager
        config:
          record_model_path: myapp.JobRow
          field_map: { status: state, message: note, result: payload, cleaned: done }
          create_defaults: { origin: config }

    MODELS:
      myapp.JobRow:
        table: job_rows
        columns: { task_name: text, state: text, note: text, payload: json, done: bool, origin: text, updated_at: timestamp }
    """

/// ImplementingAStore.md: a record store that counts writes and hands everything to another store.
private actor DocWriteCounter {
    private(set) var writes = 0
    func add() { writes += 1 }
}

private struct DocCountingRecordStore: RecordStore {
    let base: any RecordStore
    let counter: DocWriteCounter

    func prepare(_ model: RecordModel) async throws {
        try await base.prepare(model)
    }

    @discardableResult
    func upsert(_ model: RecordModel, key: String, _ update: @escaping @Sendable (inout Record, Bool) -> Void) async throws -> Record {
        let record = try await base.upsert(model, key: key, update)  // atomic because the base store is
        await counter.add()
        return record
    }

    func apply(_ model: RecordModel, key: String, _ change: RecordChange) async throws {
        try await base.apply(model, key: key, change)  // keeps the base store's own version
        await counter.add()
    }

    func fetch(_ model: RecordModel, key: String) async throws -> Record? {
        try await base.fetch(model, key: key)
    }

    func list(_ model: RecordModel, query: RecordQuery) async throws -> [Record] {
        try await base.list(model, query: query)
    }

    @discardableResult
    func delete(_ model: RecordModel, key: String) async throws -> Bool {
        try await base.delete(model, key: key)
    }
}

/// WritingAnObserver.md: a stand-in for the app's HTTP client of the chat service.
private actor DocChatClient {
    private(set) var posts: [String] = []
    private(set) var tokens: Set<String> = []
    func post(channel: String, text: String, token: String) {
        posts.append("\(channel): \(text)")
        tokens.insert(token)
    }
}

/// WritingAnObserver.md: the observer.
private struct DocChatObserver: LifecycleObserver {
    let channel: String
    let token: String
    let client: DocChatClient

    func observe(_ event: LifecycleEvent) async throws {
        await client.post(channel: channel, text: "Task \(event.taskName) failed: \(event.message)", token: token)
    }
}

/// WritingAnObserver.md: the config.
private let docObserverConfig = """
    STORE: memory
    MANAGERS:
      myapp.PagingAsyncManager:
        base: sample.async_manager.SampleAsyncManager
        observers:
          - type: myapp.observers.chat
            events: [fail]
            channel: "#ops"
            token_env: CHAT_TOKEN
            timeout_ms: 2000
    """

/// WritingAFormatter.md: the formatter.
private struct DocCountFormatter: FieldFormatter {
    var noun: String

    func format(_ value: JSONValue?) -> JSONValue? {
        guard let items = value?.arrayValue else { return .string(value?.stringValue ?? "") }
        return .string("\(items.count) \(noun)")
    }
}

/// WritingAFormatter.md: the config.
private let docFormatterConfig = """
    STORE: memory
    MANAGERS:
      myapp.CountingAsyncManager:
        base: sample.async_manager.SampleAsyncManager
        formatters:
          affected: { type: myapp.formatters.count, noun: books }
          user: { username_keys: [username, email] }
    """
