import AsyncDash
import AsyncDashWeb
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// Admin actions: who may run them, the CSRF check for browsers, the audit log, retry and clean-up.
@Suite struct ActionTokenTests {
    static func securedFixture() async throws -> WebFixture {
        try await WebFixture {
            $0.readToken = Tokens.read
            $0.adminToken = Tokens.admin
        }
    }

    @Test func withoutATokenEveryActionIs401AndWithTheReadTokenIs403() async throws {
        let fixture = try await Self.securedFixture()
        try await fixture.launchAndFinish("t1")
        try await fixture.test { client in
            for path in ["t1/cancel", "t1/retry", "t1/cleanup", "-/cleanup"] {
                let none = try await client.execute(uri: "/async-dashboard/\(path)", method: .post)
                #expect(none.status == .unauthorized, "\(path)")
                let read = try await client.execute(uri: "/async-dashboard/\(path)", method: .post, headers: bearer(Tokens.read))
                #expect(read.status == .forbidden, "\(path)")
                #expect(try read.json()["error"]?.stringValue?.contains("admin") == true)
            }
            // Nothing was done, nothing was recorded.
            let task = try await client.execute(uri: "/api/tasks/t1", method: .get, headers: bearer(Tokens.read)).json()
            #expect(task["actions"] == [])
        }
        #expect(try await fixture.manager.record(for: "t1")?["status"] == .text("success"))
    }

