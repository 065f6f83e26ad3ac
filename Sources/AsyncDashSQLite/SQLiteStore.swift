import AsyncDash
import Foundation
import GRDB
import Synchronization

/// The embedded default store: records and coordination state in one SQLite file, in WAL mode.
///
/// Several processes on one machine can share the file: every read-modify-write runs in a
/// `BEGIN IMMEDIATE` transaction, so a writer in another process waits (up to
/// ``SQLiteStoreOptions/busyTimeout``) instead of failing. Writes from concurrent tasks are
/// committed together (group commit), and each one is durable when its call returns.
///
/// ```swift
/// let store = try await SQLiteStore.open(path: "var/asyncdash.sqlite")
/// try await store.prepare(model)
/// try await store.upsert(model, key: "import-42") { record, _ in record["status"] = .text("pending") }
/// let stores = StoreSet.sqlite(store)   // or StoreSet.sqlite(path:)
/// ```
///
/// Opening a file creates or upgrades its tables and may wait for another process that holds
/// it, so ``open(path:options:clock:)`` does that work on a thread of its own; the synchronous
/// ``init(path:options:clock:)`` blocks its caller and is meant for code outside Swift
/// concurrency.
///
/// ``apply(_:key:_:)`` (the manager's write path) is one `INSERT … ON CONFLICT DO UPDATE`
/// statement; ``upsert(_:key:_:)`` reads the row and writes it back inside the same transaction.
///
/// Timestamps are stored as seconds since 1970 in a `REAL`, so a date read back may differ from
/// the one written in its last binary digit (well under a microsecond). Writes bypass GRDB's
/// change tracking, and other processes write too, so watch for changes with the store's change
/// feed (``subscribe()``), not with GRDB's `ValueObservation`.
public final class SQLiteStore: Sendable {
    /// The database file.
    public let path: String
    /// The options the file was opened with.
    public let options: SQLiteStoreOptions

    let pool: DatabasePool
    /// Lookups by key (records, progress entries, active tasks) on a connection of their own.
    let pointReader: SQLitePointReader
    /// Reads that may scan many rows, on connections and threads of their own (``SQLiteScanReader``).
    let scans: SQLiteScanReader
    let clock: any AsyncDashClock
    let batcher: SQLiteWriteBatcher
    let changeFeed: SQLiteChangeFeed
    private let modelSQL = Mutex<[String: SQLiteModelSQL]>([:])
    /// Record tables whose changes the writer connection captures (see `writeRecords`).
    let capturedTables = Mutex<Set<String>>([])
    /// When expired locks and progress entries are next purged (seconds since 1970, by `clock`).
    let nextPurge = Mutex<TimeInterval>(0)

    /// How often expired locks and progress entries are deleted (they read as absent anyway).
    static let purgeInterval: TimeInterval = 60

