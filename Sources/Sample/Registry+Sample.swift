import AsyncDash

extension Registry {
    /// Registers the sample app: `sample.AsyncTaskRecord`, `sample.async_manager.SampleAsyncManager`,
    /// `sample.async_manager.NotifyingAsyncManager` and the `sample.tasks.*` functions — the list
    /// the `AsyncDashRegistrations` build-tool plugin generated from this module's sources
    /// (`SampleRegistrations`), under the origin `module Sample`.
    public mutating func registerSample() {
        SampleRegistrations.register(into: &self)
    }
}
