import AsyncDash
import Foundation
import HTTPTypes
import Logging
import Hummingbird
import ServiceLifecycle
import Synchronization

/// The progress polling endpoint and the live streams (Server-Sent Events).
extension Dashboard {
    func addProgressEndpoint(to router: Router<BasicRequestContext>, _ routes: RouteTable) {
        // powercrud's contract, with 404 (not 286) for a task nobody knows. POST answers like GET
        // (htmx polls with `hx-post` and `hx-vals`), taking task_name from the query or the form.
        router.get(routes, "/async/progress") { request, _ in
            if let refusal = self.refusalUnlessReader(request) { return refusal }
            return await self.progressAnswer(request.parameters["task_name"])
        }
        router.post(routes, "/async/progress") { request, _ in
            if let refusal = self.refusalUnlessReader(request) { return refusal }
            var request = request
            var name = request.parameters["task_name"]
            if name == nil, request.headers[.contentType]?.hasPrefix("application/x-www-form-urlencoded") == true {
                name = try await request.form()["task_name"]
            }
            return await self.progressAnswer(name)
        }
    }

    /// The progress endpoint's answer for task `name`: 200 with the snapshot, 286 once finished,
    /// 400 without a name, 404 for an unknown task, 500 with `{"error": …}` when the store fails.
    func progressAnswer(_ name: String?) async -> Response {
        guard let name, !name.isEmpty else {
            return Reply.jsonError(.badRequest, "the query parameter task_name is required, e.g. /async/progress/?task_name=import-42")
        }
        do {
            guard let snapshot = try await data.snapshot(name) else {
                return Reply.jsonError(.notFound, "no task named '\(name)' is known (no record, no progress entry, not active)", ["task_name": .string(name)])
            }
            return Reply.json(snapshot.json, status: snapshot.finished ? Reply.finished : .ok)
        } catch {
            logger.error("progress endpoint: the store could not be read", metadata: ["task": "\(name)", "error": "\(error)"])
            return Reply.jsonError(.internalServerError, "the progress of '\(name)' could not be read: \(error)", ["task_name": .string(name)])
        }
    }

    func addStreamRoutes(to router: Router<BasicRequestContext>, _ routes: RouteTable) {
        router.get(routes, "\(prefix)/{task}/stream") { request, context in
            let (_, refusal) = self.requireReader(request)
            if let refusal { return refusal }
            guard let name = self.taskParameter(context), let first = try await self.data.snapshot(name) else {
                return Reply.jsonError(.notFound, "no such task")
            }
            return self.eventStream { writer in
                try await writer.write(Self.event("task", first.json))
                try await self.follow(
                    &writer, from: first, event: "task", maxDuration: .seconds(3_600), json: \.json, done: \.finished,
                    relevant: { $0.concerns(name) }
                ) {
                    try await self.data.snapshot(name)
                } gone: { writer in
                    try await writer.write(Self.event("gone", ["task_name": .string(name)]))
                }
            }
        }
        router.get(routes, "\(prefix)/-/stream") { request, _ in
            let (_, refusal) = self.requireReader(request)
            if let refusal { return refusal }
            return self.eventStream { writer in
                let first = try await self.listVersion()
                try await writer.write(ByteBuffer(string: "retry: 2000\n\n"))
                try await self.follow(
                    &writer, from: first, event: "changed", maxDuration: .seconds(600), json: { $0 }, done: { _ in false }, relevant: { _ in true }
                ) {
                    try await self.listVersion()
                }
            }
        }
    }

    /// Writes `event` whenever the value `read` returns changes: it re-reads when the store's
    /// change feed sends a notice that is `relevant` (at most once per ``streamInterval``), and
    /// writes a one-byte-line comment after each second without an event — a write to a closed
    /// connection fails, so a stream whose client left ends within a second instead of lingering
    /// (nothing else tells the handler). Stops when `done` holds, when
    /// `read` finds nothing (after `gone`), after `maxDuration` (EventSource reconnects), or when
    /// the server shuts down.
    ///
    /// One subscription per stream, but no store reads per stream while nothing changes: the
    /// driver's feed does the watching (SQLite: one poll of the change log per process).
    func follow<Value: Equatable & Sendable>(
        _ writer: inout any ResponseBodyWriter, from first: Value, event: String, maxDuration: Duration,
        json: (Value) -> JSONValue, done: (Value) -> Bool, relevant: (ChangeNotice) -> Bool,
        read: () async throws -> Value?,
        gone: (inout any ResponseBodyWriter) async throws -> Void = { _ in }
    ) async throws {
        let changes = try await data.manager.stores.changes.subscribe()
        var last = first
        // `first` was read before the subscription: a change in between needs one more read.
        var due = true
        var quiet = Duration.zero
        let started = ContinuousClock.now
        var lastRead = started
        while !done(last), await streamGoesOn(), ContinuousClock.now - started < maxDuration {
            if !due {
                let waiting = ContinuousClock.now
                if let notice = await changes.next(timeout: .seconds(1)) { due = relevant(notice) }
                quiet += ContinuousClock.now - waiting
                if !due {
                    if quiet >= .seconds(1) {
                        try await writer.write(ByteBuffer(string: ":\n\n"))
                        quiet = .zero
                    }
                    continue
                }
            }
            let sinceRead = ContinuousClock.now - lastRead
            if sinceRead < streamInterval { try await Task.sleep(for: streamInterval - sinceRead) }
            due = false
            lastRead = ContinuousClock.now
            guard let value = try await read() else {
                try await gone(&writer)
                return
            }
            if value != last {
                try await writer.write(Self.event(event, json(value)))
                last = value
                quiet = .zero
            }
        }
    }

    /// Whether a stream should keep going: not cancelled, server not shutting down.
    func streamGoesOn() async -> Bool {
        !Task.isCancelled && !Task.isShuttingDownGracefully
    }

    /// What changes when any record changes: the newest update and the counts per status.
    func listVersion() async throws -> JSONValue {
        var newest: JSONValue = .null
        if let updated = data.column("updated_at") {
            let page = try await data.records.page(data.model, query: RecordPageQuery(sortColumn: updated, limit: 1))
            if let record = page.records.first {
                newest = .array([record[updated].json, record[data.model.keyColumn].json])
            }
        }
        let counts = try await data.statusCounts()
        return ["newest": newest, "counts": .object(counts.mapValues { .int($0) })]
    }

    /// One Server-Sent Event; its data is bounded like the pages (``JSONDisplayLimits/dashboard``).
    static func event(_ name: String, _ data: JSONValue) -> ByteBuffer {
        ByteBuffer(string: "event: \(name)\ndata: \(Reply.safeJSON(data.bounded().value))\n\n")
    }

    /// A `text/event-stream` response written by `produce` (which ends when the client goes away:
    /// a write then throws).
    func eventStream(_ produce: @escaping @Sendable (inout any ResponseBodyWriter) async throws -> Void) -> Response {
        Response(
            status: .ok,
            headers: [.contentType: "text/event-stream", .cacheControl: "no-store", .xAccelBuffering: "no"],
            body: ResponseBody { [metrics] writer in
                metrics.openStreams.withLock { $0 += 1 }
                defer { metrics.openStreams.withLock { $0 -= 1 } }
                do {
                    try await produce(&writer)
                } catch is CancellationError {}
                try await writer.finish(nil)
            })
    }
}
