import AsyncDash
import Foundation
import Testing

/// Several `asyncdash` processes sharing one SQLite file.
@Suite("asyncdash across processes", .serialized)
struct CrossProcessTests {
    @Test func concurrentLifecycleBenchesRecordEveryTask() async throws {
        try await withHarness { cli in
            try cli.copyShippedConfig()
            let store = cli.sqliteURL("shared.sqlite")
            async let a = cli.run(["bench", "lifecycle", "--store", store, "-n", "150", "--concurrency", "8", "--task-prefix", "A"])
            async let b = cli.run(["bench", "lifecycle", "--store", store, "-n", "150", "--concurrency", "8", "--task-prefix", "B"])
            let results = try await [a, b]
            for result in results {
                #expect(result.exitCode == 0, "\(result)")
                let last = result.stdout.split(separator: "\n").last.map(String.init) ?? ""
                #expect(last.wholeMatch(of: /lifecycle_events_per_s=\d+ tasks_per_s=\d+ n=150/) != nil, "\(last)")
            }

            let list = try await cli.run(["list", "--json", "--limit", "1000"], environment: ["ASYNCDASH_STORE": store])
            #expect(list.exitCode == 0, "\(list)")
            let records = try #require(try list.json().arrayValue)
            let names = Set(records.compactMap { $0["task_name"]?.stringValue })
            let expected = Set((0..<150).flatMap { ["A-\($0)", "B-\($0)"] })
            #expect(names == expected)
            #expect(records.count == 300)
            let unfinished = records.filter { $0["status"]?.stringValue != "success" || $0["cleaned_up"] != true }
            #expect(unfinished.isEmpty, "\(unfinished.prefix(3))")
            #expect(records.allSatisfy { $0["progress_payload"]?.stringValue?.contains(#""done":10"#) == true })
        }
    }

    @Test func processesCreatingOneNewFileAtOnceAllSucceed() async throws {
        try await withHarness { cli in
            try cli.copyShippedConfig()
            for round in 0..<5 {
                let environment = ["ASYNCDASH_STORE": cli.sqliteURL("fresh-\(round).sqlite")]
                async let a = cli.run(["migrate"], environment: environment)
                async let b = cli.run(["locks", "reserve", "--task", "T\(round)", "book:1"], environment: environment)
                async let c = cli.run(["emit", "create", "--task", "E\(round)"], environment: environment)
                async let d = cli.run(["list", "--json"], environment: environment)
                for result in try await [a, b, c, d] {
                    #expect(result.exitCode == 0, "round \(round): \(result)")
                }
            }
        }
    }

    @Test func concurrentReservationsOfOneObjectHaveOneWinner() async throws {
        try await withHarness { cli in
            try cli.copyShippedConfig()
            let environment = ["ASYNCDASH_STORE": cli.sqliteURL("locks.sqlite")]
            for round in 0..<5 {
                let object = "book:\(round)"
                async let p = cli.run(["locks", "reserve", "--task", "P\(round)", object], environment: environment)
                async let q = cli.run(["locks", "reserve", "--task", "Q\(round)", object], environment: environment)
                let codes = try await [p.exitCode, q.exitCode].sorted()
                #expect(codes == [0, 3], "round \(round)")
            }
        }
    }

    @Test func benchLocksPrintsItsLine() async throws {
        try await withHarness { cli in
            try cli.copyShippedConfig()
            let result = try await cli.run(["bench", "locks", "--store", cli.sqliteURL(), "-n", "200", "--concurrency", "16"])
            #expect(result.exitCode == 0, "\(result)")
            let last = result.stdout.split(separator: "\n").last.map(String.init) ?? ""
            #expect(last.wholeMatch(of: /lock_reservations_per_s=\d+ n=200/) != nil, "\(last)")
            let locks = try await cli.run(["locks", "list", "--json"], environment: ["ASYNCDASH_STORE": cli.sqliteURL()])
            #expect(try locks.json() == [])
        }
    }
}
