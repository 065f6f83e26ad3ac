import AsyncDash
import AsyncDashWeb
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Synchronization
import Testing

/// One task's page, its modal fragment, and the progress polling endpoint.
@Suite struct DetailPageTests {
    @Test func showsMessageStatusAndFormattedResult() async throws {
        let fixture = try await WebFixture()
        await fixture.seedMixedTasks()
        try await fixture.test { client in
            let response = try await client.execute(uri: "/async-dashboard/alibaba-sync/", method: .get)
            #expect(response.status == .ok)
            let page = response.text
            #expect(page.contains("<html"))
            #expect(page.contains(#"<h1 class="task-name">alibaba-sync</h1>"#))
            #expect(page.contains(#"<span id="live-message">Synced 5 rows</span>"#))
            #expect(page.contains(#"<span id="live-status" class="badge status-success">"#))
            #expect(page.contains(#"<span class="label">success</span>"#))
            // The result, pretty-printed (two-space indents, sorted keys) and escaped.
            #expect(page.contains("<pre class=\"json\">{\n  &quot;rows&quot;: 5,\n  &quot;source&quot;: &quot;erp&quot;\n}</pre>"))
            #expect(page.contains("Actions taken"))
            #expect(page.contains("No actions yet."))
            // A finished task cannot be cancelled, and can be retried only with a known function.
            #expect(page.contains("Following live…") == false)
        }
    }

    @Test func aRunningTaskShowsItsProgress() async throws {
        let fixture = try await WebFixture()
        await fixture.seedMixedTasks()
        try await fixture.test { client in
            let page = try await client.execute(uri: "/async-dashboard/reindex/", method: .get).text
            #expect(page.contains(#"<progress id="live-bar" max="100" value="50">"#))
            #expect(page.contains("2/4 shards"))
            #expect(page.contains("Following live…"))
            #expect(page.contains(#"data-poll="/async/progress/?task_name=reindex""#))
        }
    }

    @Test func theModalFragmentIsOnlyTheArticle() async throws {
        let fixture = try await WebFixture()
        await fixture.seedMixedTasks()
        try await fixture.test { client in
            let response = try await client.execute(uri: "/async-dashboard/import-books/?fragment=modal", method: .get)
            #expect(response.status == .ok)
            let fragment = response.text.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(fragment.hasPrefix("<article id=\"task-detail\""))
            #expect(fragment.hasSuffix("</article>"))
            #expect(!fragment.contains("<html") && !fragment.contains("<header"))
            #expect(fragment.contains("disk full"))
        }
    }

    @Test func anUnknownTaskIs404() async throws {
        let fixture = try await WebFixture()
        await fixture.seedMixedTasks()
        try await fixture.test { client in
            let response = try await client.execute(uri: "/async-dashboard/no-such-task/", method: .get)
            #expect(response.status == .notFound)
            #expect(response.text.contains("No such task"))
            #expect(response.text.contains("no-such-task"))
            let modal = try await client.execute(uri: "/async-dashboard/no-such-task/?fragment=modal", method: .get)
            #expect(modal.status == .notFound)
        }
    }
}

/// A record store whose reads fail while `failing` is set.
final class FailingReads: RecordStore, Sendable {
    let base: any RecordStore
    let failing = Mutex(false)
    /// What a read throws while `failing` is set.
    let error: any Error
    init(base: any RecordStore, error: any Error = Failure()) {
        self.base = base
        self.error = error
    }
    struct Failure: Error, CustomStringConvertible { var description: String { "database disk image is malformed" } }
    func check() throws { if failing.withLock({ $0 }) { throw error } }
    func prepare(_ model: RecordModel) async throws { try await base.prepare(model) }
    func upsert(_ model: RecordModel, key: String, _ update: @escaping @Sendable (inout Record, Bool) -> Void) async throws -> Record {
        try await base.upsert(model, key: key, update)
    }
    func fetch(_ model: RecordModel, key: String) async throws -> Record? {
        try check()
        return try await base.fetch(model, key: key)
    }
    func list(_ model: RecordModel, query: RecordQuery) async throws -> [Record] {
        try check()
        return try await base.list(model, query: query)
    }
    func delete(_ model: RecordModel, key: String) async throws -> Bool { try await base.delete(model, key: key) }
}

