import Logging

/// The options of one config entry (an observer or a formatter), with typed accessors whose
/// errors name the option and the valid values.
///
/// ```swift
/// registry.register(observer: "myapp.observers.slack") { options in
///     SlackObserver(channel: try options.string("channel"), token: try options.secret("token_env"))
/// }
/// ```
public struct ComponentOptions: Sendable {
    /// The dotted name of the component.
    public var type: String
    /// The entry's members other than `type`, `events` and `timeout_ms`.
    public var values: [String: JSONValue]
    /// The process environment, for `…_env` options (secrets come only from there).
    public var environment: [String: String]
    public var logger: Logger

    public init(type: String, values: [String: JSONValue] = [:], environment: [String: String] = [:], logger: Logger = Logger(label: "asyncdash")) {
        self.type = type
        self.values = values
        self.environment = environment
        self.logger = logger
    }

    /// A required string option.
    public func string(_ key: String) throws -> String {
        guard let value = values[key] else { throw OptionError(key: key, message: "missing required option '\(key)' (a string)") }
        guard let s = value.stringValue else { throw OptionError(key: key, message: "option '\(key)' must be a string, not \(value.typeName)") }
        return s
    }

    /// An optional string option.
    public func string(_ key: String, default defaultValue: String) throws -> String {
        values[key] == nil ? defaultValue : try string(key)
    }

    /// An optional integer option.
    public func int(_ key: String, default defaultValue: Int?) throws -> Int? {
        guard let value = values[key] else { return defaultValue }
        guard let i = value.intValue else { throw OptionError(key: key, message: "option '\(key)' must be an integer, not \(value.typeName)") }
        return i
    }

    /// An optional Boolean option.
    public func bool(_ key: String, default defaultValue: Bool) throws -> Bool {
        guard let value = values[key] else { return defaultValue }
        guard let b = value.boolValue else { throw OptionError(key: key, message: "option '\(key)' must be true or false, not \(value.typeName)") }
        return b
    }

    /// An optional number option.
    public func double(_ key: String, default defaultValue: Double?) throws -> Double? {
        guard let value = values[key] else { return defaultValue }
        guard let d = value.doubleValue else { throw OptionError(key: key, message: "option '\(key)' must be a number, not \(value.typeName)") }
        return d
    }

    /// An optional list of strings.
    public func strings(_ key: String, default defaultValue: [String] = []) throws -> [String] {
        guard let value = values[key] else { return defaultValue }
        guard let items = value.arrayValue, items.allSatisfy({ $0.stringValue != nil }) else {
            throw OptionError(key: key, message: "option '\(key)' must be a list of strings, not \(value.typeName)")
        }
        return items.compactMap(\.stringValue)
    }

    /// The value of the environment variable named by option `key` (e.g. `secret_env: OPS_SECRET`).
    public func secret(_ key: String) throws -> String {
        let variable = try string(key)
        guard let value = environment[variable], !value.isEmpty else {
            throw OptionError(key: key, message: "option '\(key)' names environment variable \(variable), which is not set")
        }
        return value
    }

    /// Fails when the entry has members other than `known`.
    public func allowOnly(_ known: Set<String>) throws {
        for key in values.keys.sorted() where !known.contains(key) {
            throw OptionError(
                key: key,
                message: "unknown option '\(key)' for \(type)\(Suggest.didYouMean(key, in: known)); valid options: \(known.sorted().joined(separator: ", "))"
            )
        }
    }
}

/// An option of a config entry that cannot be used.
public struct OptionError: Error, CustomStringConvertible, Sendable {
    /// The option's key.
    public var key: String
    public var message: String
    public init(key: String, message: String) {
        self.key = key
        self.message = message
    }
    public var description: String { message }
}
