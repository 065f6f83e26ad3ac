import AsyncDash
import Foundation

/// Where a ``PostgresStore`` connects and how, read from a `postgres://` URL.
///
/// ```
/// postgres://USER@HOST:PORT/DATABASE?sslmode=require&password_env=APP_DB_PASSWORD&schema=asyncdash
/// ```
///
/// - `USER` defaults to `PGUSER`, else `postgres`; `HOST` to `127.0.0.1`; `PORT` to 5432;
///   `DATABASE` to the user name.
/// - The password is never written in the URL (nor in `config.yaml`): it is read from the
///   variable `password_env` names, else from `PGPASSWORD`, else none is sent.
/// - `sslmode`: `disable`, `prefer` (the default, as libpq), `require` (encrypted, certificate
///   not checked), `verify-ca` (certificate checked, host name not), `verify-full`;
///   `sslrootcert=PATH` trusts the CA certificates in that PEM file instead of the system's.
/// - `schema`: the PostgreSQL schema holding AsyncDash's tables (default `public`), created if
///   missing — one database can hold several installations.
/// - `pool_size`: connections per process (1–500, default 10).
/// - `connect_timeout_ms` (100–600,000, default 10,000), `read_timeout_ms`: how long one long read
///   (a searched page, a count) may run (1–3,600,000, default 10,000).
/// - `retry_ms`: how long a lifecycle write keeps retrying while the server is away (0–3,600,000,
///   default 60,000); past it the write fails (it is never reported done before it is stored).
public struct PostgresStoreOptions: Sendable, Hashable {
    public enum SSLMode: String, Sendable, Hashable, CaseIterable {
        case disable, prefer, require
        case verifyCA = "verify-ca"
        case verifyFull = "verify-full"
    }

    public var user: String
    public var host: String
    public var port: Int
    public var database: String
    /// The variable the password is read from (`nil`: `PGPASSWORD`).
    public var passwordVariable: String?
    public var sslMode: SSLMode = .prefer
    public var sslRootCertificate: String?
    public var schema: String = "public"
    public var poolSize: Int = 10
    /// How many group-commit batches may be in flight at once, each on a connection of its own
    /// (at most ``poolSize``). Two keep a 2-core machine busiest (one batch is being written
    /// while the next is built); more can help where the server has more cores.
    public var writeBatches: Int = 2
    public var connectTimeout: Duration = .seconds(10)
    public var readTimeLimit: Duration = .seconds(10)
    public var retryLimit: Duration = .seconds(60)

    /// The URL as given, with nothing secret in it (for messages).
    public var url: String

    static let poolSizeRange = 1...500

    /// Reads `url`.
    ///
    /// - Throws: ``PostgresStoreError`` naming the URL or option and what would be valid.
    public init(url: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        self.url = url
        guard let schemeEnd = url.range(of: "://"),
            ["postgres", "postgresql"].contains(url[..<schemeEnd.lowerBound].lowercased())
        else {
            throw PostgresStoreError(.invalidURL, value: url, reason: "expected postgres://USER@HOST:PORT/DATABASE")
        }
        var rest = Substring(url[schemeEnd.upperBound...])
        var query: Substring = ""
        if let mark = rest.firstIndex(of: "?") {
            query = rest[rest.index(after: mark)...]
            rest = rest[..<mark]
        }
        if let hash = rest.firstIndex(of: "#") { rest = rest[..<hash] }
        var authority = rest
        var path: Substring = ""
        if let slash = rest.firstIndex(of: "/") {
            authority = rest[..<slash]
            path = rest[rest.index(after: slash)...]
        }
        var userPart: Substring?
        if let at = authority.lastIndex(of: "@") {
            userPart = authority[..<at]
            authority = authority[authority.index(after: at)...]
        }
        if let userPart, userPart.contains(":") {
            throw PostgresStoreError(
                .invalidURL, value: StoreURL.redacted(url),
                reason: "a password is written in the URL; set PGPASSWORD, or name a variable that holds it with ?password_env=NAME")
        }
        func decode(_ text: Substring, _ what: String) throws -> String {
            guard let decoded = String(text).removingPercentEncoding else {
                throw PostgresStoreError(.invalidURL, value: url, reason: "the \(what) '\(text)' is not valid percent-encoding")
            }
            return decoded
        }
        user = try userPart.map { try decode($0, "user name") }.flatMap { $0.isEmpty ? nil : $0 }
            ?? environment["PGUSER"] ?? "postgres"
        var hostText = authority
        port = 5432
        if hostText.hasPrefix("[") {
            guard let close = hostText.firstIndex(of: "]") else {
                throw PostgresStoreError(.invalidURL, value: url, reason: "an IPv6 host must be closed with ']'")
            }
            let after = hostText[hostText.index(after: close)...]
            if after.hasPrefix(":") { port = try Self.port(after.dropFirst(), url) }
            hostText = hostText[hostText.index(after: hostText.startIndex)..<close]
        } else if let colon = hostText.lastIndex(of: ":") {
            port = try Self.port(hostText[hostText.index(after: colon)...], url)
            hostText = hostText[..<colon]
        }
        host = hostText.isEmpty ? "127.0.0.1" : try decode(hostText, "host")
        let name = try decode(path, "database name")
        guard !name.contains("/") else {
            throw PostgresStoreError(.invalidURL, value: url, reason: "the database name '\(name)' contains '/'; expected postgres://USER@HOST:PORT/DATABASE")
        }
        database = name.isEmpty ? user : name
        try readOptions(query, environment: environment)
    }