@Suite struct ProgressEndpointTests {
    @Test func postAnswersLikeGetWithTheNameInTheQueryOrTheForm() async throws {
        let fixture = try await WebFixture()
        await fixture.seedMixedTasks()
        try await fixture.test { client in
            let get = try await client.execute(uri: "/async/progress/?task_name=reindex", method: .get)
            let query = try await client.execute(uri: "/async/progress/?task_name=reindex", method: .post)
            let form = try await client.execute(
                uri: "/async/progress/", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                body: ByteBuffer(string: "task_name=reindex"))
            #expect(get.status == .ok && query.status == .ok && form.status == .ok)
            #expect(try query.json() == get.json())
            #expect(try form.json() == get.json())
            let missing = try await client.execute(uri: "/async/progress/", method: .post)
            #expect(missing.status == .badRequest)
        }
    }

    @Test func aProgressTextComesBackExactlyAsSentEvenWhenItLooksLikeJSON() async throws {
        let fixture = try await WebFixture()
        let text = #"{"percent": 50, "zeta": 1, "alpha": [2, 1]}"#
        await fixture.emit(LifecycleEvent(.create, task: "looks-like-json"))
        _ = try await fixture.manager.updateProgress("looks-like-json", .text(text))
        try await fixture.test { client in
            let response = try await client.execute(uri: "/async/progress/?task_name=looks-like-json", method: .get)
            #expect(try response.json()["progress"] == .string(text))
        }
        // Finished: read from the record's text column, not the live entry.
        await fixture.emit(LifecycleEvent(.complete, task: "looks-like-json"))
        try await fixture.test { client in
            let response = try await client.execute(uri: "/async/progress/?task_name=looks-like-json", method: .get)
            #expect(try response.json()["progress"] == .string(text))
        }
    }

    @Test func aStoreErrorIs500WithAJSONError() async throws {
        let reads = Mutex<FailingReads?>(nil)
        let fixture = try await WebFixture(wrapStores: { stores in
            var stores = stores
            let failing = FailingReads(base: stores.records)
            reads.withLock { $0 = failing }
            stores.records = failing
            return stores
        })
        await fixture.seedMixedTasks()
        reads.withLock { $0?.failing.withLock { $0 = true } }
        try await fixture.test { client in
            for method in [HTTPRequest.Method.get, .post] {
                let response = try await client.execute(uri: "/async/progress/?task_name=reindex", method: method)
                #expect(response.status == .internalServerError)
                #expect(response.headers[.contentType] == "application/json")
                #expect(try response.json()["error"]?.stringValue?.contains("database disk image is malformed") == true)
            }
        }
    }

    @Test func withoutTaskNameIs400JSON() async throws {
        let fixture = try await WebFixture()
        try await fixture.test { client in
            for uri in ["/async/progress/", "/async/progress/?task_name="] {
                let response = try await client.execute(uri: uri, method: .get)
                #expect(response.status == .badRequest)
                #expect(response.headers[.contentType] == "application/json")
                #expect(try response.json()["error"]?.stringValue?.contains("task_name") == true)
            }
        }
    }

    @Test func anUnknownTaskIs404JSON() async throws {
        let fixture = try await WebFixture()
        try await fixture.test { client in
            let response = try await client.execute(uri: "/async/progress/?task_name=ghost", method: .get)
            #expect(response.status == .notFound)
            #expect(try response.json()["task_name"] == "ghost")
        }
    }

    @Test func aPendingOrRunningTaskIs200WithStatusAndProgress() async throws {
        let fixture = try await WebFixture()
        await fixture.seedMixedTasks()
        try await fixture.test { client in
            let pending = try await client.execute(uri: "/async/progress/?task_name=report-q3", method: .get)
            #expect(pending.status == .ok)
            let pendingJSON = try pending.json()
            #expect(pendingJSON["status"] == "pending")
            #expect(pendingJSON["finished"] == false)
            #expect(pendingJSON["message"] == "Task queued")

            let running = try await client.execute(uri: "/async/progress/?task_name=reindex", method: .get)
            #expect(running.status == .ok)
            let runningJSON = try running.json()
            #expect(runningJSON["status"] == "in_progress")
            #expect(runningJSON["percent"] == 50)
            #expect(runningJSON["progress_text"] == "2/4 shards")
            #expect(runningJSON["progress"]?["done"] == 2)
        }
    }

