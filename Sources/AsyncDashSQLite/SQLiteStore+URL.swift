import Foundation

extension SQLiteStore {
    /// The URL scheme of SQLite store URLs.
    public static let urlScheme = "sqlite"

    /// Reads a SQLite store URL into a file path and options.
    ///
    /// - `sqlite://relative/path.sqlite` — a path relative to the working directory;
    /// - `sqlite:///absolute/path.sqlite` — an absolute path;
    /// - query options: `synchronous=normal|full`, `busy_timeout_ms=N` (0 to 3,600,000),
    ///   `change_poll_ms=N` (10 to 60,000), `scan_readers=N` (1 to 64: connections for long reads),
    ///   `read_timeout_ms=N` (1 to 3,600,000: how long one long read may run).
    ///
    /// ```swift
    /// let (path, options) = try SQLiteStore.parse(url: "sqlite:///var/app/dash.sqlite?synchronous=normal")
    /// let store = try SQLiteStore(path: path, options: options)
    /// ```
    ///
    /// - Throws: ``SQLiteStoreError`` naming the URL or option and what would be valid.
    public static func parse(url: String) throws -> (path: String, options: SQLiteStoreOptions) {
        let prefix = urlScheme + ":"
        guard url.lowercased().hasPrefix(prefix) else {
            throw SQLiteStoreError(
                .invalidURL, value: url,
                reason: "expected sqlite://relative/path.sqlite or sqlite:///absolute/path.sqlite")
        }
        var rest = Substring(url.dropFirst(prefix.count))
        if rest.hasPrefix("//") { rest = rest.dropFirst(2) }
        var query: Substring = ""
        if let mark = rest.firstIndex(of: "?") {
            query = rest[rest.index(after: mark)...]
            rest = rest[..<mark]
        }
        if let hash = rest.firstIndex(of: "#") { rest = rest[..<hash] }
        guard let path = String(rest).removingPercentEncoding, !path.isEmpty, path != "/" else {
            throw SQLiteStoreError(
                .invalidURL, value: url,
                reason: "no file path; expected sqlite://relative/path.sqlite or sqlite:///absolute/path.sqlite")
        }
        return (path, try parseOptions(query))
    }

    private static func parseOptions(_ query: Substring) throws -> SQLiteStoreOptions {
        var options = SQLiteStoreOptions()
        for pair in query.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = String(parts[0]).removingPercentEncoding ?? String(parts[0])
            let value = parts.count > 1 ? (String(parts[1]).removingPercentEncoding ?? String(parts[1])) : ""
            switch name {
            case "synchronous":
                guard let setting = SQLiteStoreOptions.Synchronous(name: value) else {
                    throw SQLiteStoreError(
                        .invalidOption, value: "synchronous=\(value)",
                        reason: "expected synchronous=" + SQLiteStoreOptions.Synchronous.names.joined(separator: " or synchronous="))
                }
                options.synchronous = setting
            case "busy_timeout_ms":
                options.busyTimeout = .milliseconds(try milliseconds(name, value, in: 0...3_600_000, example: 10_000))
            case "change_poll_ms":
                options.changePollInterval = .milliseconds(try milliseconds(name, value, in: 10...60_000, example: 100))
            case "scan_readers":
                let range = SQLiteStoreOptions.scanReadersRange
                guard let count = Int(value), range.contains(count) else {
                    throw SQLiteStoreError(
                        .invalidOption, value: "\(name)=\(value)",
                        reason: "expected a whole number of connections from \(range.lowerBound) to \(range.upperBound) (e.g. scan_readers=2)")
                }
                options.scanReaders = count
            case "read_timeout_ms":
                options.readTimeLimit = .milliseconds(try milliseconds(name, value, in: 1...3_600_000, example: 10_000))
            default:
                throw SQLiteStoreError(
                    .invalidOption, value: String(pair),
                    reason: "unknown option '\(name)'; valid options are synchronous=normal|full, busy_timeout_ms=N, change_poll_ms=N, scan_readers=N and read_timeout_ms=N")
            }
        }
        return options
    }

    /// The whole number of milliseconds `value` of option `name`, within `range`.
    private static func milliseconds(_ name: String, _ value: String, in range: ClosedRange<Int>, example: Int) throws -> Int {
        guard let milliseconds = Int(value), range.contains(milliseconds) else {
            throw SQLiteStoreError(
                .invalidOption, value: "\(name)=\(value)",
                reason: "expected a whole number of milliseconds from \(range.lowerBound) to \(range.upperBound) (e.g. \(name)=\(example))")
        }
        return milliseconds
    }
}
