/// The files `asyncdash-init` writes, and the instructions it prints.
enum Templates {
    /// The module name SwiftPM gives a target: characters other than letters, digits and `_`
    /// become `_`, and a leading digit gets a `_` before it (`myapp-dash` → `myapp_dash`).
    static func moduleName(_ target: String) -> String {
        var result = String(target.map { $0.isASCII && ($0.isLetter || $0.isNumber) || $0 == "_" ? $0 : "_" })
        if let first = result.first, first.isNumber { result = "_" + result }
        return result
    }

    /// The default dotted-name prefix: the package name lower-cased, without non-alphanumerics.
    static func defaultPrefix(packageName: String) -> String {
        let prefix = String(packageName.lowercased().filter { $0.isASCII && ($0.isLetter || $0.isNumber) })
        return prefix.isEmpty ? "app" : prefix
    }

    /// Paths relative to the package directory, and their contents.
    static func files(name: String, prefix: String) -> [(path: String, content: String)] {
        [
            ("Sources/\(name)/main.swift", main(name: name)),
            ("Sources/\(name)/AppManager.swift", appManager(prefix: prefix)),
            ("config.yaml", config(name: name, prefix: prefix)),
        ]
    }

    static func main(name: String) -> String {
        """
        import AsyncDashCLI
        import Foundation

        exit(await AsyncDashMain.main { registry in
            \(moduleName(name))Registrations.register(into: &registry)
        })

        """
    }

    static func appManager(prefix: String) -> String {
        """
        import AsyncDash
        import Foundation

        /// `\(prefix).async_manager.AppAsyncManager`: the application's manager. It keeps one
        /// `\(prefix).JobRecord` row per task. The AsyncDashRegistrations plugin registers it because it
        /// conforms to `RegisteredManager`.
        final class AppAsyncManager: ModelTrackingAsyncManager, RegisteredManager, @unchecked Sendable {
            static let dottedName = "\(prefix).async_manager.AppAsyncManager"
            override class var recordModelPath: String? { "\(prefix).JobRecord" }
        }

        /// The application's record model, task functions and observers: the plugin registers each
        /// `static let` of these types in a `RegistrationCatalog`.
        enum AppCatalog: RegistrationCatalog {
            /// `\(prefix).JobRecord`: table `job_records`, one row per task.
            static let jobRecord: RecordModel = {
                do {
                    return try RecordModel(name: "\(prefix).JobRecord", table: "job_records", columns: [
                        .init("task_name", .text), .init("status", .text), .init("message", .text),
                        .init("progress_payload", .text), .init("user_label", .text), .init("result_payload", .json),
                        .init("completed_at", .timestamp), .init("failed_at", .timestamp), .init("cleaned_up", .bool),
                        .init("created_at", .timestamp), .init("updated_at", .timestamp),
                    ])
                } catch {
                    preconditionFailure("\(prefix).JobRecord is declared wrongly: \\(error)")
                }
            }()

            /// `\(prefix).tasks.hello` — args `{"count": N}`; reports progress per step, returns `{"greeted": N}`.
            static let hello = TaskFunction(name: "\(prefix).tasks.hello") { args, context in
                let count = max(1, args["count"]?.intValue ?? 3)
                for step in 1...count {
                    try await Task.sleep(for: .milliseconds(200))
                    try await context.progress(.structured(StructuredProgress(done: step, total: count, unit: "steps")))
                }
                return ["greeted": .int(count)]
            }

            /// `\(prefix).observers.print` — writes one line per event to stderr; option `prefix`.
            static let printer = ObserverPlugin(name: "\(prefix).observers.print") { options in
                try options.allowOnly(["prefix"])
                return PrintObserver(prefix: try options.string("prefix", default: "[\(prefix)]"))
            }
        }

        /// Writes `<prefix> <event> <task> (<status>)` to stderr.
        struct PrintObserver: LifecycleObserver {
            var prefix: String

            func observe(_ event: LifecycleEvent) async throws {
                let status = event.status.map { " (\\($0.rawValue))" } ?? ""
                FileHandle.standardError.write(Data("\\(prefix) \\(event.kind.rawValue) \\(event.taskName)\\(status)\\n".utf8))
            }
        }

        """
    }

    static func config(name: String, prefix: String) -> String {
        """
        # AsyncDash configuration of \(name). Every key: see AsyncDash's README, "Config reference".
        # Check it with: swift run \(name) check-config
        ASYNC_ENABLED: true
        STORE: sqlite://.asyncdash/\(prefix).sqlite   # memory | sqlite://PATH
        QUEUE: durable

        ASYNC_MANAGER_DEFAULT:
          manager_class: \(prefix).async_manager.AppAsyncManager
          config:
            record_model_path: \(prefix).JobRecord
            observers:
              - type: \(prefix).observers.print
                events: [complete, fail]
                prefix: "[\(prefix)]"

        MANAGERS: {}
        MODELS: {}
        PLUGINS: []
        DASHBOARD:
          bind: 127.0.0.1:8000            # any address beyond loopback needs a token
          path_prefix: /async-dashboard
          fields: [task_name, status, user_label, updated_at]
          detail_fields: [task_name, status, message, progress_payload, result_payload, completed_at, failed_at]
          page_size: 50

        """
    }

    /// What to add to Package.swift, and what to run next.
    static func instructions(name: String, written: [String]) -> String {
        """
        Wrote \(written.joined(separator: ", ")).

        Add this target to the `targets:` of your Package.swift (the package must depend on AsyncDash,
        e.g. `.package(url: "…/AsyncDash.git", from: "…")` or `.package(name: "AsyncDash", path: "…")`):

                .executableTarget(
                    name: "\(name)",
                    dependencies: [.product(name: "AsyncDashCLI", package: "AsyncDash")],
                    plugins: [.plugin(name: "AsyncDashRegistrations", package: "AsyncDash")]
                ),

        Then:

            swift run \(name) check-config
            swift run \(name) serve

        """
    }
}
