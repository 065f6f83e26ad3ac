import ArgumentParser
import AsyncDashCLI
import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import Synchronization

/// `asyncdash bench webhook-receiver` (hidden): what `bench webhooks` posts to, in a process of
/// its own so the sender's figure is not shared with the receiver's work. Answers `POST /hook`
/// with 204 and counts requests and distinct `webhook-id`s; `GET /count` answers
/// `REQUESTS DISTINCT`. Prints `receiver: http://127.0.0.1:PORT/hook` once listening; runs until
/// killed.
struct BenchWebhookReceiverCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "webhook-receiver", abstract: "The local receiver of 'bench webhooks'.", shouldDisplay: false)

    /// Requests and distinct ids so far.
    final class Tally: Sendable {
        private let state = Mutex<(requests: Int, ids: Set<String>)>((0, []))

        func add(_ id: String) {
            state.withLock {
                $0.requests += 1
                $0.ids.insert(id)
            }
        }

        var counts: (requests: Int, distinct: Int) { state.withLock { ($0.requests, $0.ids.count) } }
    }

    func run() async throws {
        let tally = Tally()
        let router = Router()
        router.post("/hook") { request, _ -> HTTPResponse.Status in
            _ = try await request.body.collect(upTo: 1_000_000)
            tally.add(HTTPField.Name("webhook-id").flatMap { request.headers[$0] } ?? "")
            return .noContent
        }
        router.get("/count") { _, _ -> String in
            let counts = tally.counts
            return "\(counts.requests) \(counts.distinct)"
        }
        var logger = Logger(label: "bench-webhook-receiver")
        logger.logLevel = .critical
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in
                // Unbuffered: the parent reads it from a file while this process runs.
                FileHandle.standardOutput.write(Data("receiver: http://127.0.0.1:\(channel.localAddress?.port ?? 0)/hook\n".utf8))
            },
            logger: logger)
        try await app.run()
    }
}

/// The receiver child process of `bench webhooks`.
struct BenchWebhookReceiverChild: Sendable {
    let process: Process
    /// `http://127.0.0.1:PORT/hook`
    let hookURL: String

    /// Starts `asyncdash bench webhook-receiver` and waits (up to 30 s) for its address.
    static func start(scratch: BenchScratch) async throws -> BenchWebhookReceiverChild {
        let (process, output) = try BenchTools.start(
            BenchServeChild.executable(), ["bench", "webhook-receiver"], environment: nil, output: scratch.file("receiver.log"))
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: .seconds(30))
        while clock.now < deadline {
            let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
            if let line = text.split(separator: "\n").first(where: { $0.hasPrefix("receiver: http://") }) {
                return BenchWebhookReceiverChild(process: process, hookURL: String(line.dropFirst("receiver: ".count)))
            }
            guard process.isRunning else {
                throw CLIError.failure("the webhook receiver exited (status \(process.terminationStatus)) before listening:\n\(text)")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        process.terminate()
        throw CLIError.failure("the webhook receiver printed no address within 30 s")
    }

    /// The receiver's requests and distinct event ids so far.
    func counts() async throws -> (requests: Int, distinct: Int) {
        let countURL = String(hookURL.dropLast("/hook".count)) + "/count"
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: countURL), timeout: .seconds(10))
        let body = String(buffer: try await response.body.collect(upTo: 1_000))
        let numbers = body.split(separator: " ").compactMap { Int($0) }
        guard response.status.code == 200, numbers.count == 2 else { throw CLIError.failure("the webhook receiver answered \(response.status): \(body)") }
        return (numbers[0], numbers[1])
    }

    func kill() {
        if process.isRunning { process.terminate() }
    }
}
