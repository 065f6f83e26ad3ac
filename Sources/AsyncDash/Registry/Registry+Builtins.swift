import Logging

extension Registry {
    /// The built-ins of the core module: `asyncdash.AsyncManager`, `asyncdash.ModelTrackingAsyncManager`,
    /// `asyncdash.observers.log`, `asyncdash.observers.jsonl`, `asyncdash.observers.command`, `asyncdash.formatters.{user,affected,payload}`,
    /// and the `memory:` store.
    public static var standard: Registry {
        var registry = Registry()
        registry.register(from: "built-in") { registry in registry.registerCoreBuiltins() }
        return registry
    }

    private mutating func registerCoreBuiltins() {
        register(AsyncManager.self, as: "asyncdash.AsyncManager")
        register(ModelTrackingAsyncManager.self, as: "asyncdash.ModelTrackingAsyncManager")
        register(observer: "asyncdash.observers.log") { options in
            try options.allowOnly(["level", "label"])
            let levelName = try options.string("level", default: "info")
            guard let level = Logger.Level(rawValue: levelName) else {
                throw OptionError(
                    key: "level",
                    message: "option 'level' is '\(levelName)'; valid levels: \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))"
                )
            }
            // An explicit label gets a logger of its own from the bootstrapped logging system;
            // otherwise the runtime's logger is used.
            let logger = options.values["label"] == nil ? options.logger : Logger(label: try options.string("label"))
            return LogObserver(logger: logger, level: level)
        }
        register(observer: "asyncdash.observers.jsonl") { options in
            try options.allowOnly(["path"])
            let path = try options.string("path")
            guard !path.isEmpty else { throw OptionError(key: "path", message: "option 'path' must name a file, e.g. .asyncdash/events.jsonl") }
            return JSONLinesObserver(path: path)
        }
        register(observer: "asyncdash.observers.command") { options in
            try options.allowOnly(["command", "pass_env"])
            // `command: /path/prog` or `command: [/path/prog, arg, …]`.
            let command: [String]
            if let program = options.values["command"]?.stringValue { command = [program] } else { command = try options.strings("command") }
            do {
                return try CommandObserver(
                    command: command, passEnvironment: try options.strings("pass_env"), environment: options.environment, logger: options.logger)
            } catch let error as CommandObserverError {
                throw OptionError(key: "command", message: error.description)
            }
        }
        register(formatter: FormatterSlot.user.builtinName) { options in
            try options.allowOnly(["anonymous", "username_keys"])
            return UserFormatter(anonymous: try options.string("anonymous", default: ""), usernameKeys: try options.strings("username_keys", default: ["username", "name"]))
        }
        register(formatter: FormatterSlot.affected.builtinName) { options in
            try options.allowOnly(["separator", "limit"])
            let limit = try options.int("limit", default: nil)
            if let limit, limit < 0 { throw OptionError(key: "limit", message: "option 'limit' must be 0 or more, not \(limit)") }
            return AffectedFormatter(separator: try options.string("separator", default: ", "), limit: limit)
        }
        register(formatter: FormatterSlot.payload.builtinName) { options in
            try options.allowOnly(["redact", "replacement"])
            return PayloadFormatter(redact: try options.strings("redact"), replacement: try options.string("replacement", default: "[redacted]"))
        }
        register(storeScheme: "memory", persistent: false) { _, clock in StoreSet.memory(clock: clock) }
    }
}
