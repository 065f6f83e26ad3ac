import AsyncDash
import Testing

/// Each kind of config mistake yields its own clear error at the right line and column.
@Suite("Config mistakes")
struct ConfigErrorTests {
    private func diagnostics(_ yaml: String, environment: [String: String] = [:]) -> [ConfigDiagnostic] {
        do {
            _ = try ConfigResolver.parse(yaml, file: "config.yaml", registry: testRegistry(), environment: environment)
            Issue.record("expected a config error")
            return []
        } catch {
            return error.diagnostics
        }
    }

    private func single(_ yaml: String, environment: [String: String] = [:], sourceLocation: Testing.SourceLocation = #_sourceLocation) throws -> ConfigDiagnostic {
        let found = diagnostics(yaml, environment: environment)
        #expect(found.count == 1, "\(found)", sourceLocation: sourceLocation)
        return try #require(found.first, sourceLocation: sourceLocation)
    }

    @Test
    func yamlSyntaxErrorHasItsLineAndColumn() throws {
        let d = try single("STORE: memory\nCONFLICT_TTL: [1, 2\nQUEUE: durable\n")
        #expect(d.message.hasPrefix("YAML syntax"))
        #expect(d.location.line == 3)
        #expect(d.description.hasPrefix("config.yaml:3:"))
    }

    @Test
    func wrongTypeNamesTheValueAndWhatIsValid() throws {
        let d = try single("STORE: memory\nCONFLICT_TTL: an hour\n")
        #expect(d.location == SourceLocation(file: "config.yaml", line: 2, column: 15))
        #expect(d.message.contains("CONFLICT_TTL must be a whole number of seconds (1 to 31536000), got string 'an hour'"))
    }

    @Test
    func negativeTTLIsAnError() throws {
        let d = try single("STORE: memory\nPROGRESS_TTL: -5\n")
        #expect(d.location.line == 2)
        #expect(d.location.column == 15)
        #expect(d.message.contains("from 1 to 31536000 seconds"))
    }

    @Test
    func unknownKeySuggestsTheClosest() throws {
        let d = try single("STORE: memory\nCONFLICT_TLL: 60\n")
        #expect(d.location == SourceLocation(file: "config.yaml", line: 2, column: 1))
        #expect(d.message.contains("unknown key 'CONFLICT_TLL'"))
        #expect(d.message.contains("did you mean 'CONFLICT_TTL'"))
    }

    @Test
    func unknownDottedNameSuggestsRegisteredNames() throws {
        let d = try single("""
            STORE: memory
            ASYNC_MANAGER_DEFAULT:
              manager_class: sample.async_manager.SampleAsyncManagr
            """)
        #expect(d.location == SourceLocation(file: "config.yaml", line: 3, column: 18))
        #expect(d.message.contains("unknown manager 'sample.async_manager.SampleAsyncManagr'"))
        #expect(d.message.contains("did you mean 'sample.async_manager.SampleAsyncManager'"))
    }

    @Test
    func aNameOfTheWrongKindSaysWhatItIs() throws {
        let d = try single("""
            STORE: memory
            ASYNC_MANAGER_DEFAULT:
              manager_class: sample.AsyncTaskRecord
            """)
        #expect(d.location.line == 3)
        #expect(d.message.contains("'sample.AsyncTaskRecord' is a registered record model, not a manager"))
    }

    @Test
    func fieldMapTargetThatIsNotAColumnPointsAtTheColumn() throws {
        let d = try single("""
            STORE: memory
            ASYNC_MANAGER_DEFAULT:
              manager_class: sample.async_manager.SampleAsyncManager
              config:
                field_map: { progress: progres_payload }
            """)
        #expect(d.location == SourceLocation(file: "config.yaml", line: 5, column: 28))
        #expect(d.message.contains("'progres_payload' is not a column of record model 'sample.AsyncTaskRecord'"))
        #expect(d.message.contains("did you mean 'progress_payload'"))
    }

    @Test
    func unknownObserverAndBadObserverOptionAreErrors() throws {
        let found = diagnostics("""
            STORE: memory
            MANAGERS:
              app.Loud:
                base: sample.async_manager.SampleAsyncManager
                observers:
                  - type: asyncdash.observers.logg
                  - type: asyncdash.observers.log
                    level: shouting
                    events: [complete, finish]
            """)
        #expect(found.count == 3, "\(found)")
        #expect(found.contains { $0.location.line == 6 && $0.message.contains("did you mean 'asyncdash.observers.log'") })
        #expect(found.contains { $0.location.line == 8 && $0.message.contains("'shouting'") && $0.message.contains("valid levels") })
        #expect(found.contains { $0.location.line == 9 && $0.message.contains("'finish' is not a lifecycle event") })
    }

    @Test
    func secretsInTheFileAreRefused() throws {
        let d = try single("""
            STORE: memory
            DASHBOARD: { bind: 127.0.0.1:8080, token: hunter2 }
            """)
        #expect(d.location.line == 2)
        #expect(d.message.contains("secrets come only from the environment"))
    }

