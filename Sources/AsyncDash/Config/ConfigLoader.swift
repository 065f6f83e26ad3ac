import Foundation
import Yams

/// Reads `config.yaml` into an ``AsyncDashConfig``, reporting every mistake with file:line:column.
///
/// ```swift
/// let config = try ConfigLoader.load(path: "config.yaml", environment: ProcessInfo.processInfo.environment)
/// ```
///
/// Scalar keys can be overridden by environment variables named `ASYNCDASH_<KEY>`
/// (e.g. `ASYNCDASH_STORE=memory:`, `ASYNCDASH_CONFLICT_TTL=600`).
public enum ConfigLoader {
    /// The top-level keys, in reference order.
    public static let topLevelKeys = [
        "ASYNC_ENABLED", "STORE", "STORE_ROLES", "CONFLICT_TTL", "PROGRESS_TTL", "CLEANUP_GRACE_PERIOD", "MAX_TASK_DURATION",
        "CLEANUP_SCHEDULE_INTERVAL", "LEASE_TTL", "RETENTION", "QUEUE", "ASYNC_MANAGER_DEFAULT", "MANAGERS", "MODELS", "PLUGINS", "DASHBOARD",
    ]

    /// The scalar keys environment variables may override.
    public static let scalarKeys = [
        "ASYNC_ENABLED", "STORE", "CONFLICT_TTL", "PROGRESS_TTL", "CLEANUP_GRACE_PERIOD", "MAX_TASK_DURATION",
        "CLEANUP_SCHEDULE_INTERVAL", "LEASE_TTL", "QUEUE",
    ]

    /// The valid values of `QUEUE`.
    public static let queueKinds = ["durable", "inprocess"]

    /// Reads the file at `path`.
    ///
    /// - Throws: ``ConfigError`` with every mistake found (a missing file is one diagnostic).
    public static func load(path: String, environment: [String: String] = [:]) throws(ConfigError) -> AsyncDashConfig {
        let (config, diagnostics) = try readCollecting(path: path, environment: environment)
        if !diagnostics.isEmpty { throw ConfigError(diagnostics) }
        return config
    }

    /// Reads config text; `file` names it in diagnostics.
    public static func parse(_ text: String, file: String, environment: [String: String] = [:]) throws(ConfigError) -> AsyncDashConfig {
        let (config, diagnostics) = try parseCollecting(text, file: file, environment: environment)
        if !diagnostics.isEmpty { throw ConfigError(diagnostics) }
        return config
    }

