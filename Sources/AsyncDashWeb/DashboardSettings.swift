import AsyncDash

/// The dashboard's settings: the config's `DASHBOARD` section, checked against the record model.
///
/// ```yaml
/// DASHBOARD:
///   bind: 127.0.0.1:8000            # default; any other address needs a token
///   path_prefix: /async-dashboard   # where the pages are mounted
///   fields: [task_name, status, user_label, updated_at]          # list columns
///   detail_fields: [task_name, status, message, progress_payload, result_payload, completed_at, failed_at]
///   page_size: 50
///   templates: ./dashboard-templates  # a folder whose *.mustache files replace the built-in ones
///   auth_token_env: ASYNCDASH_READ_TOKEN    # read-only token, from the environment
///   admin_token_env: ASYNCDASH_ADMIN_TOKEN  # admin token (actions), from the environment
/// ```
public struct DashboardSettings: Sendable, Hashable {
    public var host = "127.0.0.1"
    public var port = 8000
    /// Where the pages live, starting with `/` and without a trailing `/`.
    public var pathPrefix = "/async-dashboard"
    /// The list's columns (record-model column names).
    public var fields: [String]
    /// The detail page's leading fields; every other column follows under "All fields".
    public var detailFields: [String]
    public var pageSize = 50
    /// A folder of `*.mustache` files that replace built-in templates of the same name.
    public var templatesDirectory: String?
    /// Grants reading (pages, API, progress, metrics).
    public var readToken: String?
    /// Grants reading and the actions.
    public var adminToken: String?

    /// The seed's list fields.
    public static let defaultFields = ["task_name", "status", "user_label", "updated_at"]
    /// The seed's detail fields.
    public static let defaultDetailFields = ["task_name", "status", "message", "progress_payload", "result_payload", "completed_at", "failed_at"]

    public init(fields: [String] = Self.defaultFields, detailFields: [String] = Self.defaultDetailFields) {
        self.fields = fields
        self.detailFields = detailFields
    }

    /// Whether the address is this machine only.
    public var isLoopback: Bool {
        host == "localhost" || host == "::1" || Self.isIPv4Loopback(host)
    }

    /// Whether an HTTP `Host` (authority) names this machine's loopback: `127.x.y.z`,
    /// `localhost` or `[::1]`, with or without a port.
    public static func isLoopbackAuthority(_ authority: String) -> Bool {
        var host = Substring(authority)
        if host.hasPrefix("[") {
            guard let end = host.firstIndex(of: "]") else { return false }
            return host[host.index(after: host.startIndex)..<end] == "::1"
        }
        if let colon = host.lastIndex(of: ":") { host = host[..<colon] }
        return host.lowercased() == "localhost" || isIPv4Loopback(String(host))
    }

    /// An IPv4 literal in 127.0.0.0/8 (a name that merely starts with `127.` is not one).
    public static func isIPv4Loopback(_ text: String) -> Bool {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == "127" else { return false }
        return parts.allSatisfy { part in part.count <= 3 && !part.isEmpty && part.allSatisfy(\.isASCII) && UInt8(part) != nil }
    }

    /// Whether any token is configured.
    public var requiresToken: Bool { readToken != nil || adminToken != nil }

    /// Reads `section` (the config's `DASHBOARD`) for `model`, with tokens from `environment`.
    /// A default field the model lacks is left out; a field written in the config that the model
    /// lacks is an error.
    ///
    /// - Throws: ``DashboardConfigError`` listing every mistake with its file:line:column.
    public static func resolve(
        _ section: [String: Located<JSONValue>], model: RecordModel, fieldMap: FieldMap? = nil, environment: [String: String]
    ) throws(DashboardConfigError) -> DashboardSettings {
        try resolve(section, checkingAgainst: model, fieldMap: fieldMap, environment: environment)
    }

