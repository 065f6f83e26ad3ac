import AsyncDash
import Foundation
import Testing

@Suite("asyncdash bench e2e")
struct BenchE2ETests {
    @Test(arguments: ["inprocess", "sqlite"])
    func everyTaskIsLaunchedRunAndCleanedUp(_ queue: String) async throws {
        try await withHarness { cli in
            try cli.copyShippedConfig()
            let store = cli.sqliteURL("e2e.sqlite")
            let result = try await cli.run(["bench", "e2e", "--queue", queue, "--store", store, "-n", "60", "--task-prefix", "E"])
            #expect(result.exitCode == 0, "\(result)")
            let last = result.stdout.split(separator: "\n").last.map(String.init) ?? ""
            #expect(last.wholeMatch(of: /e2e_tasks_per_s=\d+ n=60/) != nil, "\(last)")
            let list = try await cli.run(["list", "--json", "--limit", "1000"], environment: ["ASYNCDASH_STORE": store])
            let records = try #require(try list.json().arrayValue)
            #expect(records.count == 60)
            #expect(records.allSatisfy { $0["status"] == "success" && $0["cleaned_up"] == true })
            let locks = try await cli.run(["locks", "list"], environment: ["ASYNCDASH_STORE": store])
            #expect(locks.stdout.contains("no locks held"), "\(locks)")
        }
    }
}
