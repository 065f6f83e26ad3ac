import Foundation
import Testing

@Suite("asyncdash demo")
struct DemoTests {
    @Test
    func theDemoRunsTheSampleTasksToTheirEnds() async throws {
        // The shipped config as is: the embedded SQLite default in the working directory.
        let result = try await withHarness { cli in
            try cli.copyShippedConfig()
            return try await cli.run(["demo", "--items", "5", "--delay-ms", "100"])
        }
        #expect(result.exitCode == 0, "\(result.stderr)")
        #expect(result.stdout.contains("update-books-1-3: succeeded: {\"updated\":5}"))
        #expect(result.stdout.contains("update-books-2-4: not started: task"))
        #expect(result.stdout.contains("conflicts with running work"))
        #expect(result.stdout.contains("fail-on-7: failed: value 7 is the failing value"))
        #expect(result.stdout.contains("long-running: succeeded"))
    }
}
