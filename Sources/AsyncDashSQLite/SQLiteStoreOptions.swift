/// How a ``SQLiteStore`` opens its database file.
///
/// ```swift
/// let store = try SQLiteStore(path: "var/asyncdash.sqlite", options: .init(synchronous: .normal))
/// ```
///
/// The same options can be given in a store URL:
/// `sqlite:///var/lib/app/asyncdash.sqlite?synchronous=normal&busy_timeout_ms=5000`
/// (see ``SQLiteStore/parse(url:)``).
public struct SQLiteStoreOptions: Sendable, Hashable {
    /// SQLite's `synchronous` setting: how hard each commit waits for the disk.
    ///
    /// A struct over a private enum, so settings can be added without breaking users.
    public struct Synchronous: Sendable, Hashable, CustomStringConvertible {
        private enum Value: String, CaseIterable {
            case normal
            case full
        }

        private let value: Value

        private init(_ value: Value) {
            self.value = value
        }

        /// Durable on power loss: the write-ahead log is synced on every commit (the default).
        public static let full = Synchronous(.full)

        /// Durable when the process crashes, but the last commits may be lost on power loss
        /// or an operating-system crash. Faster on slow disks.
        public static let normal = Synchronous(.normal)

        /// The setting named `name` (`normal` or `full`, any case), or `nil`.
        public init?(name: String) {
            guard let value = Value(rawValue: name.lowercased()) else { return nil }
            self.value = value
        }

        /// The names ``init(name:)`` accepts.
        public static var names: [String] { Value.allCases.map(\.rawValue) }

        /// The setting's name, as in `PRAGMA synchronous = NAME`.
        public var description: String { value.rawValue }
    }

    /// How each commit waits for the disk; ``Synchronous/full`` by default.
    public var synchronous: Synchronous

    /// How long a write waits for another connection or process holding the write lock
    /// before it fails with `SQLITE_BUSY`; 10 seconds by default.
    public var busyTimeout: Duration

    /// The most writes committed together in one transaction by the group-commit writer.
    public var maximumBatchSize: Int

    /// How often the change feed reads the change log while anyone listens: the longest a live
    /// view waits to hear of a change another process made; 100 ms by default.
    public var changePollInterval: Duration

    /// How many read-only connections (each on its own thread) run long reads: listing pages,
    /// searches, counts without a kept total; 2 by default. See ``readTimeLimit``.
    public var scanReaders: Int

    /// The range ``scanReaders`` is kept in.
    public static let scanReadersRange: ClosedRange<Int> = 1...64

    /// How long one long read may run before it is interrupted (the caller gets
    /// ``StoreBusyError``); 10 seconds by default.
    public var readTimeLimit: Duration

    /// The range ``readTimeLimit`` is kept in.
    public static let readTimeLimitRange: ClosedRange<Duration> = .milliseconds(1) ... .seconds(3600)

    /// The range ``changePollInterval`` is kept in.
    public static let changePollRange: ClosedRange<Duration> = .milliseconds(10) ... .seconds(60)

    /// - Parameters:
    ///   - synchronous: How each commit waits for the disk (default ``Synchronous/full``).
    ///   - busyTimeout: How long a write waits for the write lock (default 10 s).
    ///   - maximumBatchSize: The most writes per group commit (default 4096).
    ///   - changePollInterval: How often the change feed polls while anyone listens (default
    ///     100 ms; kept within ``changePollRange``).
    ///   - scanReaders: Connections for long reads (default 2; kept within ``scanReadersRange``).
    ///   - readTimeLimit: How long one long read may run (default 10 s; kept within
    ///     ``readTimeLimitRange``).
    public init(
        synchronous: Synchronous = .full, busyTimeout: Duration = .seconds(10), maximumBatchSize: Int = 4096,
        changePollInterval: Duration = .milliseconds(100), scanReaders: Int = 2, readTimeLimit: Duration = .seconds(10)
    ) {
        self.scanReaders = min(max(scanReaders, Self.scanReadersRange.lowerBound), Self.scanReadersRange.upperBound)
        self.readTimeLimit = min(max(readTimeLimit, Self.readTimeLimitRange.lowerBound), Self.readTimeLimitRange.upperBound)
        self.synchronous = synchronous
        self.busyTimeout = busyTimeout
        self.maximumBatchSize = max(1, maximumBatchSize)
        self.changePollInterval = min(max(changePollInterval, Self.changePollRange.lowerBound), Self.changePollRange.upperBound)
    }
}
