import AsyncDash

extension Registry {
    /// Registers `asyncdash.observers.metrics` (``MetricsObserver``; no options). Its metrics go
    /// to ``MetricsDestination/current`` when the config is resolved in a task that sets it, else
    /// to the process's `MetricsSystem`.
    public mutating func registerMetrics() {
        register(from: "built-in (AsyncDashMetrics)") { registry in
            registry.register(observer: "asyncdash.observers.metrics") { options in
                try options.allowOnly([])
                return MetricsObserver()
            }
        }
    }
}
