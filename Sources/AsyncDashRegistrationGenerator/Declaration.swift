/// A type declaration or an extension found by ``SourceScanner``.
struct Declaration: Equatable, Sendable {
    enum Kind: String, Sendable {
        case `class`, `struct`, `enum`, actor, `protocol`, `extension`
    }

    /// A `dottedName` member declared in the body.
    struct DottedName: Equatable, Sendable {
        var isOverride: Bool
        var line: Int
    }

    var kind: Kind
    /// The qualified name: `Outer.Inner` for a nested type; for an extension, the name as written.
    var name: [String]
    /// The qualified name of the enclosing type, where names in the inheritance list are looked up.
    var scope: [String]
    /// The inheritance list, each entry a dotted path without generic arguments.
    var inherits: [[String]]
    /// Whether it has generic parameters, or is nested in a generic type.
    var isGeneric: Bool
    /// Whether this or an enclosing declaration is `private` or `fileprivate`.
    var isPrivate: Bool
    /// The `#if` clauses around the declaration (all must hold).
    var conditions: [String]
    var file: String
    var line: Int
    var dottedName: DottedName?
    /// The `static let`s of registrable types in this body.
    var members: [Member] = []

    var qualifiedName: String { name.joined(separator: ".") }

    init(kind: Kind, name: [String], scope: [String], inherits: [[String]], isGeneric: Bool, isPrivate: Bool,
         conditions: [String], file: String, line: Int, dottedName: DottedName? = nil, members: [Member] = []) {
        self.kind = kind
        self.name = name
        self.scope = scope
        self.inherits = inherits
        self.isGeneric = isGeneric
        self.isPrivate = isPrivate
        self.conditions = conditions
        self.file = file
        self.line = line
        self.dottedName = dottedName
        self.members = members
    }

    func lists(_ protocolName: String) -> Bool {
        inherits.contains { $0 == [protocolName] || $0 == ["AsyncDash", protocolName] }
    }
}

/// A `static let` of a registrable type in a type body.
struct Member: Equatable, Sendable {
    var name: String
    var kind: RegistrationKind
    var isPrivate: Bool
    var conditions: [String]
    var line: Int
}

/// What a registration registers, in the order the generated file lists them.
enum RegistrationKind: Int, Comparable, Sendable, CaseIterable {
    case manager, recordModel, taskFunction, observer, formatter

    init?(typeName: String) {
        switch typeName {
        case "RecordModel": self = .recordModel
        case "TaskFunction": self = .taskFunction
        case "ObserverPlugin": self = .observer
        case "FormatterPlugin": self = .formatter
        default: return nil
        }
    }

    /// The argument label of `Registry.register(…)`.
    var label: String {
        switch self {
        case .manager: "manager"
        case .recordModel: "recordModel"
        case .taskFunction: "taskFunction"
        case .observer: "observer"
        case .formatter: "formatter"
        }
    }

    static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// One line of the generated file: `registry.register(<kind>: <expression>)`, under `#if` clauses.
struct Registration: Hashable, Comparable, Sendable {
    var kind: RegistrationKind
    /// The qualified name: the manager class, or `Catalog.member`.
    var name: [String]
    var conditions: [String]

    var call: String {
        let path = name.map(SwiftNames.escaped).joined(separator: ".")
        return "registry.register(\(kind.label): \(path)\(kind == .manager ? ".self" : ""))"
    }

    static func < (lhs: Self, rhs: Self) -> Bool {
        (lhs.kind, lhs.name.joined(separator: "."), lhs.conditions.joined(separator: " && "))
            < (rhs.kind, rhs.name.joined(separator: "."), rhs.conditions.joined(separator: " && "))
    }
}

/// A problem the generator reports in the compiler's format, which SwiftPM shows as a build diagnostic.
struct Diagnostic: Equatable, Sendable, CustomStringConvertible {
    enum Severity: String, Sendable { case error, warning }
    var file: String
    var line: Int
    var severity: Severity
    var message: String

    var description: String { "\(file):\(line): \(severity.rawValue): \(message)" }
}

enum SwiftNames {
    static let keywords: Set<String> = [
        "associatedtype", "class", "deinit", "enum", "extension", "fileprivate", "func", "import", "init",
        "inout", "internal", "let", "open", "operator", "private", "precedencegroup", "protocol", "public",
        "rethrows", "static", "struct", "subscript", "typealias", "var", "break", "case", "catch", "continue",
        "default", "defer", "do", "else", "fallthrough", "for", "guard", "if", "in", "repeat", "return",
        "throw", "switch", "where", "while", "Any", "as", "await", "false", "is", "nil", "self", "Self",
        "super", "throws", "true", "try", "package",
    ]

    /// `name`, in backticks when it is a keyword.
    static func escaped(_ name: String) -> String { keywords.contains(name) ? "`\(name)`" : name }

    /// The module name SwiftPM derives from a target name: characters other than letters, digits
    /// and `_` become `_`, and a leading digit gets a `_` before it (`myapp-dash` → `myapp_dash`).
    static func c99Name(_ name: String) -> String {
        var result = String(name.map { $0.isASCII && ($0.isLetter || $0.isNumber) || $0 == "_" ? $0 : "_" })
        if let first = result.first, first.isNumber { result = "_" + result }
        return result.isEmpty ? "_" : result
    }
}

/// One `#if … #elseif … #else … #endif` being read: the conditions of the branches already
/// passed, and the current branch's (nil in `#else`).
struct ConditionFrame {
    var previous: [String] = []
    var current: String?

    mutating func next(_ condition: String?) {
        if let current { previous.append(current) }
        current = condition
    }

    /// The clauses that hold in the current branch, each safe to join with `&&`.
    var clauses: [String] {
        func isSimple(_ c: String) -> Bool { !c.contains("&&") && !c.contains("||") && !c.hasPrefix("!") }
        var result = previous.map { isSimple($0) ? "!\($0)" : "!(\($0))" }
        if let current { result.append(current.contains("&&") || current.contains("||") ? "(\(current))" : current) }
        return result
    }
}