    /// Opens (or creates) the store's database file on the calling thread.
    ///
    /// This blocks the caller while it migrates the file and while another process holds it (up to
    /// the busy timeout); from async code use ``open(path:options:clock:)``, which does the same
    /// work off the cooperative thread pool.
    ///
    /// Creates the parent directories, opens the file in WAL mode, and creates or upgrades the
    /// coordination tables. Record tables are created by ``prepare(_:)``.
    ///
    /// - Parameters:
    ///   - path: The database file.
    ///   - options: Durability, busy timeout and group-commit settings.
    ///   - clock: Where lock and progress TTLs read the time from.
    public init(path: String, options: SQLiteStoreOptions = .init(), clock: any AsyncDashClock = SystemClock()) throws {
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent()
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var configuration = Configuration()
        configuration.busyMode = .timeout(options.busyTimeout.timeInterval)
        configuration.label = "AsyncDashSQLite"
        let synchronous = options.synchronous.description.uppercased()
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = \(synchronous)")
        }
        let pool = try Self.open(path: path, configuration: configuration, patience: options.busyTimeout)
        self.path = path
        self.options = options
        self.pool = pool
        self.pointReader = try SQLitePointReader(path: path, busyTimeout: options.busyTimeout)
        self.scans = SQLiteScanReader(path: path, options: options)
        self.clock = clock
        self.batcher = SQLiteWriteBatcher(pool: pool, maximumBatchSize: options.maximumBatchSize)
        self.changeFeed = SQLiteChangeFeed(pool: pool, interval: options.changePollInterval)
    }

    /// Opens the pool and runs the coordination migrations, retrying while another process holds
    /// the file: switching a new file to WAL mode takes an exclusive lock that SQLite's busy
    /// handler does not wait for, so two processes creating one file at once would otherwise fail.
    private static func open(path: String, configuration: Configuration, patience: Duration) throws -> DatabasePool {
        let deadline = ContinuousClock.now + patience
        var pause = 5.0
        while true {
            do {
                let pool = try DatabasePool(path: path, configuration: configuration)
                try SQLiteSchema.migrate(SQLiteSchema.coordinationMigrator, pool)
                try pool.writeWithoutTransaction { db in try db.execute(sql: SQLiteSchema.coordinationCaptureSQL) }
                return pool
            } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY || error.resultCode == .SQLITE_LOCKED {
                guard ContinuousClock.now < deadline else { throw error }
                usleep(UInt32(pause * Double.random(in: 500...1500)))  // pause ms, jittered
                pause = min(pause * 2, 200)
            }
        }
    }

    /// Opens the store a `sqlite:` URL names (see ``parse(url:)``) on the calling thread; from
    /// async code use ``open(url:clock:)``.
    ///
    /// - Throws: ``SQLiteStoreError`` for a bad URL, or the error opening the file.
    public convenience init(url: String, clock: any AsyncDashClock = SystemClock()) throws {
        let (path, options) = try Self.parse(url: url)
        try self.init(path: path, options: options, clock: clock)
    }

    /// Opens (or creates) the store's database file without blocking the caller's thread: the
    /// file is opened and migrated on a thread of its own (it writes and syncs the file, and may
    /// wait for another process), so tasks on the cooperative pool keep running meanwhile.
    ///
    /// ```swift
    /// let store = try await SQLiteStore.open(path: "var/asyncdash.sqlite")
    /// ```
    ///
    /// - Parameters:
    ///   - path: The database file.
    ///   - options: Durability, busy timeout and group-commit settings.
    ///   - clock: Where lock and progress TTLs read the time from.
    public static func open(
        path: String, options: SQLiteStoreOptions = .init(), clock: any AsyncDashClock = SystemClock()
    ) async throws -> SQLiteStore {
        try await offCooperativePool { try SQLiteStore(path: path, options: options, clock: clock) }
    }

    /// Opens the store a `sqlite:` URL names (see ``parse(url:)``) without blocking the
    /// caller's thread, like ``open(path:options:clock:)``.
    ///
    /// - Throws: ``SQLiteStoreError`` for a bad URL, or the error opening the file.
    public static func open(url: String, clock: any AsyncDashClock = SystemClock()) async throws -> SQLiteStore {
        let (path, options) = try parse(url: url)
        return try await open(path: path, options: options, clock: clock)
    }

    /// Runs blocking `work` on a Dispatch thread and suspends until it is done.
    static func offCooperativePool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            DispatchQueue.global().async { continuation.resume(with: Result(catching: work)) }
        }
    }

    /// The statements of `model`, built on first use.
    func sql(for model: RecordModel) -> SQLiteModelSQL {
        modelSQL.withLock { cache in
            if let cached = cache[model.table], cached.model == model { return cached }
            let built = SQLiteModelSQL(model)
            cache[model.table] = built
            return built
        }
    }

    /// Runs a write in the next group commit; see ``SQLiteWriteBatcher``.
    func write<T: Sendable>(savepoint: Bool, _ operation: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await batcher.write(savepoint: savepoint, operation)
    }

    /// Runs a read on one of the pool's reader connections (a snapshot of committed data), on
    /// the calling thread: reads in WAL mode never wait for writers, and these reads are short
    /// (one key, one index range, a small table), so a hop to another thread and back would cost
    /// more than the read itself. A read that may scan many rows goes through ``scans`` instead.
    func read<T: Sendable>(_ operation: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try readOnThisThread(operation)
    }

    /// GRDB's synchronous read (a synchronous context picks that overload).
    private func readOnThisThread<T>(_ operation: (Database) throws -> T) throws -> T {
        try pool.read(operation)
    }
}