    @Test func theAdminTokenRetriesAndTheAuditLogShowsIt() async throws {
        let fixture = try await Self.securedFixture()
        try await fixture.launchAndFinish("t1", count: 2)
        let newName = try await fixture.test { client -> String in
            let response = try await client.execute(uri: "/async-dashboard/t1/retry", method: .post, headers: bearer(Tokens.admin))
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "application/json")
            let outcome = try #require(try response.json()["outcome"]?.stringValue)
            let match = try #require(try HTML.captures(#"^relaunched t1 as (t1-retry-[0-9a-f]{6})$"#, in: outcome).first)

            let task = try await client.execute(uri: "/api/tasks/t1", method: .get, headers: bearer(Tokens.admin)).json()
            let actions = try #require(task["actions"]?.arrayValue)
            #expect(actions.count == 1)
            #expect(actions.first?["action"] == "retry")
            #expect(actions.first?["actor"] == "admin token")
            #expect(actions.first?["outcome"] == .string("relaunched as \(match)"))

            let detail = try await client.execute(uri: "/async-dashboard/t1/", method: .get, headers: bearer(Tokens.admin)).text
            #expect(detail.contains("Actions taken"))
            #expect(detail.contains("<td>admin token</td><td>retry</td><td>relaunched as \(match)</td>"))
            #expect(!detail.contains("No actions yet."))
            return match
        }
        #expect(await fixture.queue.waitUntilIdle(timeout: .seconds(30)))
        let relaunched = try #require(try await fixture.manager.record(for: newName))
        #expect(relaunched["status"] == .text("success"))
        #expect(relaunched["task_function"] == .text("sample.tasks.update_items"))
        #expect(relaunched["result_payload"] == .json(["updated": 2]))
        try await fixture.test { client in
            let task = try await client.execute(uri: "/api/tasks/\(newName)", method: .get, headers: bearer(Tokens.read)).json()
            #expect(task["actions"]?.arrayValue?.first?["outcome"] == "retry of t1")
        }
    }

    @Test func theAdminTokenCancelsARunningTaskAndRunsCleanup() async throws {
        let fixture = try await Self.securedFixture()
        try await fixture.manager.launchAsyncTask("sample.tasks.long_running", args: ["seconds": 20], taskName: "slow", queue: fixture.queue)
        try await fixture.test { client in
            // Wait until it runs.
            for _ in 0..<200 {
                let status = try await client.execute(uri: "/async/progress/?task_name=slow", method: .get, headers: bearer(Tokens.read))
                if try status.json()["status"] == "in_progress" { break }
                try await Task.sleep(for: .milliseconds(20))
            }
            let cancel = try await client.execute(uri: "/async-dashboard/slow/cancel", method: .post, headers: bearer(Tokens.admin))
            #expect(cancel.status == .ok)
            #expect(try cancel.json()["outcome"] == "cancel requested for slow")
        }
        #expect(await fixture.queue.waitUntilIdle(timeout: .seconds(10)))
        try await fixture.test { client in
            let progress = try await client.execute(uri: "/async/progress/?task_name=slow", method: .get, headers: bearer(Tokens.read))
            #expect(progress.status.code == 286)
            // A finished task cannot be cancelled again: 409, and the refusal is recorded too.
            let again = try await client.execute(uri: "/async-dashboard/slow/cancel", method: .post, headers: bearer(Tokens.admin))
            #expect(again.status == .conflict)
            let run = try await client.execute(uri: "/async-dashboard/-/cleanup", method: .post, headers: bearer(Tokens.admin))
            #expect(run.status == .ok)
            #expect(try run.json()["outcome"]?.stringValue != nil)
            let task = try await client.execute(uri: "/api/tasks/slow", method: .get, headers: bearer(Tokens.read)).json()
            let actions = task["actions"]?.arrayValue ?? []
            #expect(actions.contains { $0["action"] == "cancel" && $0["outcome"] == "cancel requested for slow" })
            #expect(actions.contains { $0["action"] == "cancel" && $0["outcome"]?.stringValue?.contains("already finished") == true })
            #expect(actions.filter { $0["action"] == "cancel" }.count == 2)
        }
    }

    @Test func cleanupOfOneTaskIsRecordedWhateverItsOutcome() async throws {
        let fixture = try await Self.securedFixture()
        try await fixture.launchAndFinish("t1")
        try await fixture.test { client in
            let response = try await client.execute(uri: "/async-dashboard/t1/cleanup", method: .post, headers: bearer(Tokens.admin))
            #expect(response.status == .ok || response.status == .conflict)
            let json = try response.json()
            let text = try #require(json["outcome"]?.stringValue ?? json["error"]?.stringValue)
            #expect(text.contains("t1"))
            let task = try await client.execute(uri: "/api/tasks/t1", method: .get, headers: bearer(Tokens.read)).json()
            #expect(task["actions"]?.arrayValue?.first?["action"] == "cleanup")
        }
    }

    @Test func signingInSetsTheTokenCookieThatPagesThenAccept() async throws {
        let fixture = try await Self.securedFixture()
        await fixture.seedMixedTasks()
        try await fixture.test { client in
            for uri in ["/async-dashboard/", "/async-dashboard/nightly/"] {
                let refused = try await client.execute(uri: uri, method: .get)
                #expect(refused.status == .seeOther, "\(uri)")
                #expect(refused.headers[.location] == "/async-dashboard/-/login")
            }
            let login = try await client.execute(uri: "/async-dashboard/-/login", method: .get)
            #expect(login.status == .ok)
            let csrf = try #require(login.setCookie("asyncdash_csrf"))
            #expect(try HTML.csrfField(login.text) == csrf)
            let form: HTTPFields = [.contentType: "application/x-www-form-urlencoded", .cookie: "asyncdash_csrf=\(csrf)"]

            let wrong = try await client.execute(uri: "/async-dashboard/-/login", method: .post, headers: form,
                                                 body: ByteBuffer(string: "csrf=\(csrf)&token=\(String(repeating: "z", count: 20))"))
            #expect(wrong.status == .unauthorized)
            #expect(wrong.setCookie("asyncdash_token") == nil)
            let forged = try await client.execute(uri: "/async-dashboard/-/login", method: .post, headers: form,
                                                  body: ByteBuffer(string: "csrf=\(String(repeating: "0", count: 32))&token=\(Tokens.read)"))
            #expect(forged.status == .forbidden)

            let signIn = try await client.execute(uri: "/async-dashboard/-/login", method: .post, headers: form,
                                                  body: ByteBuffer(string: "csrf=\(csrf)&token=\(Tokens.read)"))
            #expect(signIn.status == .seeOther)
            #expect(signIn.headers[.location] == "/async-dashboard/")
            let token = try #require(signIn.setCookie("asyncdash_token"))
            #expect(token == Tokens.read)
            #expect(signIn.headers[values: .setCookie].contains { $0.contains("HttpOnly") && $0.contains("SameSite=Strict") })

            let page = try await client.execute(uri: "/async-dashboard/", method: .get, headers: [.cookie: "asyncdash_token=\(token)"])
            #expect(page.status == .ok)
            #expect(Set(try HTML.rowNames(page.text)).count == 6)
            #expect(page.text.contains("read-only token"))
            // Read-only: no admin forms.
            #expect(!page.text.contains("Run clean-up"))
            let detail = try await client.execute(uri: "/async-dashboard/nightly/", method: .get, headers: [.cookie: "asyncdash_token=\(token)"])
            #expect(detail.status == .ok)
            #expect(!detail.text.contains(#"action="/async-dashboard/nightly/retry""#))
        }
    }
}

