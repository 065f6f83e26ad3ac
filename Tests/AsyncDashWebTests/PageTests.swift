import AsyncDash
import AsyncDashWeb
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// The list page: rows, counts, filters, search, sort, keyset pages.
@Suite struct ListPageTests {
    @Test func listsEveryTaskWithItsStatusBadgeAndTheCountsPerStatus() async throws {
        let fixture = try await WebFixture()
        await fixture.seedMixedTasks()
        try await fixture.test { client in
            let response = try await client.execute(uri: "/async-dashboard/", method: .get)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "text/html; charset=utf-8")
            let page = response.text
            #expect(Set(try HTML.rowNames(page)) == ["alibaba-sync", "report-q3", "import-books", "export-users", "nightly", "reindex"])
            #expect(page.contains(#"<tr class="row status-failed" data-task="import-books">"#))
            #expect(page.contains(#"<tr class="row status-success" data-task="alibaba-sync">"#))
            #expect(page.contains(#"<tr class="row status-in_progress" data-task="reindex">"#))
            #expect(try HTML.count("all", in: page) == 6)
            #expect(try HTML.count("pending", in: page) == 2)
            #expect(try HTML.count("in_progress", in: page) == 1)
            #expect(try HTML.count("success", in: page) == 1)
            #expect(try HTML.count("failed", in: page) == 2)
            #expect(try HTML.count("cancelled", in: page) == 0)
            // The user column (formatted by the manager: no user is "Anonymous").
            #expect(page.contains("alice") && page.contains("Anonymous"))
            // The in-progress row shows its bar.
            #expect(page.contains(#"<progress max="100" value="50""#))
        }
    }

    @Test func anEmptyListSaysSo() async throws {
        let fixture = try await WebFixture()
        try await fixture.test { client in
            let page = try await client.execute(uri: "/async-dashboard/", method: .get).text
            #expect(try HTML.rowNames(page).isEmpty)
            #expect(page.contains("No tasks yet."))
            #expect(try HTML.count("all", in: page) == 0)
        }
    }

    @Test func theStatusFilterShowsOnlyThatStatus() async throws {
        let fixture = try await WebFixture()
        await fixture.seedMixedTasks()
        try await fixture.test { client in
            let response = try await client.execute(uri: "/async-dashboard/?status=failed", method: .get)
            #expect(response.status == .ok)
            #expect(Set(try HTML.rowNames(response.text)) == ["import-books", "export-users"])
            #expect(response.text.contains(#"<a class="count current" href="/async-dashboard/?status=failed" aria-current="page">"#))
            let none = try await client.execute(uri: "/async-dashboard/?status=cancelled", method: .get).text
            #expect(try HTML.rowNames(none).isEmpty)
            #expect(none.contains("No task matches these filters."))
        }
    }

    @Test func searchMatchesTaskNameOrUser() async throws {
        let fixture = try await WebFixture()
        await fixture.seedMixedTasks()
        try await fixture.test { client in
            // "alibaba-sync" by its name, "report-q3" by its user alice.
            let page = try await client.execute(uri: "/async-dashboard/?q=ali", method: .get).text
            #expect(Set(try HTML.rowNames(page)) == ["alibaba-sync", "report-q3"])
            #expect(page.contains(#"name="q" value="ali""#))
            let upper = try await client.execute(uri: "/async-dashboard/?q=ALI", method: .get).text
            #expect(Set(try HTML.rowNames(upper)) == ["alibaba-sync", "report-q3"])
            let combined = try await client.execute(uri: "/async-dashboard/?q=ali&status=pending", method: .get).text
            #expect(try HTML.rowNames(combined) == ["report-q3"])
        }
    }

    @Test func sortsByNameInEitherOrder() async throws {
        let fixture = try await WebFixture()
        await fixture.seedMixedTasks()
        let sorted = ["alibaba-sync", "export-users", "import-books", "nightly", "reindex", "report-q3"]
        try await fixture.test { client in
            let ascending = try await client.execute(uri: "/async-dashboard/?sort=name&order=asc", method: .get).text
            #expect(try HTML.rowNames(ascending) == sorted)
            let descending = try await client.execute(uri: "/async-dashboard/?sort=name&order=desc", method: .get).text
            #expect(try HTML.rowNames(descending) == sorted.reversed())
        }
    }

    @Test func aBadFilterIs400NamingTheValue() async throws {
        let fixture = try await WebFixture()
        try await fixture.test { client in
            let response = try await client.execute(uri: "/async-dashboard/?status=nope", method: .get)
            #expect(response.status == .badRequest)
            #expect(response.text.contains("&#39;nope&#39;") || response.text.contains("'nope'") || response.text.contains("&#x27;nope&#x27;"))
            #expect(response.text.contains("status"))
            let sort = try await client.execute(uri: "/async-dashboard/?sort=size", method: .get)
            #expect(sort.status == .badRequest)
            #expect(sort.text.contains("size"))
            let cursor = try await client.execute(uri: "/async-dashboard/?after=garbage", method: .get)
            #expect(cursor.status == .badRequest)
            // Asked for JSON, the error is JSON.
            let json = try await client.execute(uri: "/async-dashboard/?status=nope", method: .get, headers: [.accept: "application/json"])
            #expect(json.status == .badRequest)
            #expect(try json.json()["error"]?.stringValue?.contains("'nope'") == true)
        }
    }

    @Test func olderLinksWalkEveryTaskExactlyOnceThenLastPage() async throws {
        let fixture = try await WebFixture { $0.pageSize = 5 }
        let names = (0..<12).map { String(format: "page-task-%02d", $0) }
        for name in names {
            await fixture.emit(LifecycleEvent(.create, task: name, status: .pending, message: "Task queued", user: "pat"))
        }
        try await fixture.test { client in
            var seen: [String] = []
            var uri: String? = "/async-dashboard/"
            var pages = 0
            while let next = uri, pages < 10 {
                let response = try await client.execute(uri: next, method: .get)
                #expect(response.status == .ok, "\(next)")
                let rows = try HTML.rowNames(response.text)
                #expect(rows.count <= 5)
                seen += rows
                pages += 1
                if pages > 1 { #expect(try HTML.link(rel: "prev", in: response.text) != nil) }
                uri = try HTML.link(rel: "next", in: response.text)
            }
            #expect(pages == 3)
            #expect(seen.count == 12)
            #expect(Set(seen) == Set(names))
            // Newest first: the order of creation, reversed.
            #expect(seen == names.reversed())

            // Filters survive paging.
            let filtered = try await client.execute(uri: "/async-dashboard/?q=page-task&sort=name&order=asc", method: .get).text
            #expect(try HTML.rowNames(filtered) == Array(names.prefix(5)))
            let second = try #require(try HTML.link(rel: "next", in: filtered))
            #expect(second.contains("q=page-task") && second.contains("sort=name") && second.contains("order=asc"))
            #expect(try HTML.rowNames(try await client.execute(uri: second, method: .get).text) == Array(names[5..<10]))

            let last = try await client.execute(uri: "/async-dashboard/?page=last", method: .get)
            #expect(last.status == .ok)
            let lastRows = try HTML.rowNames(last.text)
            #expect(!lastRows.isEmpty && lastRows.count <= 5)
            #expect(lastRows.last == names.first)
            #expect(try HTML.link(rel: "next", in: last.text) == nil)
            #expect(try HTML.link(rel: "prev", in: last.text) != nil)
        }
    }

    @Test func theRowsFragmentIsOnlyTheTable() async throws {
        let fixture = try await WebFixture()
        await fixture.seedMixedTasks()
        try await fixture.test { client in
            let fragment = try await client.execute(uri: "/async-dashboard/?fragment=rows&status=failed", method: .get).text
            #expect(!fragment.contains("<html"))
            #expect(Set(try HTML.rowNames(fragment)) == ["import-books", "export-users"])
        }
    }
}
