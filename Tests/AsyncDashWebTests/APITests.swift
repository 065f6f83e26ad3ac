import AsyncDash
import AsyncDashWeb
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// The JSON API and its OpenAPI document.
@Suite struct APITests {
    static func names(_ json: JSONValue) -> [String] {
        (json["tasks"]?.arrayValue ?? []).compactMap { $0["task_name"]?.stringValue }
    }

    @Test func listsTasksWithCountsAndFilters() async throws {
        let fixture = try await WebFixture()
        await fixture.seedMixedTasks()
        try await fixture.test { client in
            let all = try await client.execute(uri: "/api/tasks", method: .get)
            #expect(all.status == .ok)
            #expect(all.headers[.contentType] == "application/json")
            let json = try all.json()
            #expect(Set(Self.names(json)) == ["alibaba-sync", "report-q3", "import-books", "export-users", "nightly", "reindex"])
            #expect(json["counts"] == ["pending": 2, "in_progress": 1, "success": 1, "failed": 2])
            #expect(json["has_next"] == false)
            #expect(json["next"] == nil)

            let failed = try await client.execute(uri: "/api/tasks?status=failed", method: .get).json()
            #expect(Set(Self.names(failed)) == ["import-books", "export-users"])
            let search = try await client.execute(uri: "/api/tasks?q=ali", method: .get).json()
            #expect(Set(Self.names(search)) == ["alibaba-sync", "report-q3"])
            let sorted = try await client.execute(uri: "/api/tasks?sort=name&order=asc", method: .get).json()
            #expect(Self.names(sorted) == ["alibaba-sync", "export-users", "import-books", "nightly", "reindex", "report-q3"])
        }
    }

    @Test func limitAndNextCursorWalkEveryTaskOnce() async throws {
        let fixture = try await WebFixture()
        await fixture.seedMixedTasks()
        try await fixture.test { client in
            var seen: [String] = []
            var uri: String? = "/api/tasks?limit=4&sort=name&order=asc"
            var pages = 0
            while let next = uri, pages < 10 {
                let response = try await client.execute(uri: next, method: .get)
                #expect(response.status == .ok, "\(next)")
                let json = try response.json()
                seen += Self.names(json)
                pages += 1
                if json["has_next"] == true {
                    let cursor = try #require(json["next"]?.stringValue)
                    uri = "/api/tasks?limit=4&sort=name&order=asc&after=" + encoded(cursor)
                } else {
                    #expect(json["next"] == nil)
                    uri = nil
                }
                if pages > 1 { #expect(json["has_previous"] == true && json["previous"] != nil) }
            }
            #expect(pages == 2)
            #expect(seen == ["alibaba-sync", "export-users", "import-books", "nightly", "reindex", "report-q3"])
        }
    }

    @Test func badParametersAre400JSON() async throws {
        let fixture = try await WebFixture()
        try await fixture.test { client in
            for limit in ["0", "501", "ten", "-3"] {
                let response = try await client.execute(uri: "/api/tasks?limit=\(limit)", method: .get)
                #expect(response.status == .badRequest, "limit=\(limit)")
                let json = try response.json()
                #expect(json["parameter"] == "limit")
                #expect(json["error"]?.stringValue?.contains("'\(limit)'") == true)
            }
            let status = try await client.execute(uri: "/api/tasks?status=nope", method: .get)
            #expect(status.status == .badRequest)
            #expect(try status.json()["parameter"] == "status")
            let cursor = try await client.execute(uri: "/api/tasks?after=%%%", method: .get)
            #expect(cursor.status == .badRequest)
        }
    }

    @Test func oneTaskWithItsLiveStateAndActions() async throws {
        let fixture = try await WebFixture()
        await fixture.seedMixedTasks()
        try await fixture.test { client in
            let response = try await client.execute(uri: "/api/tasks/alibaba-sync", method: .get)
            #expect(response.status == .ok)
            let json = try response.json()
            #expect(json["task"]?["task_name"] == "alibaba-sync")
            #expect(json["task"]?["status"] == "success")
            #expect(json["task"]?["user_label"] == "bob")
            #expect(json["task"]?["result_payload"] == ["rows": 5, "source": "erp"])
            #expect(json["live"]?["status"] == "success")
            #expect(json["live"]?["finished"] == true)
            #expect(json["actions"] == [])
        }
    }

    @Test func anUnknownTaskIs404JSON() async throws {
        let fixture = try await WebFixture()
        try await fixture.test { client in
            let response = try await client.execute(uri: "/api/tasks/ghost", method: .get)
            #expect(response.status == .notFound)
            #expect(response.headers[.contentType] == "application/json")
            let json = try response.json()
            #expect(json["task_name"] == "ghost")
            #expect(json["error"]?.stringValue?.contains("ghost") == true)
        }
    }

    @Test func theOpenAPIDocumentIsValidJSONNamingThePaths() async throws {
        let fixture = try await WebFixture()
        try await fixture.test { client in
            let response = try await client.execute(uri: "/api/openapi.json", method: .get)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "application/json")
            // Foundation's parser agrees it is JSON.
            #expect((try? JSONSerialization.jsonObject(with: Data(response.text.utf8))) != nil)
            let json = try response.json()
            #expect(json["openapi"] == "3.1.0")
            let paths = try #require(json["paths"]?.objectValue)
            #expect(Set(paths.keys) == ["/api/tasks", "/api/tasks/{task}", "/async/progress/"])
            #expect(paths["/api/tasks"]?["get"]?["responses"]?["400"] != nil)
            #expect(paths["/async/progress/"]?["get"]?["responses"]?["286"] != nil)
            let limit = (paths["/api/tasks"]?["get"]?["parameters"]?.arrayValue ?? []).first { $0["name"] == "limit" }
            #expect(limit?["schema"]?["default"] == 50)
        }
    }

    @Test func withTokensTheAPINeedsOne() async throws {
        let fixture = try await WebFixture {
            $0.readToken = Tokens.read
            $0.adminToken = Tokens.admin
        }
        await fixture.seedMixedTasks()
        try await fixture.test { client in
            for uri in ["/api/tasks", "/api/tasks/nightly", "/async/progress/?task_name=nightly", "/metrics"] {
                let refused = try await client.execute(uri: uri, method: .get)
                #expect(refused.status == .unauthorized, "\(uri)")
                let wrong = try await client.execute(uri: uri, method: .get, headers: bearer(String(repeating: "x", count: 20)))
                #expect(wrong.status == .unauthorized, "\(uri)")
                let read = try await client.execute(uri: uri, method: .get, headers: bearer(Tokens.read))
                #expect(read.status == .ok, "\(uri)")
            }
        }
    }
}
