import AsyncDash
import Foundation
import Synchronization
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `asyncdash serve` and its dashboard over a real socket: the address check, and a second
/// manager's dashboard under its own path (`DASHBOARD.managers`).
@Suite("asyncdash serve: the dashboard", .serialized)
struct ServeDashboardTests {
    @Test("binding beyond loopback without a token is refused with exit 2 and a message saying what to do")
    func exposedAddressWithoutTokenIsRefused() async throws {
        try await withHarness { cli in
            try cli.copyShippedConfig()
            let result = try await cli.run(["serve", "--bind", "0.0.0.0:0"], environment: cli.queueEnvironment("exposed.sqlite"), timeout: .seconds(60))
            #expect(result.exitCode == 2, "\(result)")
            #expect(result.stderr.contains("refusing to serve the dashboard on 0.0.0.0:0 without a token"), "\(result)")
            #expect(result.stderr.contains("auth_token_env"), "\(result)")
        }
    }

    @Test("with a token, beyond loopback is allowed and pages need the token")
    func tokenGuardsTheDashboard() async throws {
        try await withHarness { cli in
            var config = try String(contentsOf: CLIHarness.repositoryRoot.appendingPathComponent("config.yaml"), encoding: .utf8)
            config = config.replacingOccurrences(of: "  # auth_token_env: ASYNCDASH_READ_TOKEN", with: "  auth_token_env: TEST_READ_TOKEN")
            try cli.writeConfig(config)
            var env = cli.queueEnvironment("token.sqlite")
            env["TEST_READ_TOKEN"] = "read-token-0123456789"
            let serve = try cli.start(["serve", "--bind", "127.0.0.1:0"], environment: env, deadline: .seconds(90))
            #expect(await serve.waitForOutput("dashboard: http://"), "\(serve.description)")
            let base = try #require(BrowserTests.dashboardURL(in: serve.stdout))
            let (anonymous, _) = try await Self.get(base + "?x=1", headers: ["Accept": "application/json"])
            #expect(anonymous == 401)
            let (withToken, body) = try await Self.get(base, headers: ["Authorization": "Bearer read-token-0123456789"])
            #expect(withToken == 200, "\(body.prefix(500))")
            #expect(body.contains("<h1>Tasks</h1>"))
            #expect(await serve.terminate() == 0, "\(serve.description)")
        }
    }

    @Test("DASHBOARD.managers mounts another manager's dashboard under its path; its actions are refused with the reason")
    func aSecondManagersDashboard() async throws {
        try await withHarness { cli in
            var config = try String(contentsOf: CLIHarness.repositoryRoot.appendingPathComponent("config.yaml"), encoding: .utf8)
            config = config.replacingOccurrences(of: "  page_size: 50\n", with: """
                  page_size: 50
                  managers:
                    sample.NotifyingAsyncManager: { path_prefix: /notifying, fields: [task_name, status, message] }

                """)
            try cli.writeConfig(config)
            let env = cli.queueEnvironment("managers.sqlite")
            let check = try await cli.run(["check-config"], environment: env)
            #expect(check.exitCode == 0, "\(check)")
            let emit = try await cli.run(["emit", "complete", "--task", "notified-1", "--status", "success", "--message", "done by cron",
                                          "--manager", "sample.NotifyingAsyncManager"], environment: env)
            #expect(emit.exitCode == 0, "\(emit)")
            let serve = try cli.start(["serve", "--bind", "127.0.0.1:0"], environment: env, deadline: .seconds(90))
            #expect(await serve.waitForOutput("/notifying/"), "\(serve.description)")
            let lines = serve.stdout.split(separator: "\n").filter { $0.hasPrefix("dashboard: ") }.map { String($0.dropFirst("dashboard: ".count)) }
            #expect(lines.count == 2, "\(serve.description)")
            let second = try #require(lines.first { $0.hasSuffix("/notifying/") })
            let (status, list) = try await Self.get(second)
            #expect(status == 200)
            #expect(list.contains("notified-1") && list.contains("done by cron"))
            #expect(list.contains(#"<th scope="col">Message</th>"#), "its own fields")
            let (detailStatus, detail) = try await Self.get(second + "notified-1/")
            #expect(detailStatus == 200)
            #expect(detail.contains("Actions on these tasks are taken from the dashboard of the manager whose queue runs here."), "\(detail.prefix(3000))")
            #expect(!detail.contains(">Retry</button>"))
            // The shared routes stay at the root.
            let root = second.replacingOccurrences(of: "/notifying/", with: "")
            let (progress, _) = try await Self.get(root + "/async/progress/?task_name=notified-1")
            #expect(progress == 286)
            #expect(await serve.terminate() == 0, "\(serve.description)")
        }
    }

