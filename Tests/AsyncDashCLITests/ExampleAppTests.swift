import AsyncDash
import Foundation
import Testing

/// `Examples/MyAppDash`: an application package with its own `myapp-dash` command line, its own
/// manager, record model, task function and observer registered by the AsyncDashRegistrations
/// build-tool plugin — built for real, then driven as separate processes (the README walkthrough).
@Suite("An application's own command line (Examples/MyAppDash)", .serialized)
struct ExampleAppTests {
    /// Where the example builds: one scratch path shared by every run (it builds AsyncDash's
    /// dependencies again, a few minutes the first time). `$ASYNCDASH_EXAMPLES_SCRATCH` overrides it.
    static var scratch: URL {
        if let path = ProcessInfo.processInfo.environment["ASYNCDASH_EXAMPLES_SCRATCH"], !path.isEmpty { return URL(fileURLWithPath: path) }
        return CLIHarness.repositoryRoot.appendingPathComponent(".build-examples")
    }

    static let example = CLIHarness.repositoryRoot.appendingPathComponent("Examples/MyAppDash")

    /// Builds `myapp-dash` (once per test process) and returns its path.
    static func buildExample() async throws -> URL {
        try await ExampleBuild.shared.binary()
    }

    actor ExampleBuild {
        static let shared = ExampleBuild()
        private var built: URL?

        func binary() async throws -> URL {
            if let built { return built }
            let binary = try await ExampleScratch.shared.exclusively { try await self.build() }
            built = binary
            return binary
        }

        private func build() async throws -> URL {
            // SwiftPM caches the example's build plan by its own manifest and does not notice files
            // added to AsyncDash (its path dependency) since: touching the manifest re-plans it.
            try FileManager.default.setAttributes(
                [.modificationDate: Date()], ofItemAtPath: ExampleAppTests.example.appendingPathComponent("Package.swift").path)
            // Nor does it always recompile the example's own module when a type of AsyncDash it
            // uses changes layout (seen: a stale object file crashing in a changed StoreSet), so
            // the example's few files are compiled afresh every time.
            let ownModule = ExampleAppTests.scratch.appendingPathComponent("debug/myapp_dash.build")
            if FileManager.default.fileExists(atPath: ownModule.path) { try FileManager.default.removeItem(at: ownModule) }
            print("building Examples/MyAppDash into \(ExampleAppTests.scratch.path) (the first build compiles AsyncDash's dependencies again)")
            let log = ExampleAppTests.scratch.deletingLastPathComponent().appendingPathComponent(".build-examples.log")
            let (status, output) = try await SwiftToolRun.run(
                ["build", "--package-path", ExampleAppTests.example.path, "--scratch-path", ExampleAppTests.scratch.path, "--product", "myapp-dash"],
                log: log, timeout: .seconds(1800))
            guard status == 0 else {
                throw BuildFailed(output: String(output.suffix(6000)))
            }
            return ExampleAppTests.scratch.appendingPathComponent("debug/myapp-dash")
        }
    }

