import Yams

/// Reads Yams nodes into typed values, collecting a diagnostic (with the node's line and
/// column) for every value of the wrong type instead of stopping at the first.
struct YAMLReader {
    let file: String
    var diagnostics: [ConfigDiagnostic] = []

    init(file: String) {
        self.file = file
    }

    func location(_ node: Node) -> SourceLocation {
        guard let mark = node.mark else { return SourceLocation(file: file, line: 1, column: 1) }
        return SourceLocation(file: file, line: mark.line, column: mark.column)
    }

    mutating func error(_ message: String, at node: Node) {
        diagnostics.append(ConfigDiagnostic(message, at: location(node)))
    }

    mutating func error(_ message: String, at location: SourceLocation) {
        diagnostics.append(ConfigDiagnostic(message, at: location))
    }

    /// `text`, or its first `limit` characters and how long it is: a message quotes what the user
    /// wrote without echoing a value of megabytes.
    static func cut(_ text: String, to limit: Int = 80) -> String {
        text.cutForMessage(limit)
    }

    /// A short description of what a node holds, for "expected X, got Y" messages.
    func describe(_ node: Node) -> String {
        switch node {
        case .scalar(let scalar):
            let text = Self.cut(scalar.string)
            switch node.tagName {
            case .null: return "null"
            case .bool: return "boolean \(text)"
            case .int: return "integer \(text)"
            case .float: return "number \(text)"
            default: return "string '\(text)'"
            }
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        }
    }

    /// The members of a mapping node as (key text, key node, value node), in file order.
    mutating func mapping(_ node: Node, _ what: String) -> [(key: String, keyNode: Node, value: Node)]? {
        guard case .mapping(let mapping) = node else {
            if case .scalar = node, node.tagName == .null { return [] }
            error("\(what) must be a mapping, got \(describe(node))", at: node)
            return nil
        }
        var members: [(String, Node, Node)] = []
        for (key, value) in mapping {
            guard let text = key.string, case .scalar = key else {
                error("keys of \(what) must be strings, got \(describe(key))", at: key)
                continue
            }
            members.append((text, key, value))
        }
        return members.map { (key: $0.0, keyNode: $0.1, value: $0.2) }
    }

    mutating func string(_ node: Node, _ what: String) -> Located<String>? {
        guard case .scalar(let scalar) = node, node.tagName != .null, node.tagName != .bool || scalar.style != .plain else {
            error("\(what) must be a string, got \(describe(node))", at: node)
            return nil
        }
        return Located(scalar.string, at: location(node))
    }

    mutating func dottedName(_ node: Node, _ what: String) -> Located<String>? {
        guard let name = string(node, what) else { return nil }
        if name.value.isEmpty || name.value.contains(where: \.isWhitespace) {
            error("\(what) '\(name.value)' is not a dotted name (e.g. sample.async_manager.SampleAsyncManager)", at: node)
            return nil
        }
        return name
    }

    mutating func bool(_ node: Node, _ what: String) -> Bool? {
        guard node.tagName == .bool, let value = node.bool else {
            error("\(what) must be true or false, got \(describe(node))", at: node)
            return nil
        }
        return value
    }

    /// A non-negative whole number of seconds.
    mutating func seconds(_ node: Node, _ what: String) -> Int? {
        guard node.tagName == .int, let value = node.int else {
            let range = SettingRanges.seconds[what].map { " (\($0.bounds))" } ?? ""
            error("\(what) must be a whole number of seconds\(range), got \(describe(node))", at: node)
            return nil
        }
        guard value >= 0 else {
            error("\(what) must be \(SettingRanges.seconds[what]?.description ?? "0 or more seconds"), got \(value)", at: node)
            return nil
        }
        return value
    }

    mutating func stringList(_ node: Node, _ what: String) -> [Located<String>]? {
        guard case .sequence(let sequence) = node else {
            if case .scalar = node, node.tagName == .null { return [] }
            error("\(what) must be a list, got \(describe(node))", at: node)
            return nil
        }
        return sequence.compactMap { string($0, "each item of \(what)") }
    }

    /// Any node as JSON (scalars by their resolved YAML type).
    func json(_ node: Node) -> JSONValue {
        switch node {
        case .scalar(let scalar):
            switch node.tagName {
            case .null: return .null
            case .bool: return node.bool.map(JSONValue.bool) ?? .string(scalar.string)
            case .int: return node.int.map(JSONValue.int) ?? .string(scalar.string)
            case .float: return node.float.map(JSONValue.double) ?? .string(scalar.string)
            default: return .string(scalar.string)
            }
        case .mapping(let mapping):
            var object: [String: JSONValue] = [:]
            for (key, value) in mapping { object[key.string ?? "\(key)"] = json(value) }
            return .object(object)
        case .sequence(let sequence):
            return .array(sequence.map(json))
        case .alias:
            return .null
        }
    }

    /// Reports `key` as unknown, suggesting the closest of `valid`.
    mutating func unknownKey(_ key: String, at node: Node, in what: String, valid: [String]) {
        error("unknown key '\(key)' in \(what)\(Suggest.didYouMean(key, in: valid)); valid keys: \(valid.joined(separator: ", "))", at: node)
    }
}

extension Node {
    /// The node's resolved tag (`int`, `str`, `bool`…).
    var tagName: Tag.Name { Tag.Name(rawValue: tag.rawValue) }
}