    @Test("DASHBOARD.managers: an unknown manager, an unknown key and a missing path_prefix, each at its line")
    func managerDashboardMistakes() throws {
        let found = diagnostics("""
            STORE: memory
            DASHBOARD:
              managers:
                sample.NotifyingAsyncManagr: { path_prefix: /notify }
                sample.async_manager.SampleAsyncManager: { fields: [task_name], colour: red }
            """)
        #expect(found.count == 3, "\(found)")
        #expect(found.contains { $0.location.line == 4 && $0.message.contains("'sample.NotifyingAsyncManagr' is neither a registered manager") })
        #expect(found.contains { $0.location.line == 5 && $0.message.contains("path_prefix is required") })
        #expect(found.contains { $0.location.line == 5 && $0.message.contains("colour") })
        // A registered manager with a path is accepted.
        let resolved = try ConfigResolver.parse("""
            STORE: memory
            DASHBOARD: { managers: { sample.async_manager.SampleAsyncManager: { path_prefix: /sample } } }
            """, file: "config.yaml", registry: testRegistry(), environment: [:])
        #expect(resolved.config.managerDashboards.map(\.manager.value) == ["sample.async_manager.SampleAsyncManager"])
        #expect(resolved.config.managerDashboards.first?.section["path_prefix"]?.value == "/sample")
    }

    @Test
    func baseChainLoopsAreReported() throws {
        let found = diagnostics("""
            STORE: memory
            MANAGERS:
              app.A: { base: app.B }
              app.B: { base: app.A }
            """)
        #expect(!found.isEmpty)
        #expect(found.allSatisfy { $0.message.contains("loops back") })
    }

    @Test
    func unknownStoreSchemeIsAnError() throws {
        let d = try single("STORE: mysql://localhost/db\n")
        #expect(d.location == SourceLocation(file: "config.yaml", line: 1, column: 8))
        #expect(d.message.contains("no store for scheme 'mysql'"))
    }

    @Test
    func badEnvironmentOverrideNamesTheVariable() throws {
        let d = try single("STORE: memory\n", environment: ["ASYNCDASH_LEASE_TTL": "soon"])
        #expect(d.location.environmentVariable == "ASYNCDASH_LEASE_TTL")
        #expect(d.description.contains("environment variable ASYNCDASH_LEASE_TTL"))
    }

    @Test
    func everyMistakeIsReportedInOneRun() throws {
        let found = diagnostics("""
            STORE: memory
            CONFLICT_TTL: -1
            QUEUEE: durable
            ASYNC_MANAGER_DEFAULT:
              manager_class: sample.async_manager.SampleAsyncManagr
            MANAGERS:
              app.Tracked:
                base: sample.async_manager.SampleAsyncManager
                field_map: { status: stat }
            MODELS:
              app.Row:
                table: rows
                columns: { task_name: text, note: txt }
            """)
        #expect(found.map(\.location.line) == [2, 3, 5, 9, 13], "\(found)")
    }

    @Test
    func modelsDeclaredInConfigAreValidated() throws {
        let found = diagnostics("""
            STORE: memory
            MODELS:
              app.Row:
                table: "rows; drop table x"
                columns: { task_name: text }
              app.NoKey:
                table: no_key
                columns: { name: text }
            """)
        #expect(found.count == 2, "\(found)")
        #expect(found.contains { $0.location.line == 4 && $0.message.contains("not a valid table name") })
        #expect(found.contains { $0.location.line == 6 && $0.message.contains("key column 'task_name'") })
    }

    @Test
    func aMissingFileIsOneClearError() throws {
        do {
            _ = try ConfigResolver.load(path: "/nonexistent/config.yaml", registry: testRegistry())
            Issue.record("expected an error")
        } catch {
            #expect(error.diagnostics.count == 1)
            #expect(error.description.contains("config file not found"))
        }
    }
}

extension ConfigErrorTests {
    @Test
    func aMisspeltEnvironmentOverrideIsReported() throws {
        let d = try single("STORE: memory\n", environment: ["ASYNCDASH_STOER": "memory", "ASYNCDASH_TOKEN": "x"])
        #expect(d.location.environmentVariable == "ASYNCDASH_STOER")
        #expect(d.message.contains("did you mean ASYNCDASH_STORE?"))
    }
}

extension ConfigErrorTests {
    @Test
    func aBadSQLiteURLIsReportedWhereItWasWritten() throws {
        let d = try single("CONFLICT_TTL: 60\nSTORE: sqlite://a.sqlite?synchronous=sometimes\n")
        #expect(d.location == SourceLocation(file: "config.yaml", line: 2, column: 8))
        #expect(d.message.contains("sometimes"))
    }

    @Test
    func everyMistakeOfAnObserverEntryIsReported() throws {
        let found = diagnostics("""
            STORE: memory
            MANAGERS:
              app.M:
                base: sample.async_manager.SampleAsyncManager
                observers:
                  - { type: asyncdash.observers.log, token: abc, events: [finish] }
            """)
        #expect(found.count == 2, "\(found)")
    }
}
