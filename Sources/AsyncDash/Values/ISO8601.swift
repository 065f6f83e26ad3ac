import Foundation

/// ISO 8601 timestamps with fractional seconds, in UTC.
public enum ISO8601 {
    /// Formats `date` as e.g. `2026-11-29T03:53:10.123Z`.
    public static func format(_ date: Date) -> String {
        date.formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted))
    }

    /// Parses `2026-11-29T03:53:10Z`, with or without fractional seconds, or with an offset.
    public static func parse(_ text: String) -> Date? {
        if let d = try? Date(text, strategy: .iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted)) {
            return d
        }
        if let d = try? Date(text, strategy: .iso8601) { return d }
        let withFraction = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
        return try? withFraction.parse(text)
    }
}
