import AsyncDash
import AsyncDashWeb
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Sample
import Testing

/// `DashboardSettings.resolve` and `checkExposure()`.
@Suite struct SettingsTests {
    static func at(_ line: Int, _ column: Int = 3) -> AsyncDash.SourceLocation {
        AsyncDash.SourceLocation(file: "asyncdash.yaml", line: line, column: column)
    }

    @Test func resolvesAWholeSection() throws {
        let settings = try DashboardSettings.resolve(
            [
                "bind": Located("0.0.0.0:9100", at: Self.at(2)),
                "fields": Located(["task_name", "status"], at: Self.at(3)),
                "page_size": Located(20, at: Self.at(4)),
                "path_prefix": Located("/ops/tasks/", at: Self.at(5)),
                "auth_token_env": Located("DASH_READ", at: Self.at(6)),
            ],
            model: AsyncTaskRecord.model, environment: ["DASH_READ": Tokens.read])
        #expect(settings.host == "0.0.0.0" && settings.port == 9100)
        #expect(settings.fields == ["task_name", "status"])
        #expect(settings.pageSize == 20)
        #expect(settings.pathPrefix == "/ops/tasks")
        #expect(settings.readToken == Tokens.read)
        #expect(settings.adminToken == nil)
        try settings.checkExposure()
    }

    @Test func unknownColumnsAreNamedWithTheirLocation() throws {
        let error = try #require(throws: DashboardConfigError.self) {
            try DashboardSettings.resolve(
                ["fields": Located(["task_name", "stauts"], at: Self.at(12)),
                 "detail_fields": Located(["mesage"], at: Self.at(14, 5))],
                model: AsyncTaskRecord.model, environment: [:])
        }
        #expect(error.diagnostics.count == 2)
        let text = error.description
        #expect(text.contains("asyncdash.yaml:12:3"))
        #expect(text.contains("DASHBOARD.fields: 'stauts' is not a column of record model 'sample.AsyncTaskRecord'"))
        #expect(text.contains("status"))
        #expect(text.contains("asyncdash.yaml:14:5"))
        #expect(text.contains("'mesage'"))
        let notAList = try #require(throws: DashboardConfigError.self) {
            try DashboardSettings.resolve(["fields": Located("task_name", at: Self.at(3))], model: AsyncTaskRecord.model, environment: [:])
        }
        #expect(notAList.description.contains("expected a non-empty list"))
    }

    @Test func aBadBindIsAnError() throws {
        for bind: JSONValue in ["localhost", "127.0.0.1:99999", ":8000", "127.0.0.1:http", 8000] {
            let error = try #require(throws: DashboardConfigError.self) {
                try DashboardSettings.resolve(["bind": Located(bind, at: Self.at(7))], model: AsyncTaskRecord.model, environment: [:])
            }
            #expect(error.description.contains("asyncdash.yaml:7:3: error: DASHBOARD.bind: expected HOST:PORT"), "\(bind)")
        }
        let ipv6 = try DashboardSettings.resolve(["bind": Located("[::1]:8080", at: Self.at(7))], model: AsyncTaskRecord.model, environment: [:])
        #expect(ipv6.host == "::1" && ipv6.port == 8080 && ipv6.isLoopback)
    }

    @Test func aTokenVariableThatIsUnsetEmptyOrShortIsAnError() throws {
        let unset = try #require(throws: DashboardConfigError.self) {
            try DashboardSettings.resolve(["admin_token_env": Located("DASH_ADMIN", at: Self.at(9))], model: AsyncTaskRecord.model, environment: [:])
        }
        #expect(unset.description.contains("asyncdash.yaml:9:3"))
        #expect(unset.description.contains("DASH_ADMIN is not set"))
        let empty = try #require(throws: DashboardConfigError.self) {
            try DashboardSettings.resolve(["admin_token_env": Located("DASH_ADMIN", at: Self.at(9))], model: AsyncTaskRecord.model, environment: ["DASH_ADMIN": ""])
        }
        #expect(empty.description.contains("DASH_ADMIN is not set"))
        let short = try #require(throws: DashboardConfigError.self) {
            try DashboardSettings.resolve(["auth_token_env": Located("DASH_READ", at: Self.at(8))], model: AsyncTaskRecord.model, environment: ["DASH_READ": "short"])
        }
        #expect(short.description.contains("at least 16"))
        #expect(!short.description.contains("short\n") && !short.description.hasSuffix("short"))
    }

    @Test func everyMistakeIsReportedAtOnce() throws {
        let error = try #require(throws: DashboardConfigError.self) {
            try DashboardSettings.resolve(
                ["fields": Located(["nope"], at: Self.at(3)), "bind": Located("nowhere", at: Self.at(4)),
                 "page_size": Located(0, at: Self.at(5)), "auth_token_env": Located("UNSET_VAR", at: Self.at(6))],
                model: AsyncTaskRecord.model, environment: [:])
        }
        #expect(error.diagnostics.count == 4)
    }

    @Test func exposureBeyondLoopbackNeedsAToken() async throws {
        var settings = DashboardSettings()
        try settings.checkExposure()
        settings.host = "0.0.0.0"
        let error = try #require(throws: DashboardExposureError.self) { try settings.checkExposure() }
        #expect(error.description.contains("0.0.0.0:8000"))
        settings.readToken = Tokens.read
        try settings.checkExposure()
        settings.readToken = nil
        settings.adminToken = Tokens.admin
        try settings.checkExposure()
        // The dashboard itself refuses to start exposed.
        await #expect(throws: DashboardExposureError.self) {
            _ = try await WebFixture { $0.host = "0.0.0.0" }
        }
    }
}