    private static func port(_ text: Substring, _ url: String) throws -> Int {
        guard let port = Int(text), (1...65_535).contains(port) else {
            throw PostgresStoreError(.invalidURL, value: url, reason: "the port '\(text)' is not a number from 1 to 65535")
        }
        return port
    }

    private mutating func readOptions(_ query: Substring, environment: [String: String]) throws {
        for pair in query.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = String(parts[0]).removingPercentEncoding ?? String(parts[0])
            let value = parts.count > 1 ? (String(parts[1]).removingPercentEncoding ?? String(parts[1])) : ""
            func invalid(_ reason: String) -> PostgresStoreError {
                PostgresStoreError(.invalidOption, value: "\(name)=\(value)", reason: reason)
            }
            func number(_ range: ClosedRange<Int>, _ unit: String, example: Int) throws -> Int {
                guard let number = Int(value), range.contains(number) else {
                    throw invalid("expected a whole number of \(unit) from \(range.lowerBound) to \(range.upperBound) (e.g. \(name)=\(example))")
                }
                return number
            }
            switch name {
            case "sslmode":
                guard let mode = SSLMode(rawValue: value) else {
                    throw invalid("expected one of " + SSLMode.allCases.map(\.rawValue).joined(separator: ", "))
                }
                sslMode = mode
            case "sslrootcert":
                guard !value.isEmpty else { throw invalid("expected the path of a PEM file of CA certificates") }
                sslRootCertificate = value
            case "password_env":
                guard !value.isEmpty, value.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else {
                    throw invalid("expected the name of an environment variable (letters, digits, _)")
                }
                guard environment[value] != nil else {
                    throw invalid("the environment variable \(value) is not set; set it to the database password")
                }
                passwordVariable = value
            case "password":
                throw PostgresStoreError(
                    .invalidURL, value: StoreURL.redacted(url),
                    reason: "a password is written in the URL; set PGPASSWORD, or name a variable that holds it with ?password_env=NAME")
            case "schema":
                guard !value.isEmpty, value.utf8.count <= 48,
                    value.allSatisfy({ ($0.isASCII && ($0.isLetter || $0.isNumber)) || $0 == "_" }), !value.first!.isNumber
                else {
                    throw invalid("expected a schema name of up to 48 ASCII letters, digits and _, not starting with a digit")
                }
                schema = value
            case "pool_size":
                poolSize = try number(Self.poolSizeRange, "connections", example: 10)
            case "write_batches":
                writeBatches = try number(1...64, "batches", example: 2)
            case "connect_timeout_ms":
                connectTimeout = .milliseconds(try number(100...600_000, "milliseconds", example: 10_000))
            case "read_timeout_ms":
                readTimeLimit = .milliseconds(try number(1...3_600_000, "milliseconds", example: 10_000))
            case "retry_ms":
                retryLimit = .milliseconds(try number(0...3_600_000, "milliseconds", example: 60_000))
            default:
                throw invalid(
                    "unknown option '\(name)'; valid options are sslmode, sslrootcert, password_env, schema, pool_size, write_batches, connect_timeout_ms, read_timeout_ms and retry_ms")
            }
        }
    }

    /// The password to send: from ``passwordVariable``, else `PGPASSWORD`, else none.
    func password(environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        if let passwordVariable { return environment[passwordVariable] }
        return environment["PGPASSWORD"]
    }

}
