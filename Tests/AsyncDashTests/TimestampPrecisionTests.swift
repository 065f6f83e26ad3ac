import AsyncDash
import Foundation
import Testing

/// Timestamps keep microseconds: truncated when an event is made, read back exactly.
@Suite("Timestamp precision")
struct TimestampPrecisionTests {
    @Test func iso8601WritesAndReadsMicroseconds() throws {
        let date = Date(timeIntervalSince1970: 1_800_000_000.123456)
        #expect(ISO8601.format(date) == "2027-01-15T08:00:00.123456Z")
        #expect(ISO8601.parse("2027-01-15T08:00:00.123456Z") == date.truncatedToMicroseconds)
        #expect(ISO8601.parse("2027-01-15T08:00:00.1234567891234567891234Z") == date.truncatedToMicroseconds)
        #expect(ISO8601.parse("2027-01-15T08:00:00Z") == Date(timeIntervalSince1970: 1_800_000_000))
        #expect(ISO8601.format(Date(timeIntervalSince1970: -0.5)) == "1969-12-31T23:59:59.500000Z")
        for bad in ["2027-13-15T08:00:00Z", "2027-01-15T08:00:00.Z", "2027-01-15T08:00:00.12aZ", "x"] {
            #expect(ISO8601.parse(bad) == nil, "\(bad)")
        }
        // Truncation is idempotent, and formatting what was truncated round-trips.
        for value in [0.000001, 1_700_000_000.999999, 1_764_460_800.1, 1_764_460_800.000001] {
            let truncated = Date(timeIntervalSince1970: value).truncatedToMicroseconds
            #expect(truncated.truncatedToMicroseconds == truncated)
            #expect(ISO8601.parse(ISO8601.format(truncated)) == truncated, "\(value)")
        }
    }

    @Test(arguments: Backend.allCases)
    func anEventsTimestampIsReadBackExactlyAsTruncated(_ backend: Backend) async throws {
        let manager = try await makeSampleManager(backend)
        let at = Date(timeIntervalSince1970: 1_800_000_000.123456789)
        let event = LifecycleEvent(.complete, task: "t1", timestamp: at)
        #expect(event.timestamp == Date(timeIntervalSince1970: 1_800_000_000.123456).truncatedToMicroseconds)
        await manager.emit(event)
        let record = try await manager.requireRecord("t1")
        #expect(record["completed_at"] == .timestamp(event.timestamp))
        #expect(record["completed_at"].json == .string("2027-01-15T08:00:00.123456Z"))
    }
}
