/// A check of config that the core does not interpret itself — the dashboard's `DASHBOARD`
/// section, say — run by ``ConfigResolver`` after the names resolved, so its mistakes are
/// reported with every other one: once each, sorted by position, in one run.
///
/// A command passes the checks of what it will start: `serve` and `check-config` pass the
/// dashboard's, `worker` does not (a worker machine need not hold the dashboard's tokens).
///
/// ```swift
/// let check: ConfigCheck = { context in
///     context.config.dashboard["page_size"] == nil ? [] : []   // return a ConfigDiagnostic per mistake
/// }
/// let resolved = try ConfigResolver.load(path: "config.yaml", registry: registry, checks: [check])
/// ```
public typealias ConfigCheck = @Sendable (ConfigCheckContext) -> [ConfigDiagnostic]

/// What a ``ConfigCheck`` sees: the config as read, the registry, the environment, and the
/// managers that resolved (a manager whose declaration has mistakes is missing).
public struct ConfigCheckContext: Sendable {
    public var config: AsyncDashConfig
    public var registry: Registry
    public var environment: [String: String]
    /// `ASYNC_MANAGER_DEFAULT`, when it resolved.
    public var defaultManager: ResolvedManager?
    /// `MANAGERS` entries that resolved, by name.
    public var managers: [String: ResolvedManager]
    /// The record model and field map of every declaration whose model resolved, by declared
    /// name (`ASYNC_MANAGER_DEFAULT` for the default), even where another part did not.
    public var declaredRecords: [String: DeclaredRecords] = [:]

    /// The record model and effective field map manager `name` writes (`nil`: the default one):
    /// `nil` when it did not resolve or keeps no records.
    public func records(ofManager name: String?) -> (model: RecordModel, fieldMap: FieldMap)? {
        if let declared = declaredRecords[name ?? "ASYNC_MANAGER_DEFAULT"] { return (declared.model, declared.fieldMap) }
        let resolved: ResolvedManager?
        if let name {
            resolved = managers[name] ?? (name == defaultManager?.name ? defaultManager : nil)
        } else {
            resolved = defaultManager
        }
        if let resolved {
            guard let model = resolved.recordModel, let map = resolved.effectiveFieldMap else { return nil }
            return (model, map)
        }
        // A registered class used as it is.
        guard let name, let entry = registry.managers[name], entry.isModelTracking, let path = entry.classRecordModelPath,
            let model = registry.recordModels[path], let map = try? FieldMap(model: model, overrides: entry.classFieldMap)
        else { return nil }
        return (model, map)
    }
}

/// A declaration's record model and effective field map (see ``ConfigCheckContext/declaredRecords``).
public struct DeclaredRecords: Sendable {
    public var model: RecordModel
    public var fieldMap: FieldMap
}