    /// Turns for builds in the example's scratch folder, which the asyncdash-init test's package
    /// shares (AsyncDash's dependencies are built there once). SwiftPM keeps one build plan per
    /// scratch folder and reuses it for another root package ("No target named …"), so each
    /// build, in its turn, removes the plan first: SwiftPM plans again and reuses the objects.
    actor ExampleScratch {
        static let shared = ExampleScratch()
        private var busy = false
        private var waiting: [CheckedContinuation<Void, Never>] = []

        func exclusively<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
            if busy {
                await withCheckedContinuation { waiting.append($0) }
            }
            busy = true
            defer {
                if waiting.isEmpty { busy = false } else { waiting.removeFirst().resume() }
            }
            let plan = ExampleAppTests.scratch.appendingPathComponent("debug/description.json")
            if FileManager.default.fileExists(atPath: plan.path) { try FileManager.default.removeItem(at: plan) }
            return try await body()
        }
    }

    struct BuildFailed: Error, CustomStringConvertible {
        var output: String
        var description: String { "swift build of Examples/MyAppDash failed:\n\(output)" }
    }

    /// A harness running `myapp-dash` in a fresh directory holding the example's own config.yaml.
    func withApp(_ body: (CLIHarness) async throws -> Void) async throws {
        let binary = try await Self.buildExample()
        try await withHarness { base in
            var cli = base
            cli.executable = binary
            let config = try String(contentsOf: Self.example.appendingPathComponent("config.yaml"), encoding: .utf8)
            try cli.writeConfig(config)
            try await body(cli)
        }
    }

    static func readme() throws -> String {
        try String(contentsOf: CLIHarness.repositoryRoot.appendingPathComponent("README.md"), encoding: .utf8)
    }

    /// Every README code block marked `<!-- example: PATH -->` is the example's file PATH (or, for
    /// config.yaml, a part of it) exactly as printed: the blocks a newcomer copies are the ones
    /// the tests below build and run.
    @Test func readmeWalkthroughMatchesTheExample() throws {
        let lines = try Self.readme().components(separatedBy: "\n")
        var checked: [String] = []
        var index = 0
        while index < lines.count {
            let line = lines[index]
            index += 1
            guard line.hasPrefix("<!-- example: "), line.hasSuffix(" -->") else { continue }
            let path = String(line.dropFirst("<!-- example: ".count).dropLast(" -->".count))
            #expect(lines[index].hasPrefix("```"), "a code block follows the marker of \(path)")
            index += 1
            var block: [String] = []
            while index < lines.count && lines[index] != "```" {
                block.append(lines[index])
                index += 1
            }
            let file = try String(contentsOf: Self.example.appendingPathComponent(path), encoding: .utf8)
            let text = block.joined(separator: "\n")
            if path == "config.yaml" {
                #expect(file.contains(text + "\n"), "README's block is a part of Examples/MyAppDash/\(path)")
            } else {
                #expect(text + "\n" == file, "README's block is Examples/MyAppDash/\(path) as it is")
            }
            checked.append(path)
        }
        #expect(checked == ["Package.swift", "Sources/myapp-dash/main.swift", "Sources/myapp-dash/AppAsyncManager.swift",
                            "Sources/myapp-dash/Tasks.swift", "config.yaml"])
    }

    @Test func checkConfigEmitAndShowUseTheApplicationsTypes() async throws {
        try await withApp { cli in
            let check = try await cli.run(["check-config"], timeout: .seconds(60))
            #expect(check.exitCode == 0, "\(check)")
            #expect(check.stdout.contains("myapp.async_manager.AppAsyncManager"), "\(check)")
            #expect(check.stdout.contains("myapp.JobRecord"), "\(check)")
            #expect(check.stdout.contains("myapp.observers.journal"), "\(check)")

            let emit = try await cli.run(["emit", "create", "--task", "import-1", "--message", "Task queued"], timeout: .seconds(60))
            #expect(emit.exitCode == 0, "\(emit)")
            let show = try await cli.run(["show", "import-1", "--json"], timeout: .seconds(60))
            #expect(show.exitCode == 0, "\(show)")
            let record = try show.json()
            #expect(record["status"] == "pending", "\(show)")
            #expect(record["user_label"] == "Anonymous", "the app manager's own formatUser: \(show)")
            let journal = try String(contentsOf: cli.directory.appendingPathComponent(".asyncdash/journal.jsonl"), encoding: .utf8)
            #expect(journal.contains(#""task_name":"import-1""#), "the app's observer wrote the event: \(journal)")

            // The application's names are reported with their origin when a name is mistyped.
            try cli.writeConfig("""
                STORE: memory
                ASYNC_MANAGER_DEFAULT:
                  manager_class: myapp.async_manager.AppAsyncManagr
                """)
            let typo = try await cli.run(["check-config"], timeout: .seconds(60))
            #expect(typo.exitCode == 2, "\(typo)")
            let readmeLine = try #require(try Self.readme().split(separator: "\n").first { $0.hasPrefix("config.yaml:3:18: error: ASYNC_MANAGER_DEFAULT.manager_class: unknown manager") })
            #expect(typo.stderr.contains(readmeLine), "the README shows this error as printed: \(typo)")
            #expect(typo.stderr.contains("did you mean 'myapp.async_manager.AppAsyncManager'"), "\(typo)")
            #expect(typo.stderr.contains("'myapp.async_manager.AppAsyncManager' (module myapp_dash)"), "\(typo)")
            // The application's command line has no benchmarks.
            let bench = try await cli.run(["bench", "lifecycle"], timeout: .seconds(60))
            #expect(bench.exitCode == 2, "\(bench)")
        }
    }

    @Test func aLaunchedTaskOfTheApplicationRunsOnAWorkerAndServeShowsIt() async throws {
        try await withApp { cli in
            let worker = try cli.start(["worker", "--concurrency", "2"], deadline: .seconds(120))
            #expect(await worker.waitForOutput("ready", timeout: .seconds(60)), "\(worker.description)")
            let launch = try await cli.run(
                ["launch", "myapp.tasks.resize_images", "--args", #"{"images":["a.png","b.png","c.png"],"width":640,"delay_ms":20}"#,
                 "--name", "resize-1", "--user", "ada"],
                timeout: .seconds(60))
            #expect(launch.exitCode == 0, "\(launch)")
            let records = try await cli.waitForRecords([:], timeout: .seconds(60), interval: .milliseconds(200)) { $0["resize-1"]?.status == "success" }
            let record = try #require(records["resize-1"], "\(worker.description)")
            #expect(record["result_payload"]?.jsonText.contains("a.png@640w") == true, "\(record)")
            #expect(record["user_label"] == "ada", "\(record)")
            #expect(await worker.terminate() == 0, "\(worker.description)")
            let journal = try String(contentsOf: cli.directory.appendingPathComponent(".asyncdash/journal.jsonl"), encoding: .utf8)
            #expect(journal.contains(#""event":"complete""#), "\(journal)")

            let serve = try cli.start(["serve", "--bind", "127.0.0.1:0"], deadline: .seconds(120))
            #expect(await serve.waitForOutput("dashboard: http://", timeout: .seconds(60)), "\(serve.description)")
            let base = try #require(BrowserTests.dashboardURL(in: serve.stdout))
            let (status, page) = try await ServeDashboardTests.get(base)
            #expect(status == 200, "\(page.prefix(400))")
            #expect(page.contains("resize-1"), "the app's task is listed: \(page.prefix(2000))")
            #expect(await serve.terminate() == 0, "\(serve.description)")
        }
    }
}
