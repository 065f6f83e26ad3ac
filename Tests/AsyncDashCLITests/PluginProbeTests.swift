import AsyncDash
@testable import AsyncDashCLI
import Foundation
import Testing

/// The child process that loads a run-time plugin before the host does (issue 10): a plugin
/// that never finishes loading is stopped at the time limit and named, not waited for.
@Suite("Plugin probe")
struct PluginProbeTests {
    @Test func aPluginThatHangsWhileLoadingIsStoppedAtTheTimeLimit() async throws {
        let hanging = try await RuntimePluginFixtures.build(
            "#include <unistd.h>\n#include <stdint.h>\nint32_t asyncdash_plugin_register_v1(const void *host) { sleep(600); return 0; }",
            name: "libhanging.so")
        let started = ContinuousClock.now
        let problem = await PluginProbe.probe(hanging, executable: try CLIHarness.binary().path, timeLimit: .seconds(1))
        #expect(
            problem == "it did not finish loading within 1 seconds (stopped with signal 15); serve and worker refuse to start with it",
            "\(problem ?? "loaded")")
        print("a hanging plugin was stopped after \(started.duration(to: .now)) (limit 1 s)")
    }

    @Test func aPluginThatLoadsPassesTheProbe() async throws {
        let quiet = try await RuntimePluginFixtures.build(
            "#include <stdint.h>\nint32_t asyncdash_plugin_register_v1(const void *host) { return 0; }", name: "libquiet.so")
        #expect(await PluginProbe.probe(quiet, executable: try CLIHarness.binary().path, timeLimit: .seconds(30)) == nil)
    }
}
