/// Where a config value was written: `file:line:column`, or an environment variable.
public struct SourceLocation: Sendable, Hashable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int
    /// Set when the value came from the environment instead of the file.
    public var environmentVariable: String?

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    /// A value that came from environment variable `name`.
    public static func environment(_ name: String) -> SourceLocation {
        var location = SourceLocation(file: "", line: 0, column: 0)
        location.environmentVariable = name
        return location
    }

    public var description: String {
        if let environmentVariable { return "environment variable \(environmentVariable)" }
        return "\(file):\(line):\(column)"
    }
}

/// A value with the place it was written.
public struct Located<Value: Sendable>: Sendable {
    public var value: Value
    public var location: SourceLocation
    public init(_ value: Value, at location: SourceLocation) {
        self.value = value
        self.location = location
    }
}

extension Located: Equatable where Value: Equatable {}
extension Located: Hashable where Value: Hashable {}

/// One mistake in a config: where, and what (naming the value and what would be valid).
public struct ConfigDiagnostic: Sendable, Hashable, CustomStringConvertible {
    public var location: SourceLocation
    public var message: String

    /// The longest message kept whole: a longer one (a value of megabytes quoted back) keeps its
    /// start and end, with how much was cut between them.
    public static let maximumMessageLength = 1_000

    public init(_ message: String, at location: SourceLocation) {
        self.message = Self.bounded(message)
        self.location = location
    }

    static func bounded(_ message: String) -> String {
        guard message.count > maximumMessageLength else { return message }
        let head = message.prefix(600)
        let tail = message.suffix(300)
        return "\(head)… (\(message.count - 900) characters cut) …\(tail)"
    }

    /// `config.yaml:12:5: error: …`
    public var description: String { "\(location): error: \(message)" }
}

/// Every mistake found in a config, in file order.
public struct ConfigError: Error, Sendable, CustomStringConvertible {
    public var diagnostics: [ConfigDiagnostic]

    /// Keeps one diagnostic per mistake — a mistake reported twice at the same place (a
    /// `MANAGERS` entry checked again as the base of another declaration) is kept as first
    /// reported — and sorts them by position (file first, then environment variables).
    public init(_ diagnostics: [ConfigDiagnostic]) {
        var seen: Set<String> = []
        let unique = diagnostics.filter { diagnostic in
            // The same place and the same complaint, whatever the declaration path in front of it.
            let complaint = diagnostic.message.split(separator: ": ", maxSplits: 1).last.map(String.init) ?? diagnostic.message
            return seen.insert("\(diagnostic.location)\u{1F}\(complaint)").inserted
        }
        self.diagnostics = unique.sorted { a, b in
            (a.location.environmentVariable == nil ? 0 : 1, a.location.line, a.location.column)
                < (b.location.environmentVariable == nil ? 0 : 1, b.location.line, b.location.column)
        }
    }

    public var description: String {
        diagnostics.map(\.description).joined(separator: "\n")
    }
}
