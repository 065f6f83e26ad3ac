import ArgumentParser
import AsyncDash

/// `asyncdash migrate`: creates or upgrades the record tables of the default manager and every
/// `MANAGERS` entry on the configured store (the coordination tables are made when it opens).
struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Create or upgrade the store's schema for every configured manager's record model."
    )

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let runtime = try CLIRuntime(global)
        let stores = try runtime.openStores()
        Output.line("store: \(runtime.displayedStoreURL())")
        var names: [String?] = [nil]
        names += runtime.resolved.config.managers.map(\.name.value).filter { runtime.resolved.managers[$0] != nil }
        var models: [(model: RecordModel, managers: [String])] = []
        for name in names {
            let manager = try await runtime.manager(named: name, stores: stores, prepare: false)
            guard let tracking = manager as? ModelTrackingAsyncManager else {
                Output.line("\(manager.name): keeps no records; nothing to prepare")
                continue
            }
            if let index = models.firstIndex(where: { $0.model == tracking.recordModel }) {
                models[index].managers.append(manager.name)
            } else {
                models.append((tracking.recordModel, [manager.name]))
            }
        }
        for (model, managers) in models {
            try await stores.records.prepare(model)
            Output.line("prepared \(model.name) (table \(model.table), \(model.columns.count) columns) for \(managers.joined(separator: ", "))")
        }
        Output.line("migrate OK")
    }
}