    @Test func aFinishedTaskIs286WithItsFinalStatus() async throws {
        let fixture = try await WebFixture()
        await fixture.seedMixedTasks()
        try await fixture.launchAndFinish("launched", count: 3)
        try await fixture.test { client in
            let launched = try await client.execute(uri: "/async/progress/?task_name=launched", method: .get)
            #expect(launched.status.code == 286)
            let json = try launched.json()
            #expect(json["status"] == "success")
            #expect(json["finished"] == true)
            #expect(json["percent"] == 100)
            #expect(json["result"] == ["updated": 3])

            let failed = try await client.execute(uri: "/async/progress/?task_name=import-books", method: .get)
            #expect(failed.status.code == 286)
            #expect(try failed.json()["status"] == "failed")
            #expect(try failed.json()["message"] == "disk full")
        }
    }
}

/// Stored values are shown within bounds: a value nested 10,000 deep renders a small page.
@Suite struct BoundedRenderingTests {
    static func nested(_ depth: Int) -> JSONValue {
        var value: JSONValue = "bottom"
        for _ in 0..<depth { value = .array([value]) }
        return value
    }

    @Test func aDeeplyNestedOrHugeValueRendersASmallPageThatSaysWhatWasCut() async throws {
        let fixture = try await WebFixture()
        let long = String(repeating: "x", count: 300_000)
        await fixture.emit(LifecycleEvent(.create, task: "deep", message: long, kwargs: ["deep": Self.nested(500), "wide": .array((0..<5_000).map { .int($0) })]))
        let refused = await fixture.manager.emit(LifecycleEvent(.create, task: "deeper", kwargs: ["deep": Self.nested(10_000)]))
        #expect("\(refused.hookError.map { "\($0)" } ?? "")".contains("kwargs is nested more than 512 levels deep"))
        try await fixture.test { client in
            let page = try await client.execute(uri: "/async-dashboard/deep/", method: .get)
            #expect(page.status == .ok)
            let text = String(buffer: page.body)
            #expect(text.utf8.count < 400_000, "\(text.utf8.count) bytes")
            #expect(text.contains("cut: nested deeper than 16 levels"))
            #expect(text.contains("more items)"))
            #expect(text.contains("cut for display"))
            let api = try await client.execute(uri: "/api/tasks/deep", method: .get)
            #expect(api.status == .ok)
            #expect(api.body.readableBytes > 300_000, "the JSON API keeps the whole value")
        }
    }

    @Test func aValueNestedDeeperThanTextCanBeIsWrittenWithoutRecursion() async throws {
        let text = Self.nested(20_000).jsonText
        #expect(text.utf8.count == 2 * 20_000 + 8)
        #expect(text.hasPrefix("[[[") && text.contains("[\"bottom\"]") && text.hasSuffix("]]]"))
    }

    @Test func boundedCutsDepthCountAndStringsAndSaysSo() {
        let wide = JSONValue.array((0..<5_000).map { .int($0) })
        let (value, cut) = wide.bounded(JSONDisplayLimits(maximumValues: 100))
        #expect(cut)
        #expect(value.arrayValue?.count == 100)
        #expect(value.arrayValue?.last == .string("… (cut: 4901 more items)"))
        let object: JSONValue = ["a": [1, 2]]
        let (small, notCut) = object.bounded()
        #expect(!notCut && small == ["a": [1, 2]])
        let (deep, deepCut) = Self.nested(100).bounded(JSONDisplayLimits(maximumDepth: 3))
        #expect(deepCut && deep == .array([.array([.array(["… (cut: nested deeper than 3 levels)"])])]))
    }
}

/// Small HTTP rules: HEAD, the outcome banner, the Origin's scheme.
@Suite struct HTTPDetailTests {
    @Test func headAnswersLikeGetWithoutABody() async throws {
        let fixture = try await WebFixture()
        try await fixture.test { client in
            let get = try await client.execute(uri: "/async-dashboard/", method: .get)
            let head = try await client.execute(uri: "/async-dashboard/", method: .head)
            #expect(head.status == .ok && get.status == .ok)
            #expect(head.body.readableBytes == 0)
            #expect(head.headers[.contentType] == get.headers[.contentType])
        }
    }

    @Test func onlyBannersTheDashboardIssuedAreShown() async throws {
        let fixture = try await WebFixture()
        try await fixture.test { client in
            let crafted = try await client.execute(uri: "/async-dashboard/?done=Your%20account%20is%20locked%2C%20call%20555", method: .get)
            #expect(!String(buffer: crafted.body).contains("Your account is locked"))
        }
    }
}
