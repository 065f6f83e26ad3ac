import AsyncDash
import AsyncDashTesting
import AsyncDashWeb
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Synchronization
import Testing

/// An error no route answers is logged with its route and answered with what failed: JSON for
/// the API and for requests asking for JSON, the error page for pages; a busy store is a 503 with
/// `Retry-After` (issue 9, items 2 and 7).
@Suite struct FailureResponseTests {
    /// A fixture whose record reads throw `error` once seeded.
    static func failing(_ error: any Error, lines: CapturedLines) async throws -> WebFixture {
        let reads = Mutex<FailingReads?>(nil)
        let fixture = try await WebFixture(logger: lines.logger(label: "asyncdash.web"), wrapStores: { stores in
            var stores = stores
            let failing = FailingReads(base: stores.records, error: error)
            reads.withLock { $0 = failing }
            stores.records = failing
            return stores
        })
        await fixture.seedMixedTasks()
        reads.withLock { $0?.failing.withLock { $0 = true } }
        return fixture
    }

    @Test func aStoreErrorOnAnyRouteIsLoggedAndAnswered500WithWhatFailed() async throws {
        let lines = CapturedLines()
        let fixture = try await Self.failing(FailingReads.Failure(), lines: lines)
        try await fixture.test { client in
            // A page: the error page, naming the failure.
            let page = try await client.execute(uri: "/async-dashboard/", method: .get)
            #expect(page.status == .internalServerError)
            #expect(page.headers[.contentType]?.hasPrefix("text/html") == true)
            let html = String(buffer: page.body)
            #expect(html.contains("Something failed") && html.contains("database disk image is malformed"), "\(html.prefix(600))")
            // The JSON API: {"error", "route"}.
            let api = try await client.execute(uri: "/api/tasks", method: .get)
            #expect(api.status == .internalServerError)
            #expect(api.headers[.contentType] == "application/json")
            let json = try api.json()
            #expect(json["error"]?.stringValue?.contains("database disk image is malformed") == true, "\(json)")
            #expect(json["route"]?.stringValue == "GET /api/tasks", "\(json)")
            // A page asked for as JSON.
            let asJSON = try await client.execute(uri: "/async-dashboard/", method: .get, headers: [.accept: "application/json"])
            #expect(asJSON.status == .internalServerError)
            #expect(asJSON.headers[.contentType] == "application/json")
        }
        let logged = lines.all.filter { $0.hasPrefix("error request failed with 500") }
        #expect(logged.contains { $0.contains("route=GET /async-dashboard/") && $0.contains("error=database disk image is malformed") }, "\(lines.all)")
        #expect(logged.contains { $0.contains("route=GET /api/tasks") }, "\(lines.all)")
    }

    @Test func aBusyStoreIs503WithRetryAfter() async throws {
        let lines = CapturedLines()
        let busy = StoreBusyError(.timeLimit(.seconds(10)), operation: "a page of tasks")
        let fixture = try await Self.failing(busy, lines: lines)
        try await fixture.test { client in
            for (uri, type) in [("/async-dashboard/", "text/html"), ("/api/tasks", "application/json")] {
                let response = try await client.execute(uri: uri, method: .get)
                #expect(response.status == .serviceUnavailable, "\(uri)")
                #expect(response.headers[.retryAfter] == "2", "\(uri)")
                #expect(response.headers[.contentType]?.hasPrefix(type) == true, "\(uri)")
                #expect(String(buffer: response.body).contains("a page of tasks took longer than 10.0 seconds"), "\(uri)")
            }
        }
        #expect(lines.all.contains { $0.hasPrefix("warning request answered 503: the store is busy") && $0.contains("route=GET /api/tasks") }, "\(lines.all)")
    }
}
