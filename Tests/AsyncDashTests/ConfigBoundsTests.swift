import AsyncDash
import Foundation
import Testing

/// Config input that would trap, hang or exhaust memory is refused with an error at its place.
@Suite("Config bounds")
struct ConfigBoundsTests {
    func errors(_ text: String, environment: [String: String] = [:]) -> [String] {
        do {
            _ = try ConfigLoader.parse(text, file: "config.yaml", environment: environment)
            return []
        } catch {
            return error.diagnostics.map(\.description)
        }
    }

    @Test func anAliasBombIsAnErrorNotAnExpansion() {
        // Nine levels of nine aliases: 9^9 (387 million) values once expanded, in 700 bytes.
        var lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
        for level in 1...9 {
            let previous = "*a\(level - 1)"
            lines.append("a\(level): &a\(level) [\(Array(repeating: previous, count: 9).joined(separator: ", "))]")
        }
        lines.append("ASYNC_MANAGER_DEFAULT:\n  manager_class: sample.async_manager.SampleAsyncManager\n  config:\n    create_defaults: *a9")
        let text = lines.joined(separator: "\n")
        #expect(text.utf8.count < 1_000)
        let started = ContinuousClock.now
        let found = errors(text)
        #expect(found.count == 1, "\(found)")
        #expect(found.first?.contains("more than 100000 values once YAML aliases are expanded") == true, "\(found)")
        #expect(found.first?.hasPrefix("config.yaml:") == true)
        _ = started  // bounded by the walk's limit, not timed here: see the README's figures
    }

    @Test func deepFlowNestingIsRefusedBeforeTheParserRecurses() {
        let deep = "PLUGINS: " + String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        let found = errors(deep)
        #expect(found.count == 1 && found[0].contains("nested more than 64 levels"), "\(found)")
        // Brackets inside quotes and comments do not count.
        let quoted = "PLUGINS: ['" + String(repeating: "[", count: 200) + "'] # " + String(repeating: "{", count: 200)
        #expect(errors(quoted).allSatisfy { !$0.contains("nested") }, "\(errors(quoted))")
    }

    @Test func anOversizedFileIsRefusedUnread() {
        let huge = "STORE: memory\n#" + String(repeating: "x", count: 2_000_000)
        let found = errors(huge)
        #expect(found.count == 1 && found[0].contains("the most read is 1048576"), "\(found)")
    }

    @Test func aHugeValueIsQuotedCutInTheError() {
        let found = errors("QUEUE: " + String(repeating: "q", count: 5_000_000 / 10))
        #expect(found.count == 1, "\(found)")
        #expect(found[0].count < 1_200, "\(found[0].count) characters")
        #expect(found[0].contains("characters cut"), "\(found)")
    }

    @Test(arguments: [
        ("CONFLICT_TTL", "0", "1 to 31536000"),
        ("PROGRESS_TTL", "0", "1 to 31536000"),
        ("MAX_TASK_DURATION", "0", "1 to 31536000"),
        ("LEASE_TTL", "0", "1 to 86400"),
        ("LEASE_TTL", "86401", "1 to 86400"),
        ("CLEANUP_SCHEDULE_INTERVAL", "-5", "or 0: no scheduled clean-up"),
        ("CONFLICT_TTL", "9223372036854775807", "1 to 31536000"),
        ("CLEANUP_GRACE_PERIOD", "99999999999999999999", "whole number of seconds"),
    ])
    func timeSettingsOutOfRangeAreErrorsInTheFileAndTheEnvironment(key: String, value: String, range: String) {
        let inFile = errors("\(key): \(value)\n")
        #expect(inFile.count == 1 && inFile[0].contains(key) && inFile[0].contains(range), "\(inFile)")
        let inEnvironment = errors("STORE: memory\n", environment: ["ASYNCDASH_\(key)": value])
        #expect(inEnvironment.count == 1 && inEnvironment[0].contains("ASYNCDASH_\(key)") && inEnvironment[0].contains(range), "\(inEnvironment)")
    }

    @Test func zeroTurnsTheCleanUpScheduleOffAndTheRangesHoldTheirLimits() throws {
        let config = try ConfigLoader.parse("CLEANUP_SCHEDULE_INTERVAL: 0\nLEASE_TTL: 1\nCONFLICT_TTL: 31536000\n", file: "config.yaml")
        #expect(config.settings.cleanupScheduleInterval == .zero)
        #expect(config.settings.leaseTTL == .seconds(1))
        #expect(config.settings.conflictTTL == .seconds(31_536_000))
    }
}
