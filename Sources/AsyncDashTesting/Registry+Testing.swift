import AsyncDash

extension Registry {
    /// Registers `asyncdash.testing.failing` and `asyncdash.testing.hanging` observers, for
    /// exercising observer isolation from config.
    public mutating func registerTestingObservers() {
        register(observer: "asyncdash.testing.failing") { _ in FailingObserver() }
        register(observer: "asyncdash.testing.hanging") { _ in HangingObserver() }
    }
}
