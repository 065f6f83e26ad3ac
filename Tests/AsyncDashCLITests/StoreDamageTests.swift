import AsyncDash
import Foundation
import Testing

/// A damaged store is reported, not discovered by a failing request (issue 9, item 7):
/// `doctor` runs SQLite's integrity check and exits 1; `serve` reads the whole file at start and
/// says it is damaged. Real SQLite file, damaged on disk.
@Suite("store damage", .serialized)
struct StoreDamageTests {
    @Test func doctorAndServeReportADamagedFile() async throws {
        try await withHarness { cli in
            try cli.copyShippedConfig()
            let url = cli.sqliteURL("damaged.sqlite")
            let path = cli.directory.appendingPathComponent("damaged.sqlite").path
            let seeded = try await cli.run(["bench", "list", "--records", "3000", "--samples", "2", "--no-http", "--store", url], timeout: .seconds(300))
            #expect(seeded.exitCode == 0, "\(seeded)")
            let environment = ["ASYNCDASH_STORE": url]
            let sound = try await cli.run(["doctor"], environment: environment)
            #expect(sound.exitCode == 0, "\(sound)")
            #expect(sound.stdout.contains("integrity: ok — every page read, no damage found"), "\(sound)")

            // Damage the second half of the file (page 1, the header and schema, stays readable),
            // and remove the write-ahead log, as an operator's mistake or a failing disk would.
            for suffix in ["-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
            let handle = try #require(FileHandle(forUpdatingAtPath: path))
            let size = try handle.seekToEnd()
            #expect(size > 64 * 1024, "the seeded file is only \(size) bytes")
            var offset = size / 2
            while offset + 4096 <= size {
                try handle.seek(toOffset: offset + 8)   // past each page's first bytes: keep page headers plausible
                try handle.write(contentsOf: Data(repeating: 0xA5, count: 1024))
                offset += 8192
            }
            try handle.close()

            let damaged = try await cli.run(["doctor"], environment: environment)
            #expect(damaged.exitCode == 1, "\(damaged)")
            #expect(damaged.stdout.contains("integrity: FAILED"), "\(damaged)")
            #expect(damaged.stderr.contains("integrity failed"), "\(damaged)")
            let json = try await cli.run(["doctor", "--json"], environment: environment)
            #expect(json.exitCode == 1, "\(json)")
            #expect(try json.json()["integrity"]?["ok"] == .bool(false), "\(json)")

            let serve = try cli.start(["serve", "--bind", "127.0.0.1:0"], environment: environment, deadline: .seconds(90))
            #expect(await serve.waitForOutput("store damaged: \(url)", timeout: .seconds(60)), "\(serve.description)")
            _ = await serve.terminate()
        }
    }
}
