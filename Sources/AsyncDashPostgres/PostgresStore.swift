import AsyncDash
import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import PostgresNIO
import Synchronization

/// Every store role on a PostgreSQL server: records with keyset listing, coordination (locks,
/// progress, the active set, dead letters), the durable queue, the audit log, the outbox and a
/// change feed over `LISTEN/NOTIFY` — shared by `serve` and `worker` processes on many machines.
///
/// Chosen by `STORE: postgres://USER@HOST:PORT/DATABASE` (see ``PostgresStoreOptions``). The
/// store creates its schema and tables on first use, under an advisory lock, so processes that
/// start together do not race; record tables are created by ``prepare(_:)``.
///
/// ```swift
/// let store = try PostgresStore(url: "postgres://app@db.internal/app?sslmode=require&password_env=APP_DB_PASSWORD")
/// let stores = StoreSet.postgres(store)
/// try await store.checkConnection()   // one clear message when the URL or server cannot work
/// ```
///
/// Every read-modify-write runs in one transaction (row locks, `ON CONFLICT`, `FOR UPDATE SKIP
/// LOCKED`), so processes never race on a record, a lock set, a job or an outbox entry. Times are
/// the store clock's, stored as seconds since 1970 (`double precision`), so machines sharing a
/// store should keep their clocks in step (NTP), as for any lease-based queue.
public final class PostgresStore: Sendable {
    public let options: PostgresStoreOptions
    let pool: PostgresConnectionPool
    let clock: any AsyncDashClock
    let logger: Logger
    let names: PostgresNames
    let changeFeed: PostgresChangeFeed
    /// Group commit for short writes (``write(_:statements:)``).
    let batcher: PostgresWriteBatcher
    private let ready = Mutex<Task<Void, any Error>?>(nil)
    private let connected = Mutex(false)
    /// Whether this store has connected once (its tables are known to exist).
    var hasConnected: Bool { connected.withLock { $0 } }
    private let modelSQL = Mutex<[String: PostgresModelSQL]>([:])
    private let preparedTables = Mutex<Set<String>>([])
    /// When expired locks and progress entries are next purged (seconds since 1970, by `clock`).
    let nextPurge = Mutex<TimeInterval>(0)

    /// How long one attempt of a statement or transaction may take before the pool is presumed
    /// stuck and replaced: longer than any read may run.
    var attemptLimit: Duration { max(.seconds(30), options.readTimeLimit + .seconds(5)) }

    /// How often expired locks and progress entries are deleted (they read as absent anyway).
    static let purgeInterval: TimeInterval = 60

    /// Opens a connection pool to the server `url` names; connects lazily, on first use.
    ///
    /// - Throws: ``PostgresStoreError`` for a URL or option that cannot work (nothing is connected yet).
    public convenience init(url: String, clock: any AsyncDashClock = SystemClock(), logger: Logger = Logger(label: "asyncdash.postgres")) throws {
        try self.init(options: PostgresStoreOptions(url: url), clock: clock, logger: logger)
    }

    public init(options: PostgresStoreOptions, clock: any AsyncDashClock = SystemClock(), logger: Logger = Logger(label: "asyncdash.postgres")) throws {
        self.options = options
        self.clock = clock
        self.logger = logger
        names = PostgresNames(schema: options.schema)
        var configuration = PostgresClient.Configuration(
            host: options.host, port: options.port, username: options.user, password: options.password(),
            database: options.database, tls: try Self.clientTLS(options))
        configuration.options.maximumConnections = options.poolSize
        configuration.options.minimumConnections = 0
        configuration.options.connectTimeout = options.connectTimeout
        configuration.options.additionalStartupParameters = [("application_name", "asyncdash")]
        var background = logger
        background.logLevel = .critical  // connection churn is reported through our own errors
        pool = PostgresConnectionPool(logger: logger) { [configuration, background] in
            PostgresClient(configuration: configuration, backgroundLogger: background)
        }
        changeFeed = PostgresChangeFeed(options: options, channel: names.channel, logger: logger)
        let (pool, limit) = (pool, max(Duration.seconds(30), options.readTimeLimit + .seconds(5)))
        batcher = PostgresWriteBatcher(
            maxConcurrentBatches: min(options.writeBatches, options.poolSize), batchFunction: names.preparedBatchFunction, isConflict: Self.isRetryableConflict
        ) { transaction in
            try await pool.attempt(limit: limit) { client in try await client.withConnection { try await transaction($0) } }
        }
    }

    deinit {
        changeFeed.stop()
        pool.shutdown()
    }

    // MARK: - TLS

    static func clientTLS(_ options: PostgresStoreOptions) throws -> PostgresClient.Configuration.TLS {
        guard let configuration = try tlsConfiguration(options) else { return .disable }
        return options.sslMode == .prefer ? .prefer(configuration) : .require(configuration)
    }

