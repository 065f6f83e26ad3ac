import AsyncDash
import AsyncDashSQLite
import AsyncDashWebhooks
import Foundation
import Sample
import Testing

/// The code blocks of the AsyncDashWebhooks articles, run as printed: the Python verifier by
/// python3, the Swift one compiled here (the test checks that its text is the article's), the
/// config resolved, the JSON parsed.
@Suite("Webhook articles")
struct ReceivingWebhooksDocTests {
    static let articles = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Sources/AsyncDashWebhooks/AsyncDashWebhooks.docc")
    static let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

    /// The fenced blocks of `language` in article `name`, in order.
    static func blocks(_ language: String, in name: String) throws -> [String] {
        let text = try String(contentsOf: articles.appendingPathComponent(name), encoding: .utf8)
        var blocks: [String] = []
        var current: [Substring]?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if current == nil, line == "```\(language)" {
                current = []
            } else if current != nil, line == "```" {
                blocks.append(current!.joined(separator: "\n"))
                current = nil
            } else {
                current?.append(line)
            }
        }
        return blocks
    }

    /// A request signed now by `secret`.
    static func signed(_ body: String) throws -> (headers: [String: String], body: [UInt8]) {
        let bytes = Array(body.utf8)
        let headers = try WebhookSigner(secret: secret).headers(id: "evt-1", timestamp: Int64(Date().timeIntervalSince1970), body: bytes)
        return (headers, bytes)
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/python3"), "needs python3"))
    func thePythonVerifierAcceptsOurSignatureAndRefusesATamperedBody() async throws {
        let code = try #require(try Self.blocks("python", in: "ReceivingWebhooks.md").first)
        let (headers, body) = try Self.signed(#"{"type":"task.fail"}"#)
        // Python's input and output go through files and its end is polled with sleeps: no
        // blocking read or wait on the cooperative pool.
        func run(_ body: [UInt8]) async throws -> String {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("verify-\(UUID().uuidString.prefix(8))")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let (inputURL, outputURL) = (directory.appendingPathComponent("in.json"), directory.appendingPathComponent("out.txt"))
            let input: [String: Any] = ["secret": Self.secret, "headers": headers, "body": Data(body).base64EncodedString()]
            try JSONSerialization.data(withJSONObject: input).write(to: inputURL)
            FileManager.default.createFile(atPath: outputURL.path, contents: nil)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
            process.arguments = ["-c", code + """

                import json, sys
                given = json.load(sys.stdin)
                print(verify(given["secret"], given["headers"], base64.b64decode(given["body"])))
                """]
            process.standardInput = try FileHandle(forReadingFrom: inputURL)
            process.standardOutput = try FileHandle(forWritingTo: outputURL)
            try process.run()
            let deadline = ContinuousClock.now + .seconds(60)
            while process.isRunning, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
            if process.isRunning { process.terminate() }
            return try String(contentsOf: outputURL, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        #expect(try await run(body) == "True")
        #expect(try await run(body + Array(" ".utf8)) == "False")
    }

    struct Unauthorized: Error {}

    // --- snippet: ReceivingWebhooks.md, "Verifying in Swift" ---
    func verifyAsPrinted(secret: String, headers: [String: String], body: [UInt8]) throws {
        let signer = try WebhookSigner(secret: secret)   // the same whsec_… as the sender's
        guard let timestamp = Int64(headers["webhook-timestamp"] ?? ""),
              signer.verify(id: headers["webhook-id"] ?? "", timestamp: timestamp, body: body,
                            signatureHeader: headers["webhook-signature"] ?? "")
        else { throw Unauthorized() }
    }
    // --- end of snippet ---

    @Test func theSwiftVerifierIsTheArticlesAndWorks() throws {
        let printed = try #require(try Self.blocks("swift", in: "ReceivingWebhooks.md").first)
        let source = try String(contentsOfFile: #filePath, encoding: .utf8)
        let start = try #require(source.range(of: "    // --- snippet: ReceivingWebhooks.md, \"Verifying in Swift\" ---\n"))
        let end = try #require(source.range(of: "\n    // --- end of snippet ---"))
        let body = source[start.upperBound..<end.lowerBound].split(separator: "\n").dropFirst().dropLast()
        #expect(body.map { $0.dropFirst(8) }.joined(separator: "\n") == printed, "the test runs the article's code as printed")
        let (headers, signedBody) = try Self.signed(#"{"type":"task.complete"}"#)
        try verifyAsPrinted(secret: Self.secret, headers: headers, body: signedBody)
        #expect(throws: Unauthorized.self) { try verifyAsPrinted(secret: Self.secret, headers: headers, body: signedBody + [10]) }
    }

    @Test func theConfigOfTheLandingPageResolvesAndTheBodyExampleIsJSON() throws {
        let yaml = try #require(try Self.blocks("yaml", in: "AsyncDashWebhooks.md").first)
        var registry = Registry.standard
        registry.registerSample()
        registry.registerSQLite()
        registry.registerWebhooks()
        let resolved = try ConfigResolver.parse(yaml, file: "config.yaml", registry: registry, environment: ["ASYNCDASH_WEBHOOK_SECRET": Self.secret])
        let observers = try resolved.manager(named: nil).observers
        #expect(observers.map(\.name) == ["asyncdash.observers.webhook"])
        #expect(observers.first?.delivery.maxAttempts == 10)
        #expect(observers.first?.kinds == [.complete, .fail])
        let json = try #require(try Self.blocks("json", in: "ReceivingWebhooks.md").first)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        #expect(Set(object.keys) == ["type", "timestamp", "data"])
    }
}
