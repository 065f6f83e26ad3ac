import AsyncDash
import Foundation
import Testing

/// `Examples/NotifyPlugin` (issue 10): the example run-time plugin, built for real, named in a
/// config and loaded by the unchanged `asyncdash` binary, which delivers events to it; and each
/// broken plugin refused with a clear error and exit status 2.
@Suite("Run-time plugins in asyncdash (Examples/NotifyPlugin)", .serialized)
struct NotifyPluginCLITests {
    static let example = CLIHarness.repositoryRoot.appendingPathComponent("Examples/NotifyPlugin")
    static let scratch = CLIHarness.repositoryRoot.appendingPathComponent(".build-examples-plugin")

    /// Builds the example plugin (a few seconds: it depends on nothing) and returns its library.
    static func buildExample() async throws -> String {
        let (status, output) = try await SwiftToolRun.run(
            ["build", "--package-path", example.path, "--scratch-path", scratch.path],
            log: scratch.deletingLastPathComponent().appendingPathComponent(".build-examples-plugin.log"), timeout: .seconds(900))
        try #require(status == 0, "swift build of Examples/NotifyPlugin failed: \(output.suffix(4000))")
        return scratch.appendingPathComponent("debug/libNotifyPlugin.so").path
    }

    @Test func theExamplePluginIsLoadedByAsyncdashAndReceivesEvents() async throws {
        let library = try await Self.buildExample()
        try await withHarness { cli in
            try cli.writeConfig("""
                STORE: \(cli.sqliteURL("plugin.sqlite"))
                PLUGINS: [\(library)]
                ASYNC_MANAGER_DEFAULT:
                  manager_class: sample.async_manager.SampleAsyncManager
                  config:
                    record_model_path: sample.AsyncTaskRecord
                    observers:
                      - type: example.observers.notify_file
                        path: notes.txt
                        durable: true
                """)
            let check = try await cli.run(["check-config"])
            #expect(check.exitCode == 0, "\(check)")
            #expect(check.stdout.contains("PLUGINS:\n  \(library): observer example.observers.notify_file"), "\(check)")
            // A short-lived process emits; a worker delivers from the outbox through the plugin.
            let emit = try await cli.run(["emit", "fail", "--task", "import-42", "--message", "boom"])
            #expect(emit.exitCode == 0, "\(emit)")
            let worker = try cli.start(["worker"], deadline: .seconds(60))
            let notes = cli.directory.appendingPathComponent("notes.txt")
            var text = ""
            for _ in 0..<300 where !text.contains("import-42 fail: boom") {
                try await Task.sleep(for: .milliseconds(100))
                text = (try? String(contentsOf: notes, encoding: .utf8)) ?? ""
            }
            #expect(text.contains("import-42 fail: boom"), "the plugin wrote the event: \(text)\n\(worker.description)")
            #expect(await worker.terminate() == 0, "\(worker.description)")
            // Options the plugin refuses are a config error naming the entry.
            try cli.writeConfig("""
                STORE: \(cli.sqliteURL("plugin.sqlite"))
                PLUGINS: [\(library)]
                ASYNC_MANAGER_DEFAULT:
                  manager_class: sample.async_manager.SampleAsyncManager
                  config:
                    observers:
                      - type: example.observers.notify_file
                        durable: true
                """)
            let refused = try await cli.run(["check-config"])
            #expect(refused.exitCode == 2, "\(refused)")
            #expect(refused.stderr.contains("config.yaml:7"), "\(refused)")
            #expect(refused.stderr.contains("option 'path' is required"), "\(refused)")
        }
    }

    @Test func aBrokenPluginStopsEveryCommandWithAClearErrorAndExitStatus2() async throws {
        let crashing = try await RuntimePluginFixtures.build(
            "#include <stdlib.h>\n#include <stdint.h>\nint32_t asyncdash_plugin_register_v1(const void *host) { abort(); }", name: "libcrashing.so")
        let noEntry = try await RuntimePluginFixtures.build("int something(void) { return 1; }", name: "libnoentry.so")
        let futureABI = try await RuntimePluginFixtures.build(
            "#include <stdint.h>\nint32_t asyncdash_plugin_register_v2(const void *host) { return 0; }", name: "libfuture.so")
        try await withHarness { cli in
            let cases: [(String, String)] = [
                ("/no/such/libnotify.so", "plugin '/no/such/libnotify.so': no such file"),
                (crashing, "plugin '\(crashing)': it crashed while loading (signal 6 SIGABRT) in a child process; serve and worker refuse to start with it"),
                (noEntry, "plugin '\(noEntry)': it has no entry point asyncdash_plugin_register_v1"),
                (futureABI, "plugin '\(futureABI)': it is built for plugin ABI version 2; this AsyncDash speaks version 1"),
            ]
            for (path, message) in cases {
                try cli.writeConfig("""
                    STORE: \(cli.sqliteURL("broken.sqlite"))
                    PLUGINS: [\(path)]
                    ASYNC_MANAGER_DEFAULT:
                      manager_class: sample.async_manager.SampleAsyncManager
                    """)
                for command in [["check-config"], ["serve", "--bind", "127.0.0.1:0"], ["worker"]] {
                    let result = try await cli.run(command, timeout: .seconds(60))
                    #expect(result.exitCode == 2, "\(command[0]) with \(path): \(result)")
                    #expect(result.stderr.contains("config.yaml:2"), "\(command[0]): \(result)")
                    #expect(result.stderr.contains(message), "\(command[0]): \(result)")
                }
            }
        }
    }
}

