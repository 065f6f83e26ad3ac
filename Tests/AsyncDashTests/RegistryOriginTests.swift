import AsyncDash
import AsyncDashSQLite
import Sample
import Testing

/// An unknown dotted name says which names are registered and where each came from.
@Suite("Registry origins")
struct RegistryOriginTests {
    final class AppManager: ModelTrackingAsyncManager, RegisteredManager, @unchecked Sendable {
        static let dottedName = "myapp.async_manager.AppAsyncManager"
    }

    func registry() -> Registry {
        var registry = Registry.standard
        registry.registerSQLite()
        registry.registerSample()
        registry.register(from: "module MyApp") { registry in
            registry.register(manager: AppManager.self)
            registry.register(observer: ObserverPlugin(name: "myapp.observers.noop") { _ in NoopObserver() })
        }
        return registry
    }

    struct NoopObserver: LifecycleObserver {
        func observe(_ event: LifecycleEvent) async throws {}
    }

    @Test func everyNameCarriesItsOrigin() {
        let registry = registry()
        #expect(registry.origin(of: "asyncdash.AsyncManager") == "built-in")
        #expect(registry.origin(of: "sqlite:") == "built-in (AsyncDashSQLite)")
        #expect(registry.origin(of: "sample.async_manager.SampleAsyncManager") == "module Sample")
        #expect(registry.origin(of: AppManager.dottedName) == "module MyApp")
        #expect(registry.origin(of: "myapp.observers.noop") == "module MyApp")
        #expect(registry.kind(of: "myapp.observers.noop") == .observer)
    }

    @Test func anUnknownManagerListsTheRegisteredOnesWithOrigins() throws {
        let error = try #require(throws: RegistryError.self) { try registry().manager(named: "myapp.async_manager.AppAsyncManagr") }
        let text = error.description
        #expect(text.contains("did you mean 'myapp.async_manager.AppAsyncManager'"), "\(text)")
        #expect(text.contains("registered managers: 'asyncdash.AsyncManager' (built-in)"), "\(text)")
        #expect(text.contains("'sample.async_manager.SampleAsyncManager' (module Sample)"), "\(text)")
        #expect(text.contains("'myapp.async_manager.AppAsyncManager' (module MyApp)"), "\(text)")
    }

    @Test func configDeclaredNamesAreListedAsConfig() throws {
        let error = try #require(throws: ConfigError.self) {
            try ConfigResolver.parse("""
                STORE: memory
                ASYNC_MANAGER_DEFAULT:
                  manager_class: myapp.Nowhere
                MANAGERS:
                  myapp.Declared:
                    base: asyncdash.ModelTrackingAsyncManager
                MODELS:
                  myapp.Row:
                    table: rows
                    columns: { task_name: text }
                """, file: "config.yaml", registry: registry())
        }
        let text = error.description
        #expect(text.contains("'myapp.Declared' (config MANAGERS)"), "\(text)")
        #expect(text.contains("(module MyApp)"), "\(text)")
    }

    @Test func anUnknownStoreSchemeListsTheDrivers() throws {
        let error = try #require(throws: RegistryError.self) { try registry().storeFactory(for: "postgres://x") }
        #expect(error.description.contains("registered store schemes: 'memory:' (built-in), 'sqlite:' (built-in (AsyncDashSQLite))"), "\(error)")
    }

    @Test func memoryWithADurableQueueIsAConfigErrorAndDefaultsToInProcess() throws {
        let error = try #require(throws: ConfigError.self) {
            try ConfigResolver.parse("STORE: memory\nQUEUE: durable\n", file: "config.yaml", registry: registry())
        }
        #expect(error.description.contains("config.yaml:2:8"), "\(error)")
        #expect(error.description.contains("use QUEUE: inprocess"), "\(error)")
        let defaulted = try ConfigResolver.parse("STORE: memory\n", file: "config.yaml", registry: registry())
        #expect(defaulted.config.queue.value == "inprocess")
        let sqlite = try ConfigResolver.parse("STORE: sqlite://x.sqlite\n", file: "config.yaml", registry: registry())
        #expect(sqlite.config.queue.value == "durable")
    }
}