    static func connectionTLS(_ options: PostgresStoreOptions) throws -> PostgresConnection.Configuration.TLS {
        guard let configuration = try tlsConfiguration(options) else { return .disable }
        let context = try NIOSSLContext(configuration: configuration)
        return options.sslMode == .prefer ? .prefer(context) : .require(context)
    }

    private static func tlsConfiguration(_ options: PostgresStoreOptions) throws -> TLSConfiguration? {
        var tls = TLSConfiguration.makeClientConfiguration()
        switch options.sslMode {
        case .disable: return nil
        case .prefer, .require: tls.certificateVerification = .none
        case .verifyCA: tls.certificateVerification = .noHostnameVerification
        case .verifyFull: tls.certificateVerification = .fullVerification
        }
        if let path = options.sslRootCertificate {
            guard FileManager.default.isReadableFile(atPath: path) else {
                throw PostgresStoreError(.invalidOption, value: "sslrootcert=\(path)", reason: "no readable file at that path")
            }
            tls.trustRoots = .file(path)
        }
        return tls
    }

    // MARK: - Connecting

    /// Connects once, outside the pool, and reports in one sentence why it cannot work: a
    /// ``PostgresStoreError`` with code ``PostgresStoreError/Code/credentials`` (user, password or
    /// database refused; also TLS demanded but refused) or ``PostgresStoreError/Code/unreachable``.
    public func checkConnection() async throws {
        do {
            let connection = try await openConnection()
            try? await connection.close()
        } catch {
            throw translate(error, operation: "connecting")
        }
    }

    /// A connection of its own (for `LISTEN`, and for ``checkConnection()``).
    func openConnection() async throws -> PostgresConnection {
        try await Self.openConnection(options: options, logger: logger)
    }

    static func openConnection(options: PostgresStoreOptions, logger: Logger) async throws -> PostgresConnection {
        var configuration = PostgresConnection.Configuration(
            host: options.host, port: options.port, username: options.user, password: options.password(),
            database: options.database, tls: try connectionTLS(options))
        configuration.options.connectTimeout = .milliseconds(Int64(options.connectTimeout.timeInterval * 1_000))
        var quiet = logger
        quiet.logLevel = .critical
        return try await PostgresConnection.connect(
            on: MultiThreadedEventLoopGroup.singleton.next(), configuration: configuration, id: Int.random(in: 1...Int.max), logger: quiet)
    }

    // MARK: - Running statements

    /// Makes sure the schema and the store's own tables exist (once per store instance; retried
    /// after a failure).
    func ensureReady() async throws {
        let task = ready.withLock { ready -> Task<Void, any Error> in
            if let ready { return ready }
            let task = Task { try await self.migrate() }
            ready = task
            return task
        }
        do {
            try await task.value
            connected.withLock { $0 = true }
        } catch {
            ready.withLock { if $0 == task { $0 = nil } }
            throw error
        }
    }

    private func migrate() async throws {
        // A connection of its own first: a URL or a server that cannot work is one clear error,
        // where the pool would keep retrying in the background.
        try await checkConnection()
        try await transaction("creating the store's tables", ensuringReady: false) { connection in
            try await PostgresSchema.migrate(connection, names: self.names, logger: self.logger)
        }
    }

    /// Runs `body` in one transaction on a pooled connection (after ``ensureReady()``); a
    /// serialization failure or deadlock is retried a few times, a lost connection until
    /// ``PostgresStoreOptions/retryLimit`` (see ``retryingConnectionLoss(_:_:)``). Errors come out
    /// translated. `ensuringReady: false` is for the migrations that make the store ready.
    func transaction<T: Sendable>(
        _ operation: String, ensuringReady: Bool = true, _ body: @escaping @Sendable (PostgresConnection) async throws -> T
    ) async throws -> T {
        try await retryingConnectionLoss(operation) {
            if ensuringReady { try await self.ensureReady() }
            var attempt = 0
            while true {
                do {
                    return try await self.pool.attempt(limit: self.attemptLimit) { client in try await client.withConnection { connection in
                        try await connection.query("BEGIN", logger: self.logger)
                        do {
                            let value = try await body(connection)
                            try await connection.query("COMMIT", logger: self.logger)
                            return value
                        } catch {
                            // A failed ROLLBACK means the connection is gone, which ends the transaction too.
                            _ = try? await connection.query("ROLLBACK", logger: self.logger)
                            throw error
                        }
                    } }
                } catch {
                    guard Self.isRetryableConflict(error), attempt < 5 else { throw error }
                    attempt += 1
                    try await Task.sleep(for: .milliseconds(Int.random(in: 1...(5 * attempt))))
                }
            }
        }
    }

