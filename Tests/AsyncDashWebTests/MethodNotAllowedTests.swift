import AsyncDash
import AsyncDashWeb
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// A path the dashboard serves, asked with a method it does not answer, is `405` with `Allow`
/// (issue 9, item 10); an unknown path stays `404`.
@Suite struct MethodNotAllowedTests {
    @Test func aRouteAskedWithAnotherMethodIs405WithTheMethodsItAllows() async throws {
        let fixture = try await WebFixture()
        await fixture.seedMixedTasks()
        try await fixture.test { client in
            for (method, uri, allow) in [
                (HTTPRequest.Method.delete, "/api/tasks", "GET, HEAD"),
                (.put, "/async/progress/?task_name=reindex", "GET, HEAD, POST"),
                (.get, "/async-dashboard/reindex/cancel", "POST"),
                (.post, "/metrics", "GET, HEAD"),
                (.patch, "/async-dashboard/-/login", "GET, HEAD, POST"),
            ] {
                let response = try await client.execute(uri: uri, method: method)
                #expect(response.status == .methodNotAllowed, "\(method) \(uri)")
                #expect(response.headers[.allow] == allow, "\(method) \(uri)")
                #expect(response.headers[.contentType] == "application/json", "\(method) \(uri)")
                #expect(try response.json()["error"]?.stringValue?.contains("\(method.rawValue) is not allowed") == true)
                #expect(response.headers[.contentSecurityPolicy] != nil, "security headers on a 405 too")
            }
            // Unknown paths, and an unknown task on a route that exists, stay 404.
            #expect(try await client.execute(uri: "/nowhere", method: .delete).status == .notFound)
            #expect(try await client.execute(uri: "/api/tasks/ghost", method: .get).status == .notFound)
        }
    }
}
