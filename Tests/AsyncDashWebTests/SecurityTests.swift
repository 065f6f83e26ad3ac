import AsyncDash
import AsyncDashWeb
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// Markup in task data stays text; security headers; static files.
@Suite struct EscapingTests {
    static let evil = #"<script>alert(1)</script>"'"#
    static let name = "x" + evil
    static let message = "msg " + evil
    static let user = "user " + evil
    static let result: JSONValue = ["note": .string("result " + evil), "list": [.string(evil)]]

    static func seed(_ fixture: WebFixture) async {
        await fixture.emit(LifecycleEvent(.create, task: name, status: .pending, message: message, user: .string(user)))
        await fixture.emit(LifecycleEvent(.complete, task: name, status: .success, message: message, result: result))
    }

    static func expectEscaped(_ html: String, _ what: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) {
        #expect(!html.contains("<script>alert"), "\(what) has raw markup", sourceLocation: sourceLocation)
        #expect(!html.contains("</script>\""), "\(what) has raw markup", sourceLocation: sourceLocation)
        #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "\(what) lacks the escaped text", sourceLocation: sourceLocation)
    }

    @Test func pagesShowMarkupInTaskDataAsText() async throws {
        let fixture = try await WebFixture()
        await Self.seed(fixture)
        try await fixture.test { client in
            let list = try await client.execute(uri: "/async-dashboard/", method: .get)
            #expect(list.status == .ok)
            Self.expectEscaped(list.text, "list")
            #expect(try HTML.rowNames(list.text) == [Self.name])
            #expect(list.text.contains(Self.user.replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;").prefix(20)))

            let search = try await client.execute(uri: "/async-dashboard/?q=" + encoded(Self.evil), method: .get)
            #expect(search.status == .ok)
            Self.expectEscaped(search.text, "search")
            #expect(try HTML.rowNames(search.text) == [Self.name])

            let path = "/async-dashboard/" + encoded(Self.name) + "/"
            let detail = try await client.execute(uri: path, method: .get)
            #expect(detail.status == .ok)
            Self.expectEscaped(detail.text, "detail")
            #expect(detail.text.contains("msg &lt;script&gt;"))
            #expect(detail.text.contains("result &lt;script&gt;"))

            let modal = try await client.execute(uri: path + "?fragment=modal", method: .get)
            #expect(modal.status == .ok)
            Self.expectEscaped(modal.text, "modal")
            #expect(!modal.text.contains("<html"))

            // A bad filter value echoed back is escaped too.
            let bad = try await client.execute(uri: "/async-dashboard/?status=" + encoded(Self.evil), method: .get)
            #expect(bad.status == .badRequest)
            #expect(!bad.text.contains("<script>alert"))
            let missing = try await client.execute(uri: "/async-dashboard/" + encoded("y" + Self.evil) + "/", method: .get)
            #expect(missing.status == .notFound)
            #expect(!missing.text.contains("<script>alert"))
        }
    }

    @Test func jsonAnswersEscapeMarkupAndParseBack() async throws {
        let fixture = try await WebFixture()
        await Self.seed(fixture)
        try await fixture.test { client in
            let one = try await client.execute(uri: "/api/tasks/" + encoded(Self.name), method: .get)
            #expect(one.status == .ok)
            #expect(!one.text.contains("<") && !one.text.contains(">"))
            #expect(one.text.contains("\\u003cscript\\u003e"))
            let json = try one.json()
            #expect(json["task"]?["task_name"] == .string(Self.name))
            #expect(json["task"]?["message"] == .string(Self.message))
            #expect(json["task"]?["user_label"] == .string(Self.user))
            #expect(json["task"]?["result_payload"] == Self.result)
            #expect(json["live"]?["result"] == Self.result)
            // Foundation reads it back the same.
            let foundation = try JSONSerialization.jsonObject(with: Data(one.text.utf8)) as? [String: Any]
            #expect((foundation?["task"] as? [String: Any])?["task_name"] as? String == Self.name)

            let list = try await client.execute(uri: "/api/tasks", method: .get)
            #expect(!list.text.contains("<"))
            #expect(try list.json()["tasks"]?.arrayValue?.first?["message"] == .string(Self.message))

            let progress = try await client.execute(uri: "/async/progress/?task_name=" + encoded(Self.name), method: .get)
            #expect(progress.status.code == 286)
            #expect(!progress.text.contains("<"))
            #expect(try progress.json()["task_name"] == .string(Self.name))
            #expect(try progress.json()["message"] == .string(Self.message))

            let missing = try await client.execute(uri: "/async/progress/?task_name=" + encoded("y" + Self.evil), method: .get)
            #expect(missing.status == .notFound)
            #expect(!missing.text.contains("<"))
            #expect(try missing.json()["task_name"] == .string("y" + Self.evil))
        }
    }
}

@Suite struct HeaderTests {
    @Test func pagesAPIAndErrorsCarryTheSecurityHeaders() async throws {
        let fixture = try await WebFixture()
        await fixture.seedMixedTasks()
        try await fixture.test { client in
            for uri in ["/async-dashboard/", "/async-dashboard/nightly/", "/async-dashboard/ghost/", "/api/tasks", "/api/tasks/ghost",
                        "/api/openapi.json", "/async/progress/?task_name=nightly", "/metrics", "/async-dashboard/-/static/dashboard.css",
                        "/async-dashboard/?status=nope"] {
                let response = try await client.execute(uri: uri, method: .get)
                let csp = response.headers[TestHeader.csp] ?? ""
                #expect(csp.contains("default-src 'none'"), "\(uri)")
                #expect(csp.contains("script-src 'self'"), "\(uri)")
                #expect(csp.contains("frame-ancestors 'none'"), "\(uri)")
                #expect(!csp.contains("unsafe-inline"), "\(uri)")
                #expect(response.headers[TestHeader.contentTypeOptions] == "nosniff", "\(uri)")
                #expect(response.headers[TestHeader.frameOptions] == "DENY", "\(uri)")
            }
            let post = try await client.execute(uri: "/async-dashboard/nightly/cleanup", method: .post)
            #expect(post.headers[TestHeader.frameOptions] == "DENY")
            let page = try await client.execute(uri: "/async-dashboard/", method: .get)
            #expect(page.headers[.cacheControl] == "no-store")
            // No inline script or style on the pages (the policy would block them).
            #expect(!page.text.contains("<script>") && !page.text.contains("<style") && !page.text.contains(" onclick="))
        }
    }

    @Test func staticFilesAreServedWithTheirContentTypes() async throws {
        let fixture = try await WebFixture()
        try await fixture.test { client in
            let css = try await client.execute(uri: "/async-dashboard/-/static/dashboard.css", method: .get)
            #expect(css.status == .ok)
            #expect(css.headers[.contentType] == "text/css; charset=utf-8")
            #expect(css.body.readableBytes > 100)
            #expect(css.headers[.cacheControl] == "public, max-age=300")
            let js = try await client.execute(uri: "/async-dashboard/-/static/dashboard.js", method: .get)
            #expect(js.status == .ok)
            #expect(js.headers[.contentType] == "text/javascript; charset=utf-8")
            #expect(js.body.readableBytes > 100)
            let missing = try await client.execute(uri: "/async-dashboard/-/static/secret.txt", method: .get)
            #expect(missing.status == .notFound)
            let traversal = try await client.execute(uri: "/async-dashboard/-/static/..%2FPackage.swift", method: .get)
            #expect(traversal.status == .notFound)
        }
    }
}
