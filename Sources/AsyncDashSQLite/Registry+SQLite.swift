import AsyncDash

extension Registry {
    /// Registers the `sqlite:` store scheme (`sqlite://relative/path.sqlite`, `sqlite:///absolute/path.sqlite`).
    public mutating func registerSQLite() {
        register(from: "built-in (AsyncDashSQLite)") { registry in
            registry.register(storeScheme: SQLiteStore.urlScheme, validate: { url in _ = try SQLiteStore.parse(url: url) }) { url, clock in
                try await StoreSet.sqlite(url: url, clock: clock)
            }
        }
    }
}