/// `/metrics` in Prometheus text format.
@Suite struct MetricsTests {
    /// The value of the sample `name` (with its labels, as written) in `text`.
    static func sample(_ name: String, in text: String) -> Double? {
        for line in text.split(separator: "\n") where line.hasPrefix(name + " ") {
            return Double(line.dropFirst(name.count + 1).trimmingCharacters(in: .whitespaces))
        }
        return nil
    }

    @Test func countsTasksByStatusAndEventsByKind() async throws {
        let metrics = DashboardMetrics()
        let fixture = try await WebFixture(metrics: metrics)
        await fixture.seedMixedTasks()
        try await fixture.launchAndFinish("launched", count: 2)
        try await fixture.test { client in
            let response = try await client.execute(uri: "/metrics", method: .get)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType]?.hasPrefix("text/plain; version=0.0.4") == true)
            let text = response.text
            #expect(text.contains("# TYPE asyncdash_tasks gauge"))
            #expect(Self.sample(#"asyncdash_tasks{status="success"}"#, in: text) == 2)
            #expect(Self.sample(#"asyncdash_tasks{status="failed"}"#, in: text) == 2)
            #expect(Self.sample(#"asyncdash_tasks{status="pending"}"#, in: text) == 2)
            #expect(Self.sample(#"asyncdash_tasks{status="in_progress"}"#, in: text) == 1)
            #expect(Self.sample(#"asyncdash_tasks{status="cancelled"}"#, in: text) == 0)
            #expect(Self.sample("asyncdash_queue_depth", in: text) == 2)
            #expect(Self.sample("asyncdash_active_tasks", in: text) == 0)
            // 6 seeded creates + 1 launched; 1 seeded complete + 1 launched; 2 progress of the launched task + 1 seeded.
            #expect(Self.sample(#"asyncdash_events_total{kind="create"}"#, in: text) == 7)
            #expect(Self.sample(#"asyncdash_events_total{kind="complete"}"#, in: text) == 2)
            #expect(Self.sample(#"asyncdash_events_total{kind="fail"}"#, in: text) == 2)
            #expect(Self.sample(#"asyncdash_events_total{kind="progress"}"#, in: text) == 3)
            #expect(Self.sample(#"asyncdash_events_total{kind="cleanup"}"#, in: text) == 1)
        }
    }

    @Test func withoutTheObserverNoEventsAreCounted() async throws {
        let fixture = try await WebFixture()
        await fixture.seedMixedTasks()
        try await fixture.test { client in
            let text = try await client.execute(uri: "/metrics", method: .get).text
            #expect(Self.sample(#"asyncdash_tasks{status="failed"}"#, in: text) == 2)
            #expect(!text.contains("asyncdash_events_total{"))
        }
    }
}
