import Foundation

/// ISO 8601 timestamps in UTC with microseconds, the precision every store keeps.
public enum ISO8601 {
    /// Formats `date` as e.g. `2026-11-29T03:53:10.123456Z` (truncated to the microsecond).
    public static func format(_ date: Date) -> String {
        let micros = microseconds(date)
        var seconds = micros / 1_000_000
        var fraction = micros % 1_000_000
        if fraction < 0 {
            seconds -= 1
            fraction += 1_000_000
        }
        var time = time_t(seconds)
        var parts = tm()
        guard gmtime_r(&time, &parts) != nil else {
            return date.formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted))
        }
        func padded(_ value: Int32, _ width: Int) -> String {
            let text = String(value)
            return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
        }
        let micro = String(fraction)
        return padded(parts.tm_year + 1900, 4) + "-" + padded(parts.tm_mon + 1, 2) + "-" + padded(parts.tm_mday, 2)
            + "T" + padded(parts.tm_hour, 2) + ":" + padded(parts.tm_min, 2) + ":" + padded(parts.tm_sec, 2)
            + "." + String(repeating: "0", count: 6 - micro.count) + micro + "Z"
    }

    /// Parses `2026-11-29T03:53:10Z`, with or without fractional seconds (up to microseconds are
    /// kept), or with an offset.
    public static func parse(_ text: String) -> Date? {
        if let date = parseUTC(text) { return date }
        if let d = try? Date(text, strategy: .iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted)) {
            return d
        }
        if let d = try? Date(text, strategy: .iso8601) { return d }
        let withFraction = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
        return try? withFraction.parse(text)
    }

    /// Whole microseconds since 1970 (truncated toward the past).
    static func microseconds(_ date: Date) -> Int64 {
        let scaled = date.timeIntervalSince1970 * 1_000_000
        guard scaled.isFinite, abs(scaled) < 9.0e18 else { return scaled < 0 ? -9_000_000_000_000_000_000 : 9_000_000_000_000_000_000 }
        // A value already on a microsecond can come out a hair below it: round that up.
        return Int64((scaled + 1e-3).rounded(.down))
    }

    /// `YYYY-MM-DDTHH:MM:SS[.ffffff…]Z`, read exactly (digits past the sixth are dropped).
    private static func parseUTC(_ text: String) -> Date? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 20, bytes.last == UInt8(ascii: "Z") else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for index in range {
                let byte = bytes[index]
                guard byte >= 0x30, byte <= 0x39 else { return nil }
                value = value * 10 + Int(byte - 0x30)
            }
            return value
        }
        guard bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"), bytes[10] == UInt8(ascii: "T"),
            bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":"),
            let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
            let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19),
            (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61
        else { return nil }
        var micro = 0
        if bytes.count > 20 {
            guard bytes[19] == UInt8(ascii: "."), bytes.count > 21 else { return nil }
            let digits = 20..<(bytes.count - 1)
            guard digits.allSatisfy({ bytes[$0] >= 0x30 && bytes[$0] <= 0x39 }) else { return nil }
            for (offset, index) in digits.enumerated() where offset < 6 {
                micro += Int(bytes[index] - 0x30) * [100_000, 10_000, 1_000, 100, 10, 1][offset]
            }
        } else if bytes[19] != UInt8(ascii: "Z") {
            return nil
        }
        var parts = tm()
        parts.tm_year = Int32(year - 1900)
        parts.tm_mon = Int32(month - 1)
        parts.tm_mday = Int32(day)
        parts.tm_hour = Int32(hour)
        parts.tm_min = Int32(minute)
        parts.tm_sec = Int32(second)
        let seconds = timegm(&parts)
        guard seconds != -1 || (year == 1969 && month == 12 && day == 31) else { return nil }
        return Date(timeIntervalSince1970: (Double(Int64(seconds) * 1_000_000 + Int64(micro))) / 1_000_000)
    }
}

extension Date {
    /// This date truncated to the microsecond: the precision stores keep, so a time written is
    /// exactly the time read back (``LifecycleEvent`` timestamps are made so).
    public var truncatedToMicroseconds: Date {
        Date(timeIntervalSince1970: Double(ISO8601.microseconds(self)) / 1_000_000)
    }
}
