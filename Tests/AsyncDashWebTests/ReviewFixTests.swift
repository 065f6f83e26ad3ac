import AsyncDash
import AsyncDashSQLite
import AsyncDashWeb
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Sample
import Testing

/// Guards found by review: DNS rebinding, form-encoded searches, the OpenAPI document's token,
/// task names that are path syntax, retry of redacted arguments, actions refused on another
/// manager's dashboard.
@Suite("Dashboard guards")
struct DashboardGuardTests {
    @Test("loopback host names: 127.0.0.0/8 literals, localhost and [::1], with or without a port; nothing else")
    func loopbackAuthorities() {
        for good in ["127.0.0.1:8000", "localhost:8000", "LOCALHOST", "[::1]:8000", "127.0.0.2", "127.255.1.9:1"] {
            #expect(DashboardSettings.isLoopbackAuthority(good), "\(good)")
        }
        for bad in ["evil.example:8000", "127.evil.example", "127.0.0.1.evil.example", "10.0.0.5:8000", "[::2]:8000", "127.0.0.256", ""] {
            #expect(!DashboardSettings.isLoopbackAuthority(bad), "\(bad)")
        }
        var settings = DashboardSettings()
        settings.host = "127.evil.example"
        #expect(!settings.isLoopback)
        #expect(throws: DashboardExposureError.self) { try settings.checkExposure() }
    }

    @Test("a search typed into the form (spaces sent as +) finds the task; %2B stays a plus")
    func formEncodedSearch() async throws {
        let fixture = try await WebFixture()
        await fixture.emit(LifecycleEvent(.create, task: "nightly import", status: .pending, message: "queued"))
        await fixture.emit(LifecycleEvent(.create, task: "a+b", status: .pending, message: "queued"))
        try await fixture.test { client in
            try await client.execute(uri: "/async-dashboard/?q=nightly+imp", method: .get) { response in
                let html = String(buffer: response.body)
                #expect(html.contains(">nightly import</a>"))
                #expect(html.contains(#"value="nightly imp""#))
            }
            try await client.execute(uri: "/async-dashboard/?q=a%2Bb", method: .get) { response in
                let html = String(buffer: response.body)
                #expect(html.contains(">a+b</a>") && !html.contains(">nightly import</a>"))
            }
        }
    }

    @Test("with tokens, the OpenAPI document needs one too")
    func openAPINeedsAToken() async throws {
        let fixture = try await WebFixture { $0.readToken = String(repeating: "r", count: 20) }
        try await fixture.test { client in
            try await client.execute(uri: "/api/openapi.json", method: .get) { response in #expect(response.status == .unauthorized) }
            try await client.execute(uri: "/api/openapi.json", method: .get,
                                     headers: [.authorization: "Bearer " + String(repeating: "r", count: 20)]) { response in
                #expect(response.status == .ok)
            }
        }
    }

    @Test("tasks named -, . and .. get links that reach them, not the dashboard's own routes")
    func pathSyntaxNames() async throws {
        let fixture = try await WebFixture()
        for name in ["-", ".", ".."] {
            await fixture.emit(LifecycleEvent(.create, task: name, status: .pending, message: "named \(name)"))
        }
        try await fixture.test { client in
            for (name, href) in [("-", "%2D"), (".", "%2E"), ("..", "%2E%2E")] {
                try await client.execute(uri: "/async-dashboard/", method: .get) { response in
                    #expect(String(buffer: response.body).contains(#"href="/async-dashboard/\#(href)/""#), "\(name)")
                }
                try await client.execute(uri: "/async-dashboard/\(href)/", method: .get) { response in
                    #expect(response.status == .ok, "\(name)")
                    #expect(String(buffer: response.body).contains("named \(name)"), "\(name)")
                }
            }
        }
    }

    @Test("retry is refused when the stored arguments were redacted by the payload formatter, allowed when they were not")
    func retryOfRedactedArguments() async throws {
        let directory = WebTestFiles.runDirectory.appendingPathComponent(UUID().uuidString)
        let stores = try await StoreSet.sqlite(path: directory.appendingPathComponent("redact.sqlite").path)
        var registry = Registry.standard
        registry.registerSQLite()
        registry.registerSample()
        let context = ManagerContext(name: SampleAsyncManager.registeredName, stores: stores,
                                     formatters: FormatterSet(payload: PayloadFormatter(redact: ["password"])), registry: registry)
        let manager = try SampleAsyncManager(context: context)
        try await stores.records.prepare(manager.recordModel)
        let queue = InProcessTaskQueue(runner: manager, concurrency: 2)
        let dashboard = try await Dashboard(manager: manager, queue: queue, settings: DashboardSettings())
        try await manager.launchAsyncTask("sample.tasks.update_items", args: ["count": 1, "delay_ms": 1, "password": "hunter2"], taskName: "secret", queue: queue)
        try await manager.launchAsyncTask("sample.tasks.update_items", args: ["count": 1, "delay_ms": 1], taskName: "plain", queue: queue)
        #expect(await queue.waitUntilIdle(timeout: .seconds(30)))
        try await Application(router: dashboard.router()).test(.router) { client in
            try await client.execute(uri: "/async-dashboard/secret/retry", method: .post, headers: [.accept: "application/json"]) { response in
                #expect(response.status == .forbidden)  // no CSRF token: refused before anything else
            }
        }
        // Through the admin API path (Bearer is not configured: open mode needs CSRF) — use the page's token.
        try await Application(router: dashboard.router()).test(.router) { client in
            let csrf = try await client.execute(uri: "/async-dashboard/secret/", method: .get) { response -> String in
                let html = String(buffer: response.body)
                #expect(html.contains("redacted members (password)"), "the page says why retry is off")
                let cookie = response.headers[.setCookie] ?? ""
                return String(cookie.split(separator: ";")[0].split(separator: "=")[1])
            }
            for (task, expectRefused) in [("secret", true), ("plain", false)] {
                try await client.execute(uri: "/async-dashboard/\(task)/retry", method: .post,
                                         headers: [.cookie: "asyncdash_csrf=\(csrf)", .contentType: "application/x-www-form-urlencoded",
                                                   .accept: "application/json", HTTPField.Name("X-CSRF-Token")!: csrf]) { response in
                    let body = String(buffer: response.body)
                    if expectRefused {
                        #expect(response.status == .conflict, "\(body)")
                        #expect(body.contains("redacted members"), "\(body)")
                    } else {
                        #expect(response.status == .ok, "\(body)")
                        #expect(body.contains("relaunched plain as plain-retry-"), "\(body)")
                    }
                }
            }
            // The refusal is recorded too.
            try await client.execute(uri: "/api/tasks/secret", method: .get) { response in
                #expect(String(buffer: response.body).contains("cannot be retried"))
            }
        }
    }
}

@Suite("Custom statuses in the counts")
struct CustomStatusCountTests {
    @Test("a status outside the built-in five is counted but not offered as a filter link (the filter would refuse it)")
    func customStatusIsCountedNotLinked() async throws {
        let fixture = try await WebFixture()
        await fixture.emit(LifecycleEvent(.create, task: "odd", status: TaskStatus(rawValue: "paused"), message: "waiting"))
        try await fixture.test { client in
            let html = try await client.execute(uri: "/async-dashboard/", method: .get) { response in String(buffer: response.body) }
            #expect(html.contains(#"title="not one of the built-in statuses, so not a filter""#))
            #expect(html.contains("paused</span> <b>1</b></span>"))
            #expect(!html.contains("?status=paused"))
            #expect(html.contains("?status=failed"))
        }
    }
}