    /// ``resolve(_:model:fieldMap:environment:)``; without a model (the manager did not resolve)
    /// every key but the columns is still checked.
    static func resolve(
        _ section: [String: Located<JSONValue>], checkingAgainst model: RecordModel?, fieldMap: FieldMap?, environment: [String: String]
    ) throws(DashboardConfigError) -> DashboardSettings {
        var settings = DashboardSettings(
            fields: defaultFields.filter { model?.column($0) != nil },
            detailFields: defaultDetailFields.filter { model?.column($0) != nil })
        var problems: [ConfigDiagnostic] = []
        func problem(_ key: String, _ message: String) {
            problems.append(ConfigDiagnostic("DASHBOARD.\(key): \(message)", at: section[key]?.location ?? SourceLocation(file: "config", line: 1, column: 1)))
        }
        func columns(_ key: String) -> [String]? {
            guard let value = section[key]?.value else { return nil }
            guard case .array(let items) = value, !items.isEmpty, items.allSatisfy({ $0.stringValue != nil }) else {
                problem(key, "expected a non-empty list of column names, not \(value.jsonText)")
                return nil
            }
            // A column, or a logical field of the manager's field map (`status`, `user`…), so that
            // switching managers does not break the dashboard.
            var names: [String] = []
            for name in items.compactMap(\.stringValue) {
                guard let model else {
                    names.append(name)
                    continue
                }
                if model.column(name) != nil {
                    names.append(name)
                } else if let column = fieldMap?[name] {
                    names.append(column.name)
                } else {
                    let columns = model.columns.map(\.name)
                    let logical = fieldMap.map { $0.columns.keys.sorted() } ?? []
                    problem(key, "'\(name)' is not a column of record model '\(model.name)'\(Suggest.didYouMean(name, in: columns + logical)); "
                                + "its columns: \(columns.joined(separator: ", "))" + (logical.isEmpty ? "" : "; logical fields: \(logical.joined(separator: ", "))"))
                }
            }
            return names
        }
        if let fields = columns("fields") { settings.fields = fields }
        if let fields = columns("detail_fields") { settings.detailFields = fields }
        if let value = section["bind"]?.value {
            if let text = value.stringValue, let (host, port) = parseBind(text) {
                (settings.host, settings.port) = (host, port)
            } else {
                problem("bind", "expected HOST:PORT with a port from 0 to 65535 (e.g. 127.0.0.1:8000), not \(value.jsonText)")
            }
        }
        if let value = section["path_prefix"]?.value {
            if let text = value.stringValue, let prefix = normalizedPrefix(text) {
                settings.pathPrefix = prefix
            } else {
                problem("path_prefix", "expected a path like /async-dashboard (letters, digits, -, _, /), not \(value.jsonText)")
            }
        }
        if let value = section["page_size"]?.value {
            if let size = value.intValue, (1...500).contains(size) {
                settings.pageSize = size
            } else {
                problem("page_size", "expected a whole number from 1 to 500, not \(value.jsonText)")
            }
        }
        if let value = section["templates"]?.value {
            if let path = value.stringValue, !path.isEmpty { settings.templatesDirectory = path } else { problem("templates", "expected a folder path, not \(value.jsonText)") }
        }
        for (key, slot) in [("auth_token_env", \DashboardSettings.readToken), ("admin_token_env", \DashboardSettings.adminToken)] {
            guard let value = section[key]?.value else { continue }
            guard let variable = value.stringValue, !variable.isEmpty else {
                problem(key, "expected the name of an environment variable, not \(value.jsonText)")
                continue
            }
            guard let token = environment[variable], !token.isEmpty else {
                problem(key, "the environment variable \(variable) is not set (or empty); set it to the token, or remove \(key)")
                continue
            }
            guard token.utf8.count >= 16 else {
                problem(key, "the token in \(variable) has \(token.utf8.count) characters; use at least 16 (e.g. `openssl rand -hex 24`)")
                continue
            }
            settings[keyPath: slot] = token
        }
        if !problems.isEmpty { throw DashboardConfigError(diagnostics: problems) }
        return settings
    }

    /// The settings of another manager's dashboard (`DASHBOARD.managers.NAME`): its own
    /// `path_prefix`, `fields`, `detail_fields` and `page_size`, checked against its record model;
    /// the address, tokens and templates of these settings.
    ///
    /// - Throws: ``DashboardConfigError`` for a mistake in `section`, or a `path_prefix` that is
    ///   this dashboard's or lies inside it.
    public func forManager(
        _ section: [String: Located<JSONValue>], model: RecordModel, fieldMap: FieldMap? = nil
    ) throws(DashboardConfigError) -> DashboardSettings {
        var other = try Self.resolve(section, model: model, fieldMap: fieldMap, environment: [:])
        other.host = host
        other.port = port
        other.readToken = readToken
        other.adminToken = adminToken
        other.templatesDirectory = templatesDirectory
        if other.pathPrefix == pathPrefix || other.pathPrefix.hasPrefix(pathPrefix + "/") || pathPrefix.hasPrefix(other.pathPrefix + "/")
            || ["/api", "/async", "/metrics"].contains(where: { other.pathPrefix == $0 || other.pathPrefix.hasPrefix($0 + "/") })
        {
            throw DashboardConfigError(diagnostics: [ConfigDiagnostic(
                "path_prefix: '\(other.pathPrefix)' overlaps '\(pathPrefix)', /api, /async or /metrics; give this dashboard a path of its own",
                at: section["path_prefix"]?.location ?? SourceLocation(file: "config", line: 1, column: 1))])
        }
        return other
    }

    /// `HOST:PORT` (IPv6 in brackets: `[::1]:8000`) → host and port.
    public static func parseBind(_ text: String) -> (String, Int)? {
        guard let colon = text.lastIndex(of: ":") else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty, let port = Int(text[text.index(after: colon)...]), (0...65_535).contains(port) else { return nil }
        return (host, port)
    }

    static func normalizedPrefix(_ text: String) -> String? {
        let trimmed = "/" + text.split(separator: "/").joined(separator: "/")
        let allowed = trimmed.unicodeScalars.allSatisfy { c in
            (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || (c >= "0" && c <= "9") || c == "-" || c == "_" || c == "/"
        }
        return allowed && trimmed.count > 1 ? trimmed : nil
    }

    /// Checks the address against the tokens: binding beyond loopback without a token is refused.
    ///
    /// - Throws: ``DashboardExposureError`` saying how to fix it.
    public func checkExposure() throws(DashboardExposureError) {
        guard !isLoopback, !requiresToken else { return }
        throw DashboardExposureError(host: host, port: port)
    }
}

/// The dashboard would listen beyond this machine with no token.
public struct DashboardExposureError: Error, CustomStringConvertible, Sendable {
    public var host: String
    public var port: Int
    public var description: String {
        "refusing to serve the dashboard on \(host):\(port) without a token: anyone who can reach that address could read every task "
            + "and run actions. Set DASHBOARD.auth_token_env and/or admin_token_env to environment variables holding tokens, "
            + "or bind 127.0.0.1"
    }
}

/// Mistakes in the `DASHBOARD` section, each with where it was written.
public struct DashboardConfigError: Error, CustomStringConvertible, Sendable {
    public var diagnostics: [ConfigDiagnostic]
    public var description: String {
        diagnostics.map { "\($0)" }.joined(separator: "\n")
    }
}