    @Test("the list's event stream announces a change made by another process",
          .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/curl"), "needs curl"))
    func listStreamAnnouncesChanges() async throws {
        try await withHarness { cli in
            try cli.copyShippedConfig()
            let env = cli.queueEnvironment("stream.sqlite")
            let serve = try cli.start(["serve", "--bind", "127.0.0.1:0"], environment: env, deadline: .seconds(90))
            #expect(await serve.waitForOutput("dashboard: http://"), "\(serve.description)")
            let base = try #require(BrowserTests.dashboardURL(in: serve.stdout))
            let curl = Process()
            curl.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
            curl.arguments = ["-s", "-N", "--max-time", "60", base + "-/stream"]
            let pipe = Pipe()
            curl.standardOutput = pipe
            let received = Mutex(Data())
            pipe.fileHandleForReading.readabilityHandler = { handle in
                let chunk = handle.availableData
                received.withLock { $0.append(chunk) }
            }
            try curl.run()
            func output() -> String { received.withLock { String(decoding: $0, as: UTF8.self) } }
            func wait(for text: String) async -> Bool {
                let deadline = ContinuousClock.now + .seconds(60)
                while ContinuousClock.now < deadline {
                    if output().contains(text) { return true }
                    try? await Task.sleep(for: .milliseconds(20))
                }
                return false
            }
            // The stream announces changes made after it opened: emit once it is open.
            #expect(await wait(for: "retry: 2000"), "\(output())")
            let emit = try await cli.run(["emit", "create", "--task", "streamed-1", "--user", "bob"], environment: env)
            #expect(emit.exitCode == 0, "\(emit)")
            #expect(await wait(for: "streamed-1"), "\(output())")
            kill(curl.processIdentifier, SIGKILL)  // Process.terminate() did not end it here
            curl.waitUntilExit()
            pipe.fileHandleForReading.readabilityHandler = nil
            let output = output()
            #expect(output.hasPrefix("retry: 2000"), "\(output)")
            #expect(output.contains("event: changed\ndata: {\"counts\":{\"pending\":1}"), "\(output)")
            #expect(output.contains("streamed-1"), "\(output)")
            #expect(await serve.terminate() == 0, "\(serve.description)")
        }
    }

    @Test("a stream whose client went away ends within seconds, not at its next event",
          .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/curl"), "needs curl"))
    func aClosedStreamStops() async throws {
        try await withHarness { cli in
            try cli.copyShippedConfig()
            let env = cli.queueEnvironment("closed.sqlite")
            let serve = try cli.start(["serve", "--bind", "127.0.0.1:0"], environment: env, deadline: .seconds(90))
            #expect(await serve.waitForOutput("dashboard: http://"), "\(serve.description)")
            let base = try #require(BrowserTests.dashboardURL(in: serve.stdout))
            var components = try #require(URLComponents(string: base))
            components.path = "/metrics"
            let metricsURL = try #require(components.string)
            func openStreams() async -> Int? {
                guard let (_, text) = try? await Self.get(metricsURL) else { return nil }
                let line = text.split(separator: "\n").first { $0.hasPrefix("asyncdash_streams_open ") }
                return line.flatMap { Int(Double($0.split(separator: " ").last ?? "") ?? -1) }
            }
            let curls = (0..<3).map { _ in
                let curl = Process()
                curl.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
                curl.arguments = ["-s", "-N", "--max-time", "120", base + "-/stream"]
                curl.standardOutput = FileHandle.nullDevice
                return curl
            }
            for curl in curls { try curl.run() }
            var open: Int?
            for _ in 0..<500 where open != 3 {
                open = await openStreams()
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(open == 3, "three streams open")
            for curl in curls {
                kill(curl.processIdentifier, SIGKILL)
                curl.waitUntilExit()
            }
            // The streams notice at their next heartbeat (a second); without one they would
            // linger until their next event or keep-alive.
            let closedBy = ContinuousClock.now + .seconds(8)
            while ContinuousClock.now < closedBy, open != 0 {
                try await Task.sleep(for: .milliseconds(50))
                open = await openStreams()
            }
            #expect(open == 0, "streams left open after their clients went away: \(open ?? -1)")
            #expect(await serve.terminate() == 0, "\(serve.description)")
        }
    }

    /// Runs blocking `work` on a Dispatch thread, not on the cooperative pool.
    static func offThePool<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: work()) }
        }
    }

    @Test("with no token, a request whose Host is not a loopback name is refused (DNS rebinding)",
          .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/curl"), "needs curl"))
    func rebindingIsRefused() async throws {
        try await withHarness { cli in
            try cli.copyShippedConfig()
            let serve = try cli.start(["serve", "--bind", "127.0.0.1:0"], environment: cli.queueEnvironment("rebind.sqlite"), deadline: .seconds(90))
            #expect(await serve.waitForOutput("dashboard: http://"), "\(serve.description)")
            let base = try #require(BrowserTests.dashboardURL(in: serve.stdout))
            @Sendable func status(host: String?, extra: [String] = []) throws -> String {
                let curl = Process()
                curl.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
                curl.arguments = ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "10"] + (host.map { ["-H", "Host: \($0)"] } ?? []) + extra + [base]
                let pipe = Pipe()
                curl.standardOutput = pipe
                try curl.run()
                curl.waitUntilExit()
                return String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            }
            for (host, expected) in [(nil, "200"), ("evil.example:8000", "403"), ("localhost:8000", "200")] as [(String?, String)] {
                let code = await Self.offThePool { (try? status(host: host)) ?? "failed" }
                #expect(code == expected, "Host \(host ?? "(none)")")
            }
            // No Host header at all: refused too.
            let noHost = await Self.offThePool { (try? status(host: nil, extra: ["-H", "Host:"])) ?? "failed" }
            #expect(noHost == "400", "no Host header")
            let head = await Self.offThePool { (try? status(host: nil, extra: ["-I"])) ?? "failed" }
            #expect(head == "200", "HEAD answers like GET")
            // An absolute-form target without a Host header: nothing names a loopback host, refused.
            // (With one, the server sees only the Host header: NIO hands over the target's path.)
            var components = try #require(URLComponents(string: base))
            components.host = "evil.example"
            let target = components.string ?? ""
            let absolute = await Self.offThePool { (try? status(host: nil, extra: ["-H", "Host:", "--request-target", target])) ?? "failed" }
            #expect(absolute == "400", "absolute-form target without Host: \(absolute)")
            let delete = await Self.offThePool { (try? status(host: nil, extra: ["-X", "DELETE"])) ?? "failed" }
            #expect(delete == "405", "a method the page does not answer")
            #expect(await serve.terminate() == 0, "\(serve.description)")
        }
    }

    /// GET `url`; the status code and the body as text.
    static func get(_ url: String, headers: [String: String] = [:]) async throws -> (Int, String) {
        var request = URLRequest(url: try #require(URL(string: url)))
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let (data, response) = try await URLSession.shared.data(for: request)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
    }
}
