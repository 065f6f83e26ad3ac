/// Turns an event value into what a record stores: the user label, the affected-objects text,
/// or a JSON-safe payload.
///
/// A manager has three formatter slots (``FormatterSlot``). Fill one in a subclass by overriding
/// `formatUser`/`formatAffected`/`formatPayload`, or in config:
///
/// ```yaml
/// formatters:
///   user: { anonymous: Anonymous }              # options of the built-in user formatter
///   payload: { type: myapp.formatters.compact } # a registered formatter by dotted name
/// ```
public protocol FieldFormatter: Sendable {
    func format(_ value: JSONValue?) -> JSONValue?
}

/// The three places a manager formats values.
public enum FormatterSlot: String, Sendable, CaseIterable, Hashable {
    case user, affected, payload

    /// The dotted name of the built-in formatter for this slot.
    public var builtinName: String { "asyncdash.formatters.\(rawValue)" }
}

/// The formatters configured for a manager; an empty slot uses the manager's own method.
public struct FormatterSet: Sendable {
    public var user: (any FieldFormatter)?
    public var affected: (any FieldFormatter)?
    public var payload: (any FieldFormatter)?

    public init(user: (any FieldFormatter)? = nil, affected: (any FieldFormatter)? = nil, payload: (any FieldFormatter)? = nil) {
        self.user = user
        self.affected = affected
        self.payload = payload
    }

    public subscript(slot: FormatterSlot) -> (any FieldFormatter)? {
        get {
            switch slot {
            case .user: user
            case .affected: affected
            case .payload: payload
            }
        }
        set {
            switch slot {
            case .user: user = newValue
            case .affected: affected = newValue
            case .payload: payload = newValue
            }
        }
    }
}
