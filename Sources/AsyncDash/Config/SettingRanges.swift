/// The valid range of each time setting, in seconds: one table for the config file, the
/// environment and `check-config`, so no value can trap later (a duration near `Int.max`) or
/// break what the setting means (a lock that expires at once).
public enum SettingRanges {
    /// One setting's range, and what 0 means when 0 is allowed below the minimum.
    public struct Range: Sendable, Hashable {
        public var minimum: Int
        public var maximum: Int
        /// Allowed as well as `minimum...maximum`, with this meaning (e.g. "off").
        public var zeroMeans: String?

        public func contains(_ seconds: Int) -> Bool {
            (minimum...maximum).contains(seconds) || (seconds == 0 && zeroMeans != nil)
        }

        /// "1 to 31536000" (", or 0: no scheduled clean-up").
        public var bounds: String {
            "\(minimum) to \(maximum)" + (zeroMeans.map { ", or 0: \($0)" } ?? "")
        }

        /// "from 1 to 31536000 seconds" (", or 0: no scheduled clean-up").
        public var description: String {
            "from \(minimum) to \(maximum) seconds" + (zeroMeans.map { ", or 0: \($0)" } ?? "")
        }
    }

    static let year = 31_536_000

    /// Each time setting's range.
    public static let seconds: [String: Range] = [
        // A lock that expires at once lets a second launch take it while the first runs.
        "CONFLICT_TTL": Range(minimum: 1, maximum: year),
        "PROGRESS_TTL": Range(minimum: 1, maximum: year),
        "CLEANUP_GRACE_PERIOD": Range(minimum: 0, maximum: year),
        "MAX_TASK_DURATION": Range(minimum: 1, maximum: year),
        // An interval of 0 would run clean-up back to back; 0 turns the schedule off instead.
        "CLEANUP_SCHEDULE_INTERVAL": Range(minimum: 1, maximum: year, zeroMeans: "no scheduled clean-up"),
        // A lease that ends at once is reclaimed while its worker runs it; a worker heartbeats
        // every third of the lease.
        "LEASE_TTL": Range(minimum: 1, maximum: 86_400),
    ]

    /// Why `seconds` is not valid for `key`, or `nil` when it is.
    static func problem(_ key: String, _ seconds: Int) -> String? {
        guard let range = Self.seconds[key], !range.contains(seconds) else { return nil }
        return "\(key) must be \(range.description), got \(seconds)"
    }
}
