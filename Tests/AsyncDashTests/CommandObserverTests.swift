import AsyncDash
import Foundation
import Sample
import Testing

/// `asyncdash.observers.command` (issue 10): a real program per event, the event JSON on its
/// standard input, a non-zero exit a failed delivery retried from the outbox, a run past its time
/// killed, a chatty program bounded.
@Suite("The command observer")
struct CommandObserverTests {
    /// A temporary folder with an executable shell script `notify` of `body`.
    struct Script {
        let folder: URL
        var path: String { folder.appendingPathComponent("notify").path }

        init(_ body: String) throws {
            folder = FileManager.default.temporaryDirectory.appendingPathComponent("command-observer-\(UUID().uuidString.prefix(8))")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try ("#!/bin/sh\n" + body + "\n").write(toFile: folder.appendingPathComponent("notify").path, atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: folder.appendingPathComponent("notify").path)
        }

        func file(_ name: String) -> String? { try? String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8) }
    }

    /// The observer as config declares it, through the registry.
    static func observer(_ options: [String: JSONValue], environment: [String: String]) throws -> any LifecycleObserver {
        try Registry.standard.observerFactory(named: "asyncdash.observers.command")(ComponentOptions(
            type: "asyncdash.observers.command", values: options, environment: environment))
    }

    @Test(arguments: Backend.allCases)
    func everyEventReachesTheProgramOnItsStandardInputFromTheOutbox(_ backend: Backend) async throws {
        let script = try Script(#"cat > "$OUT/$ASYNCDASH_TASK-$ASYNCDASH_EVENT.json"; env > "$OUT/env-$ASYNCDASH_EVENT"; echo "noted $ASYNCDASH_EVENT""#)
        let observer = try Self.observer(
            ["command": .array([.string(script.path)]), "pass_env": .array(["OUT"])],
            environment: ["OUT": script.folder.path, "PATH": "/usr/bin:/bin", "ASYNCDASH_DASHBOARD_TOKEN": "not-for-the-program"])
        let manager = try await makeSampleManager(backend, observers: [.init(name: "cmd", observer: observer, delivery: .durable())])
        try await manager.runTask(SampleTasks.updateItems, args: ["count": 2], taskName: "t1")
        let dispatcher = OutboxDispatcher(managers: [manager])
        #expect(try await dispatcher.deliverDue() == 5, "create, 2 progress, complete, cleanup")
        let complete = try JSONValue(parsing: try #require(script.file("t1-complete.json")))
        #expect(complete["event"]?.stringValue == "complete")
        #expect(complete["result"]?["updated"]?.intValue == 2)
        #expect(complete["extra"]?["function"]?.stringValue == "sample.tasks.update_items")
        #expect(complete["extra"]?["duration_ms"]?.intValue != nil, "the run's duration, for metrics: \(complete)")
        let environment = try #require(script.file("env-complete"))
        #expect(environment.contains("ASYNCDASH_TASK=t1"))
        #expect(environment.contains("OUT=\(script.folder.path)"))
        #expect(!environment.contains("ASYNCDASH_DASHBOARD_TOKEN"), "only PATH, HOME, LANG, TZ and pass_env reach the program: \(environment)")
    }

    @Test func aNonZeroExitIsAFailedDeliveryRetriedThenDead() async throws {
        // Fails the first run, succeeds the second; a second event always fails.
        let script = try Script("""
            if [ "$ASYNCDASH_TASK" = never ]; then echo "cannot page: no route" >&2; exit 3; fi
            if [ ! -f "$OUT/tried" ]; then touch "$OUT/tried"; echo "busy" >&2; exit 75; fi
            cat > "$OUT/delivered.json"
            """)
        let observer = try Self.observer(
            ["command": .array([.string(script.path)]), "pass_env": .array(["OUT"])], environment: ["OUT": script.folder.path])
        let manager = try await makeSampleManager(.sqlite, observers: [
            .init(name: "cmd", observer: observer, delivery: .durable(maxAttempts: 2, retryBase: .milliseconds(1))),
        ])
        await manager.emit(LifecycleEvent(.fail, task: "t1", status: .failed, message: "boom"))
        await manager.emit(LifecycleEvent(.fail, task: "never", status: .failed, message: "boom"))
        let dispatcher = OutboxDispatcher(managers: [manager])
        for _ in 0..<50 where try await manager.stores.outbox.entries(consumer: nil, states: [.pending], limit: 10).count > 0 {
            try await dispatcher.deliverDue()
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(script.file("delivered.json")?.contains("\"task_name\":\"t1\"") == true)
        let delivered = try await manager.stores.outbox.entries(consumer: nil, states: [.delivered], limit: 10)
        #expect(delivered.map(\.attempts) == [2])
        let dead = try await manager.stores.outbox.entries(consumer: nil, states: [.dead], limit: 10)
        #expect(dead.count == 1)
        #expect(dead.first?.lastError?.contains("exited with status 3") == true, "\(dead)")
        #expect(dead.first?.lastError?.contains("cannot page: no route") == true, "the program's output is in the error: \(dead)")
    }

    @Test func aProgramPastItsTimeIsKilledAndTheDeliveryFails() async throws {
        let script = try Script(#"echo $$ > "$OUT/pid"; exec sleep 60"#)
        let observer = try Self.observer(
            ["command": .array([.string(script.path)]), "pass_env": .array(["OUT"])], environment: ["OUT": script.folder.path, "PATH": "/usr/bin:/bin"])
        let manager = try await makeSampleManager(.memory, observers: [
            .init(name: "slow", observer: observer, timeout: .milliseconds(500), delivery: .durable(maxAttempts: 1)),
        ])
        await manager.emit(LifecycleEvent(.complete, task: "t1", status: .success))
        // Returns once the program is stopped (no time is asserted: the machine is shared).
        try await OutboxDispatcher(managers: [manager]).deliverDue()
        let dead = try await manager.stores.outbox.entries(consumer: nil, states: [.dead], limit: 10)
        #expect(dead.first?.lastError?.contains("did not finish within") == true, "\(dead)")
        let pidText = try #require(script.file("pid"))
        let pid = try #require(Int32(pidText.trimmingCharacters(in: .whitespacesAndNewlines)))
        var gone = false
        for _ in 0..<100 where !gone {
            gone = kill(pid, 0) != 0
            if !gone { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(gone, "the program (pid \(pid)) was killed")
    }

    @Test func aChattyProgramOrOneThatNeverReadsItsInputCannotHoldUpTheProcess() async throws {
        // 4 MB of output, standard input never read.
        let script = try Script("head -c 4000000 /dev/zero | tr '\\\\0' x; exit 0")
        let observer = try Self.observer(["command": .array([.string(script.path)])], environment: ["PATH": "/usr/bin:/bin"])
        let big = String(repeating: "y", count: 300_000)
        try await observer.observe(LifecycleEvent(.progress, task: "t1", message: big))
    }

    @Test func aCommandThatCannotRunIsAConfigErrorNamingIt() throws {
        let config = """
            ASYNC_MANAGER_DEFAULT:
              manager_class: sample.async_manager.SampleAsyncManager
              config:
                record_model_path: sample.AsyncTaskRecord
                observers:
                  - type: asyncdash.observers.command
                    command: [/no/such/notify, --team, ops]
                  - type: asyncdash.observers.command
                    command: notify-that-is-not-installed
                  - type: asyncdash.observers.command
                    commnd: [/bin/true]
            """
        do {
            _ = try ConfigResolver.parse(config, file: "config.yaml", registry: testRegistry(), environment: ["PATH": "/usr/bin:/bin"])
            Issue.record("expected a config error")
        } catch {
            let text = error.description
            #expect(text.contains("config.yaml:7"), "\(text)")
            #expect(text.contains("'/no/such/notify' is not an executable file"), "\(text)")
            #expect(text.contains("'notify-that-is-not-installed' is not an executable file (looked in PATH)"), "\(text)")
            #expect(text.contains("commnd"), "\(text)")
        }
        let resolved = try ConfigResolver.parse(
            config.replacingOccurrences(of: "/no/such/notify", with: "/bin/true").replacingOccurrences(of: "notify-that-is-not-installed", with: "env")
                .replacingOccurrences(of: "commnd", with: "command"),
            file: "config.yaml", registry: testRegistry(), environment: ["PATH": "/usr/bin:/bin"])
        #expect(resolved.defaultManager.observers.count == 3)
    }

    @Test func twoDurableObserversOfOneTypeNeedDistinctNamesForTheirOutboxQueues() throws {
        func config(_ names: [String?]) -> String {
            """
            ASYNC_MANAGER_DEFAULT:
              manager_class: sample.async_manager.SampleAsyncManager
              config:
                observers:
            """ + names.map { name in
                "\n      - type: asyncdash.observers.command\n        command: [/bin/true]\n        durable: true" + (name.map { "\n        name: \($0)" } ?? "")
            }.joined()
        }
        do {
            _ = try ConfigResolver.parse(config([nil, nil]), file: "config.yaml", registry: testRegistry(), environment: ["PATH": "/usr/bin:/bin"])
            Issue.record("expected a config error")
        } catch {
            #expect(error.description.contains("config.yaml:8:15: error: ASYNC_MANAGER_DEFAULT: two durable observers are named 'asyncdash.observers.command'"), "\(error)")
        }
        let named = try ConfigResolver.parse(config(["ops", "audit"]), file: "config.yaml", registry: testRegistry(), environment: ["PATH": "/usr/bin:/bin"])
        #expect(named.defaultManager.observers.map(\.name) == ["ops", "audit"])
        #expect(throws: ConfigError.self) {
            try ConfigResolver.parse(config(["a/b"]), file: "config.yaml", registry: testRegistry(), environment: ["PATH": "/usr/bin:/bin"])
        }
    }
}