@Suite struct BrowserActionTests {
    /// The CSRF cookie and the form's token, from a GET of the task's page.
    static func csrf(_ client: any TestClientProtocol, task: String) async throws -> (cookie: String, field: String) {
        let page = try await client.execute(uri: "/async-dashboard/\(task)/", method: .get)
        #expect(page.status == .ok)
        let cookie = try #require(page.setCookie("asyncdash_csrf"))
        let field = try #require(try HTML.csrfField(page.text))
        #expect(cookie.count >= 32)
        return (cookie, field)
    }

    static func formHeaders(cookie: String) -> HTTPFields {
        [.contentType: "application/x-www-form-urlencoded", .cookie: "asyncdash_csrf=\(cookie)"]
    }

    @Test func withoutTheCSRFTokenActionsAre403() async throws {
        let fixture = try await WebFixture()
        try await fixture.launchAndFinish("t1")
        try await fixture.test { client in
            for path in ["t1/cancel", "t1/retry", "t1/cleanup", "-/cleanup"] {
                let bare = try await client.execute(uri: "/async-dashboard/\(path)", method: .post)
                #expect(bare.status == .forbidden, "\(path)")
                #expect(bare.text.contains("CSRF"))
            }
            let (cookie, field) = try await Self.csrf(client, task: "t1")
            // The cookie without the form field, and the form field without the cookie.
            let noField = try await client.execute(uri: "/async-dashboard/t1/cleanup", method: .post, headers: Self.formHeaders(cookie: cookie),
                                                   body: ByteBuffer(string: "other=1"))
            #expect(noField.status == .forbidden)
            let noCookie = try await client.execute(uri: "/async-dashboard/t1/cleanup", method: .post,
                                                    headers: [.contentType: "application/x-www-form-urlencoded"], body: ByteBuffer(string: "csrf=\(field)"))
            #expect(noCookie.status == .forbidden)
            let mismatch = try await client.execute(uri: "/async-dashboard/t1/cleanup", method: .post,
                                                    headers: Self.formHeaders(cookie: String(repeating: "f", count: 32)), body: ByteBuffer(string: "csrf=\(field)"))
            #expect(mismatch.status == .forbidden)
            // A cross-site Origin is refused even with matching tokens.
            var crossSite = Self.formHeaders(cookie: cookie)
            crossSite[.origin] = "https://evil.example"
            let foreign = try await client.execute(uri: "/async-dashboard/t1/cleanup", method: .post, headers: crossSite, body: ByteBuffer(string: "csrf=\(field)"))
            #expect(foreign.status == .forbidden)
            let task = try await client.execute(uri: "/api/tasks/t1", method: .get).json()
            #expect(task["actions"] == [])
        }
    }