    /// Reads the file, returning what could be read together with the mistakes found (for
    /// ``ConfigResolver/resolve(_:registry:environment:logger:carrying:checks:)``); only an
    /// unreadable file or a YAML syntax error throws.
    public static func readCollecting(path: String, environment: [String: String]) throws(ConfigError) -> (AsyncDashConfig, [ConfigDiagnostic]) {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            let exists = FileManager.default.fileExists(atPath: path)
            throw ConfigError([
                ConfigDiagnostic(
                    exists ? "cannot read the config file (not UTF-8 text or no permission)" : "config file not found; pass --config PATH or set ASYNCDASH_CONFIG",
                    at: SourceLocation(file: path, line: 0, column: 0)
                )
            ])
        }
        return try parseCollecting(text, file: path, environment: environment)
    }

    static func parseCollecting(_ text: String, file: String, environment: [String: String]) throws(ConfigError) -> (AsyncDashConfig, [ConfigDiagnostic]) {
        var reader = YAMLReader(file: file)
        var config = AsyncDashConfig(file: file)
        if let tooBig = YAMLBounds.checkText(text, file: file) { throw ConfigError([tooBig]) }
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch {
            throw ConfigError([syntaxDiagnostic(error, file: file)])
        }
        if let root, let bomb = YAMLBounds.checkExpansion(root, reader: reader) { throw ConfigError([bomb]) }
        if let root, let members = reader.mapping(root, "the config file") {
            var seen: [String: Node] = [:]
            for (key, keyNode, value) in members {
                if let first = seen[key] {
                    reader.error("key '\(key)' is written twice (first at line \(reader.location(first).line))", at: keyNode)
                }
                seen[key] = keyNode
                readTopLevel(key, keyNode: keyNode, value: value, into: &config, reader: &reader)
            }
        }
        applyEnvironment(environment, to: &config, reader: &reader)
        return (config, reader.diagnostics)
    }

    private static func readTopLevel(_ key: String, keyNode: Node, value: Node, into config: inout AsyncDashConfig, reader: inout YAMLReader) {
        switch key {
        case "ASYNC_ENABLED":
            if let b = reader.bool(value, key) { config.settings.asyncEnabled = b }
        case "STORE":
            if let s = reader.string(value, key) { config.store = s }
        case "STORE_ROLES":
            guard let members = reader.mapping(value, key) else { break }
            for (role, roleNode, url) in members {
                guard let storeRole = StoreRole(rawValue: role) else {
                    reader.unknownKey(role, at: roleNode, in: "STORE_ROLES", valid: StoreRole.allCases.map(\.rawValue))
                    continue
                }
                if let s = reader.string(url, "STORE_ROLES.\(role)") { config.storeRoles[storeRole] = s }
            }
        case "QUEUE":
            if let s = reader.string(value, key) {
                if queueKinds.contains(s.value) {
                    config.queue = s
                    config.queueWritten = true
                } else {
                    reader.error("QUEUE '\(s.value)' is not a queue kind\(Suggest.didYouMean(s.value, in: queueKinds)); valid: \(queueKinds.joined(separator: ", "))", at: value)
                }
            }
        case "CONFLICT_TTL", "PROGRESS_TTL", "CLEANUP_GRACE_PERIOD", "MAX_TASK_DURATION", "CLEANUP_SCHEDULE_INTERVAL", "LEASE_TTL":
            if let seconds = reader.seconds(value, key) {
                if let problem = SettingRanges.problem(key, seconds) {
                    reader.error(problem, at: value)
                } else {
                    setSeconds(key, seconds, in: &config.settings)
                }
            }
        case "RETENTION":
            readRetention(value, into: &config.settings, reader: &reader)
        case "ASYNC_MANAGER_DEFAULT":
            readDefaultManager(value, into: &config, reader: &reader)
        case "MANAGERS":
            readManagers(value, into: &config, reader: &reader)
        case "MODELS":
            readModels(value, into: &config, reader: &reader)
        case "PLUGINS":
            if let paths = reader.stringList(value, key) { config.plugins = paths }
        case "DASHBOARD":
            readDashboard(value, into: &config, reader: &reader)
        default:
            reader.unknownKey(key, at: keyNode, in: "the config file", valid: topLevelKeys)
        }
    }

    static func setSeconds(_ key: String, _ seconds: Int, in settings: inout AsyncSettings) {
        let duration = Duration.seconds(seconds)
        switch key {
        case "CONFLICT_TTL": settings.conflictTTL = duration
        case "PROGRESS_TTL": settings.progressTTL = duration
        case "CLEANUP_GRACE_PERIOD": settings.cleanupGracePeriod = duration
        case "MAX_TASK_DURATION": settings.maxTaskDuration = duration
        case "CLEANUP_SCHEDULE_INTERVAL": settings.cleanupScheduleInterval = duration
        case "LEASE_TTL": settings.leaseTTL = duration
        default: break
        }
    }

    private static func readDashboard(_ node: Node, into config: inout AsyncDashConfig, reader: inout YAMLReader) {
        let valid = ["bind", "auth_token_env", "admin_token_env", "fields", "detail_fields", "templates", "path_prefix", "page_size", "managers"]
        guard let members = reader.mapping(node, "DASHBOARD") else { return }
        for (key, keyNode, value) in members {
            if key == "managers" {
                readManagerDashboards(value, into: &config, reader: &reader)
            } else if isSecretKey(key) {
                reader.error("DASHBOARD.\(key): secrets come only from the environment; write \(key)_env: VARIABLE_NAME instead", at: keyNode)
            } else if valid.contains(key) {
                config.dashboard[key] = Located(reader.json(value), at: reader.location(value))
            } else {
                reader.unknownKey(key, at: keyNode, in: "DASHBOARD", valid: valid)
            }
        }
    }

    /// `DASHBOARD.managers: { MANAGER: { path_prefix, fields, detail_fields, page_size } }`.
    private static func readManagerDashboards(_ node: Node, into config: inout AsyncDashConfig, reader: inout YAMLReader) {
        let valid = ["path_prefix", "fields", "detail_fields", "page_size"]
        guard let entries = reader.mapping(node, "DASHBOARD.managers") else { return }
        for (name, nameNode, body) in entries {
            guard let members = reader.mapping(body, "DASHBOARD.managers.\(name)") else { continue }
            var section: [String: Located<JSONValue>] = [:]
            for (key, keyNode, value) in members {
                if valid.contains(key) {
                    section[key] = Located(reader.json(value), at: reader.location(value))
                } else {
                    reader.unknownKey(key, at: keyNode, in: "DASHBOARD.managers.\(name)", valid: valid)
                }
            }
            if section["path_prefix"] == nil {
                reader.error("DASHBOARD.managers.\(name): path_prefix is required (where this manager's dashboard is mounted, e.g. /notifications)", at: nameNode)
            }
            config.managerDashboards.append((Located(name, at: reader.location(nameNode)), section))
        }
    }

    /// Keys that would hold a secret in the file (`secret`, `token`, `password`, `api_key`…).
    static func isSecretKey(_ key: String) -> Bool {
        let lowered = key.lowercased()
        if lowered.hasSuffix("_env") { return false }
        return ["secret", "token", "password", "api_key", "apikey", "auth_token", "admin_token"].contains(lowered)
            || lowered.hasSuffix("_secret") || lowered.hasSuffix("_password") || lowered.hasSuffix("_token")
    }

    static func syntaxDiagnostic(_ error: any Error, file: String) -> ConfigDiagnostic {
        func at(_ mark: Mark) -> SourceLocation { SourceLocation(file: file, line: mark.line, column: mark.column) }
        if let yamlError = error as? YamlError {
            switch yamlError {
            case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
                .composer(let context, let problem, let mark, _):
                let detail = context.map { "\($0.text) (from line \($0.mark.line)): " } ?? ""
                return ConfigDiagnostic("YAML syntax: \(detail)\(problem)", at: at(mark))
            case .duplicatedKeysInMapping(let duplicates, let context):
                return ConfigDiagnostic("YAML: keys written twice in one mapping: \(duplicates.joined(separator: ", "))", at: at(context.mark))
            case .reader(let problem, _, _, _):
                return ConfigDiagnostic("YAML: \(problem)", at: SourceLocation(file: file, line: 1, column: 1))
            default:
                break
            }
        }
        return ConfigDiagnostic("YAML: \(error)", at: SourceLocation(file: file, line: 1, column: 1))
    }
}
