/// `asyncdash.formatters.user`: no user → `anonymous` (default ""); a string as is; an object
/// with a `username` (or `name`) member → that; anything else → its JSON text.
public struct UserFormatter: FieldFormatter {
    public var anonymous: String
    public var usernameKeys: [String]

    public init(anonymous: String = "", usernameKeys: [String] = ["username", "name"]) {
        self.anonymous = anonymous
        self.usernameKeys = usernameKeys
    }

    public func format(_ value: JSONValue?) -> JSONValue? {
        .string(label(value))
    }

    func label(_ value: JSONValue?) -> String {
        switch value {
        case nil, .null?: return anonymous
        case .string(let s)?: return s.isEmpty ? anonymous : s
        case .object(let o)?:
            for key in usernameKeys {
                if let name = o[key]?.stringValue, !name.isEmpty { return name }
            }
            return JSONValue.object(o).jsonText
        case let other?: return other.jsonText
        }
    }
}

/// `asyncdash.formatters.affected`: lists joined with `separator` (default ", "), at most
/// `limit` items followed by "… (+N more)"; a string as is; nothing → "".
public struct AffectedFormatter: FieldFormatter {
    public var separator: String
    public var limit: Int?

    public init(separator: String = ", ", limit: Int? = nil) {
        self.separator = separator
        self.limit = limit
    }

    public func format(_ value: JSONValue?) -> JSONValue? {
        .string(text(value))
    }

    func text(_ value: JSONValue?) -> String {
        switch value {
        case nil, .null?: return ""
        case .string(let s)?: return s
        case .array(let items)?:
            let parts = items.map { $0.stringValue ?? $0.jsonText }
            guard let limit, limit >= 0, parts.count > limit else { return parts.joined(separator: separator) }
            return parts.prefix(limit).joined(separator: separator) + "\(separator)… (+\(parts.count - limit) more)"
        case let other?: return other.jsonText
        }
    }
}

/// `asyncdash.formatters.payload`: a JSON-safe copy with members named in `redact`
/// (compared without case, at any depth) replaced by `replacement`.
public struct PayloadFormatter: FieldFormatter {
    public var redact: Set<String>
    public var replacement: String

    public init(redact: [String] = [], replacement: String = "[redacted]") {
        self.redact = Set(redact.map { $0.lowercased() })
        self.replacement = replacement
    }

    public func format(_ value: JSONValue?) -> JSONValue? {
        guard let value else { return nil }
        return redact.isEmpty ? value : scrub(value)
    }

    private func scrub(_ value: JSONValue) -> JSONValue {
        switch value {
        case .object(let o):
            var out: [String: JSONValue] = [:]
            for (key, member) in o {
                out[key] = redact.contains(key.lowercased()) ? .string(replacement) : scrub(member)
            }
            return .object(out)
        case .array(let a): return .array(a.map(scrub))
        default: return value
        }
    }
}
