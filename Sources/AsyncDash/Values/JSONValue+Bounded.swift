/// Limits for showing a stored value to a person (a page, a live stream): what is past them is
/// replaced by a note saying what was cut. The JSON API returns values whole.
public struct JSONDisplayLimits: Sendable, Hashable {
    /// Containers nested deeper are replaced by a note.
    public var maximumDepth: Int
    /// Values shown in all; the rest of each container is replaced by a note.
    public var maximumValues: Int
    /// Characters of one string shown.
    public var maximumStringLength: Int

    public init(maximumDepth: Int = 16, maximumValues: Int = 2_000, maximumStringLength: Int = 2_000) {
        self.maximumDepth = max(1, maximumDepth)
        self.maximumValues = max(1, maximumValues)
        self.maximumStringLength = max(1, maximumStringLength)
    }

    /// The limits of the dashboard's pages and streams.
    public static let dashboard = JSONDisplayLimits()
}

extension JSONValue {
    /// This value within `limits`, and whether anything was cut. Cut parts become strings that
    /// say what was cut: `"… (cut: nested deeper than 16 levels)"`, `"… (cut: 120 more items)"`,
    /// a string's first characters followed by `… (cut: 5000 characters in all)`.
    ///
    /// The walk visits at most `maximumValues` values (and never recurses past `maximumDepth`), so
    /// it is cheap however large or deep the value is.
    public func bounded(_ limits: JSONDisplayLimits = .dashboard) -> (value: JSONValue, cut: Bool) {
        var budget = limits.maximumValues
        var cut = false
        func walk(_ value: JSONValue, depth: Int) -> JSONValue {
            budget -= 1
            switch value {
            case .string(let text) where text.count > limits.maximumStringLength:
                cut = true
                return .string(String(text.prefix(limits.maximumStringLength)) + "… (cut: \(text.count) characters in all)")
            case .array(let items):
                guard !items.isEmpty else { return value }
                guard depth < limits.maximumDepth else {
                    cut = true
                    return .string("… (cut: nested deeper than \(limits.maximumDepth) levels)")
                }
                var kept: [JSONValue] = []
                for item in items {
                    guard budget > 0 else {
                        cut = true
                        kept.append(.string("… (cut: \(items.count - kept.count) more items)"))
                        break
                    }
                    kept.append(walk(item, depth: depth + 1))
                }
                return .array(kept)
            case .object(let members):
                guard !members.isEmpty else { return value }
                guard depth < limits.maximumDepth else {
                    cut = true
                    return .string("… (cut: nested deeper than \(limits.maximumDepth) levels)")
                }
                var kept: [String: JSONValue] = [:]
                for key in members.keys.sorted() {
                    guard budget > 0 else {
                        cut = true
                        kept["…"] = .string("cut: \(members.count - kept.count) more members")
                        break
                    }
                    let shownKey = key.count > limits.maximumStringLength ? String(key.prefix(limits.maximumStringLength)) + "…" : key
                    kept[shownKey] = walk(members[key] ?? .null, depth: depth + 1)
                }
                return .object(kept)
            default:
                return value
            }
        }
        let value = walk(self, depth: 0)
        return (value, cut)
    }
}

extension JSONValue {
    /// The deepest nesting of arrays and objects a value may have where AsyncDash accepts it (an
    /// event, task arguments): the same as the JSON parser reads.
    public static let maximumNesting = 512

    /// Whether arrays and objects nest more than `limit` deep, found without recursion.
    public func nestsDeeper(than limit: Int) -> Bool {
        var pending: [(JSONValue, Int)] = [(self, 0)]
        while let (value, depth) = pending.popLast() {
            switch value {
            case .array(let items):
                guard depth < limit else { return true }
                for item in items where item.isContainer { pending.append((item, depth + 1)) }
            case .object(let members):
                guard depth < limit else { return true }
                for member in members.values where member.isContainer { pending.append((member, depth + 1)) }
            default:
                break
            }
        }
        return false
    }
}

extension LifecycleEvent {
    /// The name of the first of the event's values nested more than ``JSONValue/maximumNesting``
    /// deep, if any.
    var valueNestedTooDeep: String? {
        let values: [(String, JSONValue?)] = [
            ("user", user), ("affected", affected), ("args", args), ("kwargs", kwargs), ("result", result), ("progress", progress?.json),
        ] + extra.sorted { $0.key < $1.key }.map { ("extra.\($0.key)", $0.value) }
        return values.first { $0.1?.nestsDeeper(than: JSONValue.maximumNesting) == true }?.0
    }
}

extension JSONValue {
    /// Whether this is an array or an object.
    public var isContainer: Bool {
        switch self {
        case .array, .object: true
        default: false
        }
    }
}