    @Test func withTheCSRFTokenTheActionRunsAndRedirects() async throws {
        let fixture = try await WebFixture()
        try await fixture.launchAndFinish("t1")
        try await fixture.test { client in
            let (cookie, field) = try await Self.csrf(client, task: "t1")
            #expect(cookie == field)
            let response = try await client.execute(uri: "/async-dashboard/t1/cleanup", method: .post, headers: Self.formHeaders(cookie: cookie),
                                                    body: ByteBuffer(string: "csrf=\(field)"))
            #expect(response.status == .seeOther)
            let location = try #require(response.headers[.location])
            #expect(location.hasPrefix("/async-dashboard/t1/?done="))
            // The redirect target shows the outcome and the audit entry.
            let page = try await client.execute(uri: location, method: .get, headers: [.cookie: "asyncdash_csrf=\(cookie)"])
            #expect(page.status == .ok)
            #expect(page.text.contains(#"<p class="flash" role="status">"#))
            #expect(page.text.contains("<td>local</td><td>cleanup</td>"))
            // The same cookie keeps working (no new one is set while it is valid).
            #expect(page.setCookie("asyncdash_csrf") == nil)
            #expect(try HTML.csrfField(page.text) == cookie)

            let run = try await client.execute(uri: "/async-dashboard/-/cleanup", method: .post, headers: Self.formHeaders(cookie: cookie),
                                               body: ByteBuffer(string: "csrf=\(field)"))
            #expect(run.status == .seeOther)
            #expect(run.headers[.location]?.hasPrefix("/async-dashboard/?done=") == true)
        }
    }

    @Test func anOriginMustBeThisHostOverHTTPOrHTTPS() async throws {
        let fixture = try await WebFixture()
        try await fixture.launchAndFinish("t1")
        try await fixture.test { client in
            let (cookie, field) = try await Self.csrf(client, task: "t1")
            // The test transport's host is localhost: same host, but only over http or https.
            for (origin, status) in [("http://localhost", HTTPResponse.Status.seeOther), ("https://localhost", .seeOther),
                                     ("ftp://localhost", .forbidden), ("chrome-extension://localhost", .forbidden),
                                     ("null", .forbidden), ("file://localhost", .forbidden), ("http://localhost.evil.example", .forbidden)] {
                var headers = Self.formHeaders(cookie: cookie)
                headers[.origin] = origin
                let response = try await client.execute(uri: "/async-dashboard/-/cleanup", method: .post, headers: headers,
                                                        body: ByteBuffer(string: "csrf=\(field)"))
                #expect(response.status == status, "Origin: \(origin)")
            }
        }
    }

    @Test func retryOfAFinishedTaskLaunchesANewTask() async throws {
        let fixture = try await WebFixture()
        try await fixture.launchAndFinish("t1", count: 4)
        let newName = try await fixture.test { client -> String in
            let (cookie, field) = try await Self.csrf(client, task: "t1")
            let response = try await client.execute(uri: "/async-dashboard/t1/retry", method: .post, headers: Self.formHeaders(cookie: cookie),
                                                    body: ByteBuffer(string: "csrf=\(field)"))
            #expect(response.status == .seeOther)
            let location = try #require(response.headers[.location])
            return try #require(try HTML.captures(#"^/async-dashboard/(t1-retry-[0-9a-f]{6})/\?done="#, in: location).first)
        }
        #expect(await fixture.queue.waitUntilIdle(timeout: .seconds(30)))
        let record = try #require(try await fixture.manager.record(for: newName))
        #expect(record["status"] == .text("success"))
        #expect(record["result_payload"] == .json(["updated": 4]))
        try await fixture.test { client in
            // A task that has not finished cannot be retried.
            await fixture.emit(LifecycleEvent(.create, task: "waiting", status: .pending, message: "Task queued"))
            let (cookie, field) = try await Self.csrf(client, task: "waiting")
            let refused = try await client.execute(uri: "/async-dashboard/waiting/retry", method: .post, headers: Self.formHeaders(cookie: cookie),
                                                   body: ByteBuffer(string: "csrf=\(field)"))
            #expect(refused.status == .seeOther)
            #expect(refused.headers[.location]?.hasPrefix("/async-dashboard/waiting/?done=") == true)
            #expect(refused.headers[.location]?.contains("only%20finished%20tasks") == true)
        }
    }
}
