import AsyncDash
import AsyncDashTesting
import Foundation
import Logging
import Sample
import Synchronization
import Testing

/// What a valid config does: declared managers, models, formatters and observers behave as written.
@Suite("Config-declared behaviour")
struct ConfigBehaviourTests {
    @Test(arguments: Backend.allCases)
    func aConfigDeclaredManagerBehavesAsDeclared(_ backend: Backend) async throws {
        let lines = CapturedLines()
        let logger = lines.logger()
        let resolved = try ConfigResolver.parse("""
            STORE: memory
            MODELS:
              app.JobRow:
                table: job_rows
                columns: { task_name: text, state: text, note: text, owner: text, payload: json, done: bool, updated_at: timestamp }
            MANAGERS:
              app.JobManager:
                base: asyncdash.ModelTrackingAsyncManager
                record_model_path: app.JobRow
                field_map: { status: state, message: note, user: owner, result: payload, cleaned: done }
                formatters:
                  user: { anonymous: nobody }
                  payload: { redact: [password] }
                observers:
                  - type: asyncdash.observers.log
                    events: [complete]
                    level: notice
            """, file: "config.yaml", registry: testRegistry(), logger: logger)
        let stores = try await backend.makeStores()
        let manager = try #require(try await resolved.makeManager(named: "app.JobManager", stores: stores, logger: logger) as? ModelTrackingAsyncManager)
        #expect(manager.recordModel.table == "job_rows")

        await manager.emit(LifecycleEvent(.create, task: "j1", message: "queued"))
        await manager.emit(LifecycleEvent(.progress, task: "j1", progress: .text("half")))
        await manager.emit(LifecycleEvent(.complete, task: "j1", result: ["password": "s3cret", "rows": 3]))
        await manager.emit(LifecycleEvent(.cleanup, task: "j1"))

        let record = try await manager.requireRecord("j1")
        #expect(record["state"] == .text("success"))
        #expect(record["note"] == .text("queued"))
        #expect(record["owner"] == .text("nobody"))
        #expect(record["payload"] == .json(["password": "[redacted]", "rows": 3]))
        #expect(record["done"] == .bool(true))
        // The log observer fired for `complete` only.
        #expect(await manager.flushObservers(timeout: .seconds(120)), "observers still busy after 120 s")
        let logged = lines.all
        #expect(logged.filter { $0.contains("complete j1") }.count == 1)
        #expect(!logged.contains { $0.contains("create j1") || $0.contains("cleanup j1") })
    }

    @Test
    func managersInheritObserversAndSettingsDownTheBaseChain() throws {
        let resolved = try ConfigResolver.parse("""
            STORE: memory
            MANAGERS:
              app.Base:
                base: sample.async_manager.SampleAsyncManager
                formatters: { affected: { separator: " | " } }
                observers: [ { type: asyncdash.observers.log, events: [fail] } ]
              app.Child:
                base: app.Base
                observers: [ { type: asyncdash.observers.log, events: [complete], timeout_ms: 250 } ]
            """, file: "config.yaml", registry: testRegistry())
        let child = try resolved.manager(named: "app.Child")
        #expect(child.chain == ["app.Child", "app.Base", "sample.async_manager.SampleAsyncManager"])
        #expect(child.observers.map(\.kinds) == [[.fail], [.complete]])
        #expect(child.observers.last?.timeout == .milliseconds(250))
        #expect(child.formatterNames[.affected] == "asyncdash.formatters.affected")
        #expect(child.recordModel?.name == "sample.AsyncTaskRecord")
    }

    @Test
    func theShippedConfigResolvesToTheSampleManager() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("config.yaml").path
        let resolved = try ConfigResolver.load(path: path, registry: testRegistry())
        #expect(resolved.defaultManager.name == "sample.async_manager.SampleAsyncManager")
        #expect(resolved.defaultManager.recordModel?.name == "sample.AsyncTaskRecord")
        #expect(resolved.config.store.value == "sqlite://.asyncdash/asyncdash.sqlite")
    }

    @Test
    func environmentVariablesOverrideScalarKeys() throws {
        let resolved = try ConfigResolver.parse("STORE: sqlite://a.sqlite\nCONFLICT_TTL: 60\n", file: "config.yaml", registry: testRegistry(),
                                                environment: ["ASYNCDASH_STORE": "memory", "ASYNCDASH_CONFLICT_TTL": "90", "ASYNCDASH_ASYNC_ENABLED": "false"])
        #expect(resolved.config.store.value == "memory")
        #expect(resolved.config.store.location.environmentVariable == "ASYNCDASH_STORE")
        #expect(resolved.settings.conflictTTL == .seconds(90))
        #expect(resolved.settings.asyncEnabled == false)
    }

    @Test
    func anUnknownManagerFailsUnlessAFallbackIsAskedFor() throws {
        #expect(throws: ConfigError.self) {
            _ = try ConfigResolver.parse("STORE: memory\nASYNC_MANAGER_DEFAULT: { manager_class: app.Gone }\n", file: "c.yaml", registry: testRegistry())
        }
        let resolved = try ConfigResolver.parse(
            "STORE: memory\nASYNC_MANAGER_DEFAULT: { manager_class: app.Gone, fallback: asyncdash.AsyncManager }\n",
            file: "c.yaml", registry: testRegistry())
        #expect(resolved.defaultManager.entry.name == "asyncdash.AsyncManager")
        #expect(resolved.defaultManager.fallbackReason?.contains("app.Gone") == true)
    }

    @Test
    func appRegistrationIsOneLine() throws {
        final class AppManager: SampleAsyncManager, @unchecked Sendable {}
        var registry = testRegistry()
        registry.register(AppManager.self, as: "myapp.async_manager.AppManager")
        let resolved = try ConfigResolver.parse("STORE: memory\nASYNC_MANAGER_DEFAULT: { manager_class: myapp.async_manager.AppManager }\n",
                                                file: "c.yaml", registry: registry)
        #expect(resolved.defaultManager.entry.typeName.contains("AppManager"))
        #expect(resolved.defaultManager.entry.isModelTracking)
    }
}