    /// Write statements in one group-committed batch (sent with the batch's other writes in one
    /// call: ``PostgresWriteBatcher``), after ``ensureReady()``; returns, once it committed, the
    /// rows of those that return rows. A lost connection is retried like ``transaction(_:_:)``.
    @discardableResult
    func write(_ operation: String, statements: [PostgresStatement]) async throws -> [PostgresResultRow] {
        try await retryingConnectionLoss(operation) {
            try await self.ensureReady()
            return try await self.batcher.write(statements: statements)
        }
    }

    /// Batches of writes that ran one statement at a time because their batch call failed.
    var batchFallbacks: Int { batcher.fallbacks }

    /// Runs one statement on a pooled connection and collects its rows (retried like ``transaction(_:_:)``).
    @discardableResult
    func run(_ operation: String, _ sql: String, _ values: [PostgresValue] = []) async throws -> [PostgresRow] {
        let query = PostgresQuery(unsafeSQL: sql, binds: PostgresValue.bindings(values))
        return try await retryingConnectionLoss(operation) {
            try await self.ensureReady()
            return try await self.pool.attempt(limit: self.attemptLimit) { client in
                try await client.query(query, logger: self.logger).collect()
            }
        }
    }

    /// Runs `attempt`, and again with backoff (50 ms doubling to 2 s, with jitter) while it fails
    /// because the connection or the server went away (a restart, a failover, a dropped
    /// connection), for at most ``PostgresStoreOptions/retryLimit``. Meanwhile the caller waits:
    /// that is the backpressure, and it is never told a write is done before it is stored.
    ///
    /// A write whose commit was acknowledged on a connection that then dropped is sent again, so
    /// each statement is written to be applied once: record changes and progress set values,
    /// locks are re-reserved by their owner, outbox entries carry their event's id, a claim or a
    /// finish recognizes its own earlier commit by its time stamp.
    func retryingConnectionLoss<T: Sendable>(_ operation: String, _ attempt: @escaping @Sendable () async throws -> T) async throws -> T {
        let deadline = ContinuousClock.now + options.retryLimit
        var failures = 0
        while true {
            do {
                return try await attempt()
            } catch {
                let translated = translate(error, operation: operation)
                // Before the first successful connection, a server that cannot be reached is a
                // start-up failure, said at once; afterwards it is an outage, waited out.
                guard Self.isConnectionLoss(error), hasConnected, ContinuousClock.now < deadline, !Task.isCancelled else {
                    throw translated
                }
                failures += 1
                if failures == 1 || failures % 20 == 0 {
                    logger.warning(
                        "PostgreSQL connection lost; retrying", metadata: ["operation": "\(operation)", "attempts": "\(failures)", "error": "\(translated)"])
                }
                let pause = min(2_000, 50 << min(failures - 1, 6))
                try await Task.sleep(for: .milliseconds(Int.random(in: pause / 2...pause)))
            }
        }
    }

    /// Whether `error` says the connection or the server went away (as opposed to a statement
    /// the server refused, or credentials that cannot work).
    static func isConnectionLoss(_ error: any Error) -> Bool {
        if error is PostgresConnectionPool.Abandoned { return true }
        // A request that was waiting on a pool this store replaced ("poolShutdown").
        if String(reflecting: type(of: error)).hasSuffix("ConnectionPoolError") { return true }
        if let error = error as? PostgresStoreError { return error.code == .unreachable }
        guard let error = error as? PSQLError else { return error is IOError || error is ChannelError }
        if let state = error.serverInfo?[.sqlState] {
            return state.hasPrefix("08") || ["57P01", "57P02", "57P03", "53300"].contains(state)
        }
        switch error.code {
        case .connectionError, .serverClosedConnection, .clientClosedConnection, .uncleanShutdown: return true
        default: return false
        }
    }

    /// A read that may scan many rows: it runs in a transaction with `statement_timeout` set to
    /// ``PostgresStoreOptions/readTimeLimit``; a read stopped by it throws `StoreBusyError`.
    func scan<T: Sendable>(_ operation: String, _ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        let milliseconds = Int(options.readTimeLimit.timeInterval * 1_000)
        do {
            return try await transaction(operation) { connection in
                try await connection.query(PostgresQuery(unsafeSQL: "SET LOCAL statement_timeout = \(milliseconds)"), logger: self.logger)
                return try await body(connection)
            }
        } catch let error as PostgresStoreError where error.value == "57014" {
            throw StoreBusyError(.timeLimit(options.readTimeLimit), operation: operation)
        }
    }

    static func isRetryableConflict(_ error: any Error) -> Bool {
        guard let error = error as? PSQLError, let state = error.serverInfo?[.sqlState] else { return false }
        return state == "40001" || state == "40P01"
    }

