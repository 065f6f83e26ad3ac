import AsyncDash
import AsyncDashSQLite
import AsyncDashPostgres
import AsyncDashWebhooks
import AsyncDashMetrics

/// The registry the commands of one ``AsyncDashMain/main(registry:arguments:)`` run resolve names
/// in: a task-local value, so two runs in one process (tests) never share it and nothing is global.
public enum CommandLineRegistry {
    /// What every command line starts from: the core built-ins, the store drivers this package
    /// ships (`memory:`, `sqlite:`, `postgres:`), the webhook and metrics observers. An application adds its
    /// own types on top.
    public static var builtins: Registry {
        var registry = Registry.standard
        registry.registerSQLite()
        registry.registerPostgres()
        registry.registerWebhooks()
        registry.registerMetrics()
        return registry
    }

    /// The registry of the running command line (``builtins`` outside ``AsyncDashMain``).
    @TaskLocal public static var current: Registry = builtins
}
