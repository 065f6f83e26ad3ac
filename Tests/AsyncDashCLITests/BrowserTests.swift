import AsyncDash
import Foundation
import Testing

/// The dashboard in a real browser: Debian's headless Chromium loads pages that `asyncdash serve`
/// renders, runs their JavaScript, and follows a running task's progress live.
@Suite("dashboard in a real browser", .serialized)
struct BrowserTests {
    static let chromium: String? = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }

    /// Where screenshots are kept: `.test-artifacts/` in the repository (or `$ASYNCDASH_TEST_ARTIFACTS`).
    static var artifacts: URL {
        let path = ProcessInfo.processInfo.environment["ASYNCDASH_TEST_ARTIFACTS"]
        let url = path.map { URL(fileURLWithPath: $0) } ?? CLIHarness.repositoryRoot.appendingPathComponent(".test-artifacts")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test("the detail page shows the progress change and the final status without a reload; screenshots of both pages",
          .enabled(if: chromium != nil, "needs Debian's chromium (apt-get install -y chromium)"))
    func detailPageFollowsARunningTask() async throws {
        try await withHarness { cli in
            try cli.copyShippedConfig()
            let env = cli.queueEnvironment("browser.sqlite", leaseTTL: 10)
            let serve = try cli.start(["serve", "--bind", "127.0.0.1:0", "--concurrency", "4"], environment: env, deadline: .seconds(150))
            defer { Task { _ = await serve.terminate() } }
            #expect(await serve.waitForOutput("dashboard: http://"), "\(serve.description)")
            let base = try #require(Self.dashboardURL(in: serve.stdout), "\(serve.description)")

            // A few finished tasks (one failed, one with markup in its user) for the list.
            for index in 0..<3 {
                let launch = try await cli.run(["launch", "sample.tasks.update_items", "--args", #"{"count":3,"delay_ms":20}"#,
                                                "--name", "browser-done-\(index)", "--user", index == 1 ? "<b>eve</b>" : "alice"], environment: env)
                #expect(launch.exitCode == 0, "\(launch)")
            }
            let failing = try await cli.run(["launch", "sample.tasks.fail_on", "--args", #"{"value":1,"fail_on":1}"#, "--name", "browser-failed"], environment: env)
            #expect(failing.exitCode == 0, "\(failing)")
            // The task to follow is driven step by step with `asyncdash emit`, so the browser
            // sees it run however slowly the machine starts Chromium: the test moves the task on
            // only once the page's script has opened its stream (`asyncdash_streams_open`).
            for step in [["create", "--task", "browser-live", "--user", "alice"],
                         ["progress", "--task", "browser-live", "--status", "in_progress", "--done", "0", "--total", "16", "--unit", "items"]] {
                let emitted = try await cli.run(["emit"] + step, environment: env)
                #expect(emitted.exitCode == 0, "\(emitted)")
            }
            var components = try #require(URLComponents(string: base))
            components.path = "/metrics"
            let metricsURL = try #require(components.string)
            async let loaded = Self.chromium(["--virtual-time-budget=60000", "--dump-dom", base + "browser-live/"])
            let opened = try await Self.waitUntil(timeout: .seconds(90)) {
                guard let (_, text) = try? await ServeDashboardTests.get(metricsURL) else { return false }
                return text.split(separator: "\n").contains { $0.hasPrefix("asyncdash_streams_open ") && !$0.hasSuffix(" 0") }
            }
            #expect(opened, "the page's script never opened its stream")
            for done in [4, 8, 12, 16] {
                try await Task.sleep(for: .milliseconds(700))
                let emitted = try await cli.run(["emit", "progress", "--task", "browser-live", "--status", "in_progress",
                                                 "--done", "\(done)", "--total", "16", "--unit", "items"], environment: env)
                #expect(emitted.exitCode == 0, "\(emitted)")
            }
            try await Task.sleep(for: .milliseconds(700))
            let completed = try await cli.run(["emit", "complete", "--task", "browser-live", "--message", "Task completed",
                                               "--result", #"{"updated":16}"#], environment: env)
            #expect(completed.exitCode == 0, "\(completed)")
            let dom = try await loaded

            // The page was rendered while the task ran…
            #expect(dom.contains(#"data-finished="false""#), "the page was not loaded while the task ran:\n\(dom.prefix(2000))")
            // …and its script then saw the progress change and the final status, in this one page.
            let updates = Self.liveUpdates(in: dom)
            let running = Set(updates.filter { $0.status == "in_progress" }.map(\.progress))
            #expect(running.count >= 2, "fewer than two progress values were followed live: \(updates)")
            #expect(updates.last?.status == "success", "the final status did not appear: \(updates)")
            #expect(updates.last?.progress == "16/16 items", "\(updates)")
            #expect(dom.contains(#"id="live-status" class="badge status-success""#), "the status badge was not updated")
            #expect(dom.contains("Finished: success."))

            // Screenshots: the list and the finished task's page.
            let list = Self.artifacts.appendingPathComponent("dashboard-list.png")
            let detail = Self.artifacts.appendingPathComponent("dashboard-detail.png")
            let phone = Self.artifacts.appendingPathComponent("dashboard-list-phone.png")
            for file in [list, detail, phone] { try? FileManager.default.removeItem(at: file) }
            _ = try await Self.chromium(["--window-size=1280,900", "--screenshot=\(list.path)", base])
            _ = try await Self.chromium(["--window-size=1280,1100", "--virtual-time-budget=3000", "--screenshot=\(detail.path)", base + "browser-live/"])
            _ = try await Self.chromium(["--window-size=390,844", "--screenshot=\(phone.path)", base])
            for file in [list, detail, phone] {
                let data = try Data(contentsOf: file)
                #expect(data.count > 10_000, "\(file.lastPathComponent) is only \(data.count) bytes")
                #expect(data.prefix(8) == Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]), "\(file.lastPathComponent) is not a PNG")
            }
            // The list escapes markup from users.
            let listDOM = try await Self.chromium(["--dump-dom", base])
            #expect(listDOM.contains("&lt;b&gt;eve&lt;/b&gt;") && !listDOM.contains("<b>eve</b>"))
            #expect(listDOM.contains("browser-failed") && listDOM.contains("browser-live"))
            #expect(await serve.terminate() == 0, "\(serve.description)")
        }
    }

    /// `http://127.0.0.1:PORT/async-dashboard/` from serve's output.
    static func dashboardURL(in output: String) -> String? {
        output.split(separator: "\n").first { $0.hasPrefix("dashboard: ") }.map { String($0.dropFirst("dashboard: ".count)) }
    }

    /// The entries the page's script added to its live log: status and progress text.
    static func liveUpdates(in dom: String) -> [(status: String, progress: String)] {
        let pattern = /<li data-status="([^"]*)" data-progress="([^"]*)">/
        return dom.matches(of: pattern).map { (String($0.output.1), String($0.output.2)) }
    }

    /// Polls `condition` every 100 ms until it holds (true) or `timeout` passes (false).
    static func waitUntil(timeout: Duration, _ condition: () async -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while ContinuousClock.now < deadline {
            if await condition() { return true }
            try await Task.sleep(for: .milliseconds(100))
        }
        return false
    }

    /// Runs headless Chromium with `arguments`; returns its stdout.
    static func chromium(_ arguments: [String], timeout: Duration = .seconds(90)) async throws -> String {
        let binary = try #require(chromium)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
                             "--user-data-dir=\(FileManager.default.temporaryDirectory.appendingPathComponent("chromium-\(UUID().uuidString)").path)"]
            + arguments
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("chromium-\(UUID().uuidString).out")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        let handle = try FileHandle(forWritingTo: output)
        defer { try? handle.close(); try? FileManager.default.removeItem(at: output) }
        process.standardOutput = handle
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while process.isRunning {
            if ContinuousClock.now > deadline {
                process.terminate()
                Issue.record("chromium did not finish within \(timeout): \(arguments)")
                break
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        return (try? String(contentsOf: output, encoding: .utf8)) ?? ""
    }
}
