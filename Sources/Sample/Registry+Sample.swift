import AsyncDash

extension Registry {
    /// Registers the sample app: `sample.AsyncTaskRecord`, `sample.async_manager.SampleAsyncManager`,
    /// `sample.async_manager.NotifyingAsyncManager` and the `sample.tasks.*` functions.
    public mutating func registerSample() {
        register(from: "sample") { registry in
            registry.register(recordModel: AsyncTaskRecord.model)
            registry.register(SampleAsyncManager.self, as: SampleAsyncManager.registeredName)
            registry.register(NotifyingAsyncManager.self, as: NotifyingAsyncManager.notifyingName)
            for task in SampleTasks.all { registry.register(taskFunction: task) }
        }
    }
}