/// Shared libraries built by the tests with the system C compiler against `asyncdash_plugin.h`.
enum RuntimePluginFixtures {
    static let header = CLIHarness.repositoryRoot.appendingPathComponent("Sources/CAsyncDashPlugin/include").path

    static func build(_ source: String, name: String) async throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("plugin-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let file = folder.appendingPathComponent("plugin.c")
        try source.write(to: file, atomically: true, encoding: .utf8)
        let library = folder.appendingPathComponent(name).path
        let compiler = Process()
        compiler.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        compiler.arguments = ["cc", "-shared", "-fPIC", "-I", header, "-o", library, file.path]
        try compiler.run()
        // Waited for with sleeps, never a blocking wait on the cooperative pool.
        while compiler.isRunning { try await Task.sleep(for: .milliseconds(20)) }
        compiler.waitUntilExit()
        guard compiler.terminationStatus == 0 else { throw CocoaError(.executableLoad) }
        return library
    }
}

/// The article "Writing a notification plugin": its Swift blocks are the example's files (which
/// `NotifyPluginCLITests` builds and loads), its shell block builds them, its config checks.
@Suite("Article: Writing a notification plugin", .serialized)
struct WritingAPluginArticleTests {
    static func blocks(_ language: String) throws -> [String] {
        let article = try String(
            contentsOf: CLIHarness.repositoryRoot.appendingPathComponent("Sources/AsyncDash/AsyncDash.docc/WritingANotificationPlugin.md"), encoding: .utf8)
        var blocks: [String] = []
        var current: [String]?
        for line in article.components(separatedBy: "\n") {
            if current == nil, line == "```\(language)" {
                current = []
            } else if current != nil, line == "```" {
                blocks.append(current!.joined(separator: "\n") + "\n")
                current = nil
            } else if current != nil {
                current!.append(line)
            }
        }
        return blocks
    }

    @Test func theSwiftBlocksAreTheExamplesFiles() throws {
        let swift = try Self.blocks("swift")
        #expect(swift.count == 2)
        let package = try String(contentsOf: NotifyPluginCLITests.example.appendingPathComponent("Package.swift"), encoding: .utf8)
        let source = try String(contentsOf: NotifyPluginCLITests.example.appendingPathComponent("Sources/NotifyPlugin/NotifyPlugin.swift"), encoding: .utf8)
        #expect(swift.first == package)
        #expect(swift.last == source)
    }

    @Test func theCopyBlockMakesTheExamplesABITarget() async throws {
        let copy = try #require(try Self.blocks("sh").first)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("plugin-package-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let shell = Process()
        shell.executableURL = URL(fileURLWithPath: "/bin/bash")
        shell.arguments = ["-euc", copy]
        shell.currentDirectoryURL = folder
        shell.environment = ["ASYNCDASH": CLIHarness.repositoryRoot.path, "PATH": "/usr/bin:/bin"]
        try shell.run()
        while shell.isRunning { try await Task.sleep(for: .milliseconds(20)) }
        shell.waitUntilExit()
        #expect(shell.terminationStatus == 0)
        for file in ["include/asyncdash_plugin.h", "abi.c"] {
            let made = try String(contentsOf: folder.appendingPathComponent("Sources/CAsyncDashPluginABI/\(file)"), encoding: .utf8)
            let example = try String(contentsOf: NotifyPluginCLITests.example.appendingPathComponent("Sources/CAsyncDashPluginABI/\(file)"), encoding: .utf8)
            #expect(made == example, "\(file)")
        }
    }

    @Test func theBuildCommandAndTheConfigWork() async throws {
        let shell = try Self.blocks("sh")
        let build = try #require(shell.last).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(build == "swift build -c release --package-path Examples/NotifyPlugin")
        // The block's command, in a scratch folder of the tests' own (release, as printed).
        let scratch = NotifyPluginCLITests.scratch.appendingPathComponent("article")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        let arguments = Array(build.split(separator: " ").dropFirst().map(String.init)) + ["--scratch-path", scratch.path]
        let (status, output) = try await SwiftToolRun.run(
            arguments, in: CLIHarness.repositoryRoot, log: NotifyPluginCLITests.scratch.appendingPathComponent("article.log"), timeout: .seconds(900))
        try #require(status == 0, "\(output.suffix(3000))")
        let library = scratch.appendingPathComponent("release/libNotifyPlugin.so").path
        let yaml = try #require(try Self.blocks("yaml").first)
        try await withHarness { cli in
            try cli.writeConfig(yaml.replacingOccurrences(of: "Examples/NotifyPlugin/.build/release/libNotifyPlugin.so", with: library))
            let check = try await cli.run(["check-config"])
            #expect(check.exitCode == 0, "\(check)")
            #expect(check.stdout.contains("  \(library): observer example.observers.notify_file"), "\(check)")
        }
    }
}
