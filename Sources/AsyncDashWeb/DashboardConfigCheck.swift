import AsyncDash

extension DashboardSettings {
    /// The `DASHBOARD` section's checks, as a ``ConfigCheck``: what `serve` validates before it
    /// starts (bind, path_prefix, page_size, fields and detail_fields against the manager's record
    /// model and field map, token variables and their length, the templates folder and its
    /// templates, each `DASHBOARD.managers` entry, an exposed address without a token), so that
    /// `check-config` reports the same mistakes with the same messages.
    ///
    /// ```swift
    /// let resolved = try ConfigResolver.load(path: "config.yaml", registry: registry, checks: [DashboardSettings.configCheck])
    /// ```
    public static let configCheck: ConfigCheck = { context in
        configDiagnostics(context)
    }

    static func configDiagnostics(_ context: ConfigCheckContext) -> [ConfigDiagnostic] {
        let section = context.config.dashboard
        let sectionStart = section.values.map(\.location).min { ($0.line, $0.column) < ($1.line, $1.column) }
            ?? SourceLocation(file: context.config.file, line: 1, column: 1)
        // Without the default manager's records (it did not resolve, and its mistakes are
        // reported; or it keeps none, and serve needs --no-dashboard, a flag) every key but the
        // columns is still checked.
        let records = context.records(ofManager: nil)
        var diagnostics: [ConfigDiagnostic] = []
        let settings: DashboardSettings
        do {
            settings = try resolve(section, checkingAgainst: records?.model, fieldMap: records?.fieldMap, environment: context.environment)
        } catch {
            return error.diagnostics
        }
        do {
            try settings.checkExposure()
        } catch {
            diagnostics.append(ConfigDiagnostic("DASHBOARD.bind: \(error)", at: section["bind"]?.location ?? sectionStart))
        }
        if settings.templatesDirectory != nil {
            do {
                _ = try Templates(overrides: settings.templatesDirectory)
            } catch {
                diagnostics.append(ConfigDiagnostic("DASHBOARD.templates: \(error)", at: section["templates"]?.location ?? sectionStart))
            }
        }
        for (name, managerSection) in context.config.managerDashboards {
            guard let (otherModel, otherMap) = context.records(ofManager: name.value) else {
                if context.registry.kind(of: name.value) == .manager || context.managers[name.value] != nil {
                    diagnostics.append(ConfigDiagnostic("DASHBOARD.managers: manager '\(name.value)' keeps no dashboard records", at: name.location))
                }
                continue  // an unknown name is reported by the resolver
            }
            do {
                _ = try settings.forManager(managerSection, model: otherModel, fieldMap: otherMap)
            } catch {
                diagnostics += error.diagnostics.map { problem in
                    let message = problem.message.hasPrefix("DASHBOARD.") ? String(problem.message.dropFirst("DASHBOARD.".count)) : problem.message
                    return ConfigDiagnostic("DASHBOARD.managers.\(name.value).\(message)", at: problem.location)
                }
            }
        }
        return diagnostics
    }
}
