import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Synchronization

/// A local HTTP receiver a test starts on 127.0.0.1: it records every POST to `/hook` and gives
/// the answer `answer` returns for the request's arrival (its number, 0 for the first).
final class WebhookReceiver: Sendable {
    struct Request: Sendable {
        var id: String
        var timestamp: String
        var signature: String
        var body: [UInt8]

        var object: [String: Any]? { (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] }
        var data: [String: Any]? { object?["data"] as? [String: Any] }
        var event: String? { data?["event"] as? String }
        var task: String? { data?["task_name"] as? String }
    }

    /// A request as it arrives: its number (0 for the first) and how many earlier requests were
    /// for the same task (0 for the first of its task).
    struct Arrival: Sendable {
        var number: Int
        var numberOfTask: Int
        var request: Request
    }

    struct Answer: Sendable {
        var status: Int
        var headers: [String: String] = [:]
        static let ok = Answer(status: 200)
    }

    /// What the route records, shared with it.
    final class Log: Sendable {
        let requests = Mutex<[Request]>([])
    }

    private let log: Log
    private let server: Task<Void, any Error>
    let port: Int

    var received: [Request] { log.requests.withLock { $0 } }
    var url: String { "http://127.0.0.1:\(port)/hook" }

    private init(log: Log, server: Task<Void, any Error>, port: Int) {
        self.log = log
        self.server = server
        self.port = port
    }

    /// Starts a receiver on `port` (0: a free one).
    static func start(port: Int = 0, answer: @escaping @Sendable (Arrival) -> Answer = { _ in .ok }) async throws -> WebhookReceiver {
        let log = Log()
        let router = Router()
        router.post("/hook") { request, _ -> Response in
            let body = try await request.body.collect(upTo: 1_000_000)
            func header(_ name: String) -> String { HTTPField.Name(name).flatMap { request.headers[$0] } ?? "" }
            let received = Request(
                id: header("webhook-id"), timestamp: header("webhook-timestamp"), signature: header("webhook-signature"),
                body: Array(buffer: body))
            let arrival = log.requests.withLock { requests in
                let numberOfTask = requests.count { $0.task == received.task }
                requests.append(received)
                return Arrival(number: requests.count - 1, numberOfTask: numberOfTask, request: received)
            }
            let reply = answer(arrival)
            var headers = HTTPFields()
            for (name, value) in reply.headers { if let field = HTTPField.Name(name) { headers[field] = value } }
            return Response(status: .init(code: reply.status), headers: headers)
        }
        let bound = AsyncStream<Int>.makeStream()
        var logger = Logger(label: "webhook-receiver")
        logger.logLevel = .critical
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)),
            onServerRunning: { channel in bound.continuation.yield(channel.localAddress?.port ?? 0) }, logger: logger)
        let task = Task { try await app.run() }
        var iterator = bound.stream.makeAsyncIterator()
        guard let actual = await iterator.next(), actual > 0 else {
            task.cancel()
            throw ReceiverError()
        }
        return WebhookReceiver(log: log, server: task, port: actual)
    }

    struct ReceiverError: Error {}

    /// Stops the server; its port is free again afterwards.
    func stop() async {
        server.cancel()
        _ = await server.result
    }
}
