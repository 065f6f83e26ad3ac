import AsyncDash

extension Registry {
    /// Registers the sample app: `sample.AsyncTaskRecord`, `sample.async_manager.SampleAsyncManager`,
    /// `sample.async_manager.NotifyingAsyncManager` and the `sample.tasks.*` functions.
    public mutating func registerSample() {
        register(recordModel: AsyncTaskRecord.model)
        register(SampleAsyncManager.self, as: SampleAsyncManager.registeredName)
        register(NotifyingAsyncManager.self, as: NotifyingAsyncManager.notifyingName)
        for task in SampleTasks.all { register(taskFunction: task) }
    }
}