extension SQLiteStore: DurableQueueStore {
    /// The durable queue in this store's file (``SQLiteTaskQueue``).
    public func taskQueue(runner: any TaskJobRunner) -> any DurableTaskQueue & TaskQueueInspector {
        SQLiteTaskQueue(store: self, runner: runner)
    }

    public var isPersistent: Bool { true }
}

extension SQLiteStore: StoreIntegrityCheck {
    /// SQLite's `PRAGMA integrity_check` (thorough: every page, index and constraint of the file)
    /// or `quick_check` (pages and structure, about ten times faster), on a
    /// reader connection off the cooperative threads (it reads the whole file, so it takes a while
    /// on a large one) and without the time limit of long reads.
    public func integrityProblems(limit: Int, thorough: Bool) async throws -> [String] {
        let limit = min(max(limit, 1), 10_000)
        let pragma = thorough ? "integrity_check" : "quick_check"
        let lines: [String] = try await pool.read { db in
            try String.fetchAll(db, sql: "PRAGMA \(pragma)(\(limit))")
        }
        guard lines != ["ok"] else { return [] }
        // A row may hold several lines; the "*** in database main ***" heading says nothing here.
        let problems = lines.flatMap { $0.split(separator: "\n").map(String.init) }.filter { !$0.hasPrefix("*** in database") }
        return Array(problems.prefix(limit))
    }
}

extension SQLiteStore: ChangeFeed {
    /// Notices of the tasks changed by any process on this file (see ``SQLiteStoreOptions/changePollInterval``).
    public func subscribe() async throws -> ChangeSubscription {
        try await changeFeed.subscribe()
    }
}

extension StoreSet {
    /// One ``SQLiteStore`` serving every role: records, coordination, queue, audit log, outbox,
    /// change feed and integrity check.
    public static func sqlite(_ store: SQLiteStore) -> StoreSet {
        StoreSet(records: store, coordination: store, queue: store, audit: store, outbox: store, changes: store, integrity: store)
    }

    /// One ``SQLiteStore`` serving every role, opened off the cooperative thread pool (see
    /// ``SQLiteStore/open(path:options:clock:)``).
    ///
    /// ```swift
    /// let stores = try await StoreSet.sqlite(path: "var/asyncdash.sqlite")
    /// ```
    ///
    /// - Parameters:
    ///   - path: The database file (created with its directories when missing).
    ///   - options: Durability, busy timeout and group-commit settings.
    ///   - clock: Where lock and progress TTLs read the time from.
    public static func sqlite(
        path: String,
        options: SQLiteStoreOptions = .init(),
        clock: any AsyncDashClock = SystemClock()
    ) async throws -> StoreSet {
        sqlite(try await SQLiteStore.open(path: path, options: options, clock: clock))
    }

    /// One ``SQLiteStore`` serving every role, from a `sqlite:` URL (see ``SQLiteStore/parse(url:)``),
    /// opened off the cooperative thread pool.
    public static func sqlite(url: String, clock: any AsyncDashClock = SystemClock()) async throws -> StoreSet {
        sqlite(try await SQLiteStore.open(url: url, clock: clock))
    }
}

extension SQLiteStore {
    /// Runs `sql` (one or more statements) in the next group commit. For tests, which seed
    /// large tables in one statement.
    func execute(sql: String) async throws {
        try await write(savepoint: false) { db in try db.execute(sql: sql) }
    }
}