    /// The SQL texts of `model`, built once.
    func sql(for model: RecordModel) -> PostgresModelSQL {
        if let cached = modelSQL.withLock({ $0[model.name] }), cached.model == model { return cached }
        let built = PostgresModelSQL(model, names: names)
        modelSQL.withLock { $0[model.name] = built }
        return built
    }

    // MARK: - Errors

    /// A TLS failure: a setting that cannot work (exit 2), said with what was checked.
    private func tlsFailure(_ error: any Error, operation: String, target: String) -> PostgresStoreError {
        let text = String(describing: error)
        if let extra = error as? NIOSSLExtraError, extra == .failedToValidateHostname {
            let isAddress = options.host.allSatisfy { $0.isNumber || $0 == "." } || options.host.contains(":")
            return PostgresStoreError(
                .credentials, value: target,
                reason: "the server's TLS certificate is not issued for '\(options.host)' (sslmode=verify-full checks the name)"
                    + (isAddress ? "; verify-full needs the host name the certificate names, not an IP address (or use sslmode=verify-ca)" : ""))
        }
        if text.localizedCaseInsensitiveContains("certificate") {
            let roots = options.sslRootCertificate.map { "the CA certificates in sslrootcert=\($0)" } ?? "the system's CA certificates"
            let check = options.sslMode == .verifyFull ? "signed by \(roots) and issued for '\(options.host)'" : "signed by \(roots)"
            return PostgresStoreError(
                .credentials, value: target,
                reason: "the server's TLS certificate was not accepted while \(operation): sslmode=\(options.sslMode.rawValue) needs one \(check) (\(text))")
        }
        return PostgresStoreError(.credentials, value: target, reason: "TLS failed while \(operation) (sslmode=\(options.sslMode.rawValue)): \(text)")
    }

    /// `error` as one sentence: a ``PostgresStoreError`` for what PostgresNIO reports.
    func translate(_ error: any Error, operation: String) -> any Error {
        if error is PostgresStoreError || error is AsyncDashError || error is StoreBusyError || error is CancellationError
            || error is TaskQueueError
        {
            return error
        }
        let target = "\(options.user)@\(options.host):\(options.port)/\(options.database)"
        if let error = error as? PSQLError {
            if let info = error.serverInfo {
                let state = info[.sqlState] ?? "?"
                let message = info[.message] ?? "no message"
                switch state {
                case "28P01", "28000":
                    return PostgresStoreError(
                        .credentials, value: target,
                        reason: "\(message); check the user name and the password (PGPASSWORD or the variable ?password_env= names)")
                case "3D000":
                    return PostgresStoreError(
                        .credentials, value: target,
                        reason: "\(message); create it (createdb \(options.database)) or name another database in the URL")
                case "57P01", "57P02", "57P03":
                    return PostgresStoreError(.unreachable, value: target, reason: "the server is shutting down or starting up (\(message)) while \(operation)")
                default:
                    var text = "\(message) while \(operation)"
                    if let detail = info[.detail] { text += " (\(detail))" }
                    return PostgresStoreError(.server, value: state, reason: text)
                }
            }
            switch error.code {
            case .sslUnsupported:
                return PostgresStoreError(
                    .credentials, value: target, reason: "the server does not offer TLS, and sslmode=\(options.sslMode.rawValue) requires it")
            case .authMechanismRequiresPassword:
                return PostgresStoreError(
                    .credentials, value: target,
                    reason: "the server asks for a password and none is set; set PGPASSWORD or name a variable with ?password_env=NAME")
            case .unsupportedAuthMechanism, .saslError:
                return PostgresStoreError(.credentials, value: target, reason: "authentication failed (\(error.code))")
            default:
                if let tls = error.underlying, tls is NIOSSLError || tls is NIOSSLExtraError {
                    return tlsFailure(tls, operation: operation, target: target)
                }
                let underlying = error.underlying.map { String(describing: $0) } ?? ""
                let cause = ["Connection refused", "No route to host", "timed out", "Name or service not known", "Connection reset"]
                    .first { underlying.localizedCaseInsensitiveContains($0) }?.lowercased()
                return PostgresStoreError(
                    .unreachable, value: target,
                    reason: "no server answered at \(options.host):\(options.port) while \(operation) ("
                        + (cause ?? "\(error.code)\(underlying.isEmpty ? "" : ": " + underlying)") + ")")
            }
        }
        if error is NIOSSLError || error is NIOSSLExtraError {
            return tlsFailure(error, operation: operation, target: target)
        }
        if let error = error as? IOError {
            return PostgresStoreError(.unreachable, value: target, reason: "cannot reach the server while \(operation): \(error.description)")
        }
        return PostgresStoreError(.unreachable, value: target, reason: "\(operation) failed: \(String(describing: error))")
    }
}

