import AsyncDash
import Foundation
import Testing

/// Hostile HTTP through a real socket to `asyncdash serve`: each request gets a bounded answer
/// (a status below 500, a body of bounded size), and the server stays up and answers the next
/// request — no crash, no hang.
@Suite("Hostile input: HTTP", .serialized)
struct HostileHTTPTests {
    /// `curl` `arguments…` → (status, body bytes), or nil when curl could not run.
    static func curl(_ arguments: [String]) -> (status: Int, bytes: Int)? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        process.arguments = ["-s", "-g", "-o", "/dev/null", "-w", "%{http_code} %{size_download}", "--max-time", "20"] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        guard (try? process.run()) != nil else { return nil }
        process.waitUntilExit()
        let words = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).split(separator: " ")
        guard words.count == 2, let status = Int(words[0]), let bytes = Int(words[1]) else { return nil }
        return (status, bytes)
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/curl"), "needs curl"))
    func everyHostileRequestGetsABoundedAnswerAndTheServerStaysUp() async throws {
        try await withHarness { cli in
            try cli.copyShippedConfig()
            let env = cli.queueEnvironment("hostile-http.sqlite")
            _ = try await cli.run(["emit", "create", "--task", "t1", "--user", "alice"], environment: env)
            let serve = try cli.start(["serve", "--bind", "127.0.0.1:0"], environment: env, deadline: .seconds(120))
            #expect(await serve.waitForOutput("dashboard: http://"), "\(serve.description)")
            let base = try #require(BrowserTests.dashboardURL(in: serve.stdout))   // http://127.0.0.1:PORT/async-dashboard/
            let origin = String(base.dropLast("/async-dashboard/".count))
            let long = String(repeating: "a", count: 100_000)   // one exec argument holds at most 128 KiB
            let form = cli.directory.appendingPathComponent("form.txt")
            try Data(("task_name=" + String(repeating: "c", count: 1_000_000)).utf8).write(to: form)
            let deep = cli.directory.appendingPathComponent("deep.json")
            try Data((String(repeating: "[", count: 1_000_000) + String(repeating: "]", count: 1_000_000)).utf8).write(to: deep)
            let cases: [(String, [String])] = [
                ("a 100 KB search", [base + "?q=" + long]),
                ("a 100 KB task name", [origin + "/async/progress/?task_name=" + long]),
                ("a bad percent-encoding", [base + "?q=%ZZ%"]),
                ("a cursor that is not one", [base + "?after=" + String(repeating: "%FF", count: 2_000)]),
                ("an unknown sort and page", [base + "?sort=nope&order=sideways&page=-1"]),
                ("a page size past the limit", [base + "?page_size=99999999999999999999"]),
                ("path traversal in static files", ["--path-as-is", base + "-/static/../../../../etc/passwd"]),
                ("control characters in a task name", [base + "t%00%1B%5B2J/"]),
                ("a 60 KB header", ["-H", "X-Big: " + String(repeating: "b", count: 60_000), base]),
                ("a 1 MB form body", ["-X", "POST", "--data-binary", "@" + form.path, origin + "/async/progress/"]),
                ("an API request for a huge limit", [origin + "/api/tasks?limit=99999999999999999999"]),
                ("a 2 MB JSON body on a page route", ["-X", "POST", "-H", "Content-Type: application/json", "--data-binary", "@" + deep.path, base + "t1/cancel"]),
            ]
            for (what, arguments) in cases {
                let answer = await ServeDashboardTests.offThePool { Self.curl(arguments) }
                let (status, bytes) = try #require(answer, "\(what): curl failed")
                #expect((200..<500).contains(status), "\(what): status \(status)")
                #expect(bytes < 2_000_000, "\(what): \(bytes) bytes")
                #expect(serve.isRunning, "\(what): the server stopped\n\(serve.description)")
                let after = await ServeDashboardTests.offThePool { Self.curl([origin + "/async/progress/?task_name=t1"]) }
                #expect(after?.status == 200, "\(what): the next request got \(String(describing: after))")
            }
            #expect(await serve.terminate() == 0, "\(serve.description)")
        }
    }
}
