import AsyncDash

/// What `check-config` prints: the resolved managers and the settings, as lines or JSON.
struct ConfigReport {
    let resolved: ResolvedConfig
    let path: String

    init(_ resolved: ResolvedConfig, path: String) {
        self.resolved = resolved
        self.path = path
    }

    private var config: AsyncDashConfig { resolved.config }

    /// The managers in print order: the default, then `MANAGERS` in file order.
    private var managers: [(heading: String, manager: ResolvedManager)] {
        var list = [("ASYNC_MANAGER_DEFAULT", resolved.defaultManager)]
        for declaration in config.managers {
            if let manager = resolved.managers[declaration.name.value] { list.append((declaration.name.value, manager)) }
        }
        return list
    }

    var lines: [String] {
        var out = ["config: \(path)"]
        let all = managers
        out += ManagerReport(all[0].manager).lines(heading: "ASYNC_MANAGER_DEFAULT: ", indent: "")
        if all.count > 1 {
            out.append("MANAGERS:")
            for (_, manager) in all.dropFirst() {
                out += ManagerReport(manager).lines(heading: "", indent: "  ")
            }
        } else {
            out.append("MANAGERS: none")
        }
        if config.models.isEmpty {
            out.append("MODELS: none")
        } else {
            out.append("MODELS:")
            for declaration in config.models {
                if let model = try? resolved.registry.recordModel(named: declaration.name.value) {
                    out += ManagerReport.modelLines(model, indent: "  ", heading: "\(model.name)")
                }
            }
        }
        out.append("STORE: \(StoreURL.redacted(config.store.value))\(Self.origin(config.store.location))")
        for (role, url) in config.storeRoles.sorted(by: { $0.key < $1.key }) {
            out.append("STORE_ROLES.\(role.rawValue): \(StoreURL.redacted(url.value))\(Self.origin(url.location))")
        }
        out.append("QUEUE: \(config.queue.value)\(Self.origin(config.queue.location))")
        out.append("settings:")
        for (key, value) in settings where key != "RETENTION" { out.append("  \(key): \(value.stringValue ?? value.jsonText)") }
        out.append("  RETENTION (0: no limit):")
        for (kind, rule) in config.settings.retention.named {
            out.append("    \(kind): \(rule.description)")
        }
        if resolved.plugins.isEmpty {
            out.append("PLUGINS: none")
        } else {
            out.append("PLUGINS:")
            for plugin in resolved.plugins {
                let registered = plugin.observers.map { "observer \($0)" } + plugin.formatters.map { "formatter \($0)" }
                out.append("  \(plugin.path): " + (registered.isEmpty ? "registered nothing" : registered.joined(separator: ", ")))
            }
        }
        let dashboard = config.dashboard.keys.sorted().map { key in
            "\(key)=\(config.dashboard[key].map { $0.value.stringValue ?? $0.value.jsonText } ?? "")"
        }
        out.append("DASHBOARD: " + (dashboard.isEmpty ? "defaults" : dashboard.joined(separator: ", ")))
        return out
    }

    var json: JSONValue {
        var managersJSON: [String: JSONValue] = [:]
        for (heading, manager) in managers.dropFirst() { managersJSON[heading] = ManagerReport(manager).json }
        var models: [String: JSONValue] = [:]
        for declaration in config.models {
            if let model = try? resolved.registry.recordModel(named: declaration.name.value) { models[model.name] = ManagerReport.modelJSON(model) }
        }
        return [
            "config": .string(path),
            "ok": true,
            "default_manager": ManagerReport(resolved.defaultManager).json,
            "managers": .object(managersJSON),
            "models": .object(models),
            "store": .string(StoreURL.redacted(config.store.value)),
            "store_roles": .object(Dictionary(uniqueKeysWithValues: config.storeRoles.map { ($0.key.rawValue, JSONValue.string(StoreURL.redacted($0.value.value))) })),
            "queue": .string(config.queue.value),
            "settings": .object(Dictionary(settings, uniquingKeysWith: { _, last in last })),
            "plugins": .array(resolved.plugins.map { plugin in
                ["path": .string(plugin.path), "observers": .array(plugin.observers.map(JSONValue.string)),
                 "formatters": .array(plugin.formatters.map(JSONValue.string))]
            }),
            "dashboard": .object(config.dashboard.mapValues(\.value)),
        ]
    }

    /// The scalar settings, in reference order (times in seconds).
    private var settings: [(String, JSONValue)] {
        let s = config.settings
        return [
            ("ASYNC_ENABLED", .bool(s.asyncEnabled)),
            ("CONFLICT_TTL", .int(Int(s.conflictTTL.components.seconds))),
            ("PROGRESS_TTL", .int(Int(s.progressTTL.components.seconds))),
            ("CLEANUP_GRACE_PERIOD", .int(Int(s.cleanupGracePeriod.components.seconds))),
            ("MAX_TASK_DURATION", .int(Int(s.maxTaskDuration.components.seconds))),
            ("CLEANUP_SCHEDULE_INTERVAL", .int(Int(s.cleanupScheduleInterval.components.seconds))),
            ("LEASE_TTL", .int(Int(s.leaseTTL.components.seconds))),
            ("RETENTION", .object(Dictionary(uniqueKeysWithValues: s.retention.named.map { kind, rule in
                (kind, JSONValue.object([
                    "max_age_days": .int(rule.maxAge.map { Int($0.components.seconds / 86_400) } ?? 0),
                    "max_count": .int(rule.maxCount ?? 0),
                ]))
            }))),
        ]
    }

    static func origin(_ location: SourceLocation) -> String {
        location.environmentVariable.map { " (from $\($0))" } ?? ""
    }
}
