/// A registered dotted name and where it came from (`built-in`, `sample`, `module MyApp`, `config`).
public struct RegisteredName: Sendable, Hashable, CustomStringConvertible {
    public var name: String
    public var origin: String

    public init(name: String, origin: String) {
        self.name = name
        self.origin = origin
    }

    public var description: String { "'\(name)' (\(origin))" }
}

/// A dotted name that is not registered, or is registered as something else.
///
/// Its description names the closest registered names and then every registered name of the
/// expected kind with its origin, so a user can tell a typo from a type that never reached the
/// registry (an application type in a build that does not register it, say):
///
/// ```text
/// unknown manager 'myapp.async_manager.AppAsyncManagr'; did you mean 'myapp.async_manager.AppAsyncManager'?
/// registered managers: 'asyncdash.AsyncManager' (built-in), …, 'myapp.async_manager.AppAsyncManager' (module MyApp)
/// ```
public struct RegistryError: Error, CustomStringConvertible, Sendable, Hashable {
    public var name: String
    public var expected: Registry.Kind
    /// What the name is registered as instead, if anything.
    public var found: Registry.Kind?
    /// The closest registered names of the expected kind.
    public var suggestions: [String]
    /// Every registered name of the expected kind, with its origin.
    public var registered: [RegisteredName]

    /// How many registered names the description lists before "and N more".
    public static let listLimit = 25

    public init(name: String, expected: Registry.Kind, found: Registry.Kind?, suggestions: [String], registered: [RegisteredName] = []) {
        self.name = name
        self.expected = expected
        self.found = found
        self.suggestions = suggestions
        self.registered = registered
    }

    public var description: String {
        var text: String
        if let found {
            text = "'\(name)' is a registered \(found.rawValue), not a \(expected.rawValue)"
                + (suggestions.isEmpty ? "" : "; \(expected.rawValue)s with similar names: " + suggestions.map { "'\($0)'" }.joined(separator: ", "))
        } else {
            text = "unknown \(expected.rawValue) '\(name)'"
                + (suggestions.isEmpty ? "" : "; did you mean " + suggestions.map { "'\($0)'" }.joined(separator: " or ") + "?")
        }
        return text + "; " + registeredList
    }

    /// `registered managers: 'a' (built-in), 'b' (config)` — or that none is registered.
    public var registeredList: String {
        let plural = expected == .storeScheme ? "store schemes" : "\(expected.rawValue)s"
        guard !registered.isEmpty else { return "no \(plural) are registered" }
        let shown = registered.prefix(Self.listLimit).map { expected == .storeScheme ? "'\($0.name):' (\($0.origin))" : $0.description }
        let more = registered.count > Self.listLimit ? ", and \(registered.count - Self.listLimit) more" : ""
        return "registered \(plural): " + shown.joined(separator: ", ") + more
    }
}
