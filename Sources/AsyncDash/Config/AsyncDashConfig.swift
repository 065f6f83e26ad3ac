/// `config.yaml` as read, before dotted names are resolved (see ``ConfigResolver``).
///
/// Keys mirror powercrud's `POWERCRUD_SETTINGS`; see the README's config reference.
public struct AsyncDashConfig: Sendable {
    /// The file the config was read from.
    public var file: String
    public var settings = AsyncSettings()
    /// `STORE`: the store URL (default `sqlite://.asyncdash/asyncdash.sqlite`).
    public var store: Located<String>
    /// `STORE_ROLES`: a store URL per role that does not live in `STORE` (role → URL, where written).
    public var storeRoles: [StoreRole: Located<String>] = [:]
    /// `QUEUE`: `durable` or `inprocess` (default `durable`; `inprocess` when the store is `memory`,
    /// whose queue would not outlive the process).
    public var queue: Located<String>
    /// Whether `QUEUE` was written (in the file or the environment), not defaulted.
    public var queueWritten = false
    /// `ASYNC_MANAGER_DEFAULT`.
    public var defaultManager: ManagerDeclaration
    /// `MANAGERS`, in file order.
    public var managers: [ManagerDeclaration] = []
    /// `MODELS`, in file order.
    public var models: [ModelDeclaration] = []
    /// `PLUGINS`: paths of plugin libraries.
    public var plugins: [Located<String>] = []
    /// `DASHBOARD`: members as written (validated by the dashboard module), except `managers`.
    public var dashboard: [String: Located<JSONValue>] = [:]
    /// `DASHBOARD.managers`: more dashboards, one per manager (dotted name, where it was
    /// written) → its members as written (`path_prefix`, `fields`, `detail_fields`, `page_size`).
    public var managerDashboards: [(manager: Located<String>, section: [String: Located<JSONValue>])] = []

    public static let defaultStore = "sqlite://.asyncdash/asyncdash.sqlite"
    public static let defaultManagerClass = "asyncdash.AsyncManager"

    /// The defaults, as if the file were empty.
    public init(file: String) {
        let start = SourceLocation(file: file, line: 1, column: 1)
        self.file = file
        self.store = Located(Self.defaultStore, at: start)
        self.queue = Located("durable", at: start)
        self.defaultManager = ManagerDeclaration(name: Located("ASYNC_MANAGER_DEFAULT", at: start))
        self.defaultManager.base = Located(Self.defaultManagerClass, at: start)
    }
}

/// A manager as declared: `ASYNC_MANAGER_DEFAULT` (base = `manager_class`) or a `MANAGERS` entry.
public struct ManagerDeclaration: Sendable {
    /// The dotted name it defines (`ASYNC_MANAGER_DEFAULT` for the default).
    public var name: Located<String>
    /// `base` (MANAGERS) or `manager_class` (ASYNC_MANAGER_DEFAULT).
    public var base: Located<String>?
    /// `fallback`: a manager to use when `base` is unknown (off unless written).
    public var fallback: Located<String>?
    public var recordModelPath: Located<String>?
    /// `field_map` entries: logical field → column.
    public var fieldMap: [(field: Located<String>, column: Located<String>)] = []
    public var formatters: [FormatterSlot: ComponentDeclaration] = [:]
    public var observers: [ObserverDeclaration] = []
    /// `create_defaults` entries: column → value.
    public var createDefaults: [(column: Located<String>, value: JSONValue)] = []

    public init(name: Located<String>) {
        self.name = name
    }
}

/// An observer or formatter entry: a dotted type name plus options.
public struct ComponentDeclaration: Sendable {
    public var type: Located<String>
    public var options: [String: JSONValue]
    /// Where each option was written.
    public var optionLocations: [String: SourceLocation]
    public var location: SourceLocation
}

/// An observer entry of a manager's `observers` list.
public struct ObserverDeclaration: Sendable {
    public var component: ComponentDeclaration
    /// `name`: what the observer is called in logs, counters and the outbox (its queue there is
    /// `<manager>/<name>`); default: its type. Two durable observers of one manager need distinct names.
    public var name: Located<String>?
    /// `events`; `nil` means every kind.
    public var events: Set<LifecycleEventKind>?
    /// `timeout_ms` (default 5000).
    public var timeout: Duration = ObserverRegistration.defaultTimeout
    /// `durable`, `buffer`, `max_attempts` (default: best-effort with the default buffer).
    public var delivery: ObserverDelivery = .bestEffort()
}

/// A `MODELS` entry.
public struct ModelDeclaration: Sendable {
    public var name: Located<String>
    public var table: Located<String>
    public var key: Located<String>?
    public var columns: [(name: Located<String>, type: ColumnType)]
}

/// A store role that `STORE_ROLES` can place in a store of its own.
public enum StoreRole: String, Sendable, Hashable, CaseIterable, Comparable {
    case records, coordination, queue, outbox, audit

    /// Roles whose writes go together in one transaction, so they must share one store: a launch
    /// reserves locks and queues its job, an event's outbox entries are written with its record.
    public static let together: [StoreRole] = [.coordination, .queue, .outbox]

    public static func < (a: StoreRole, b: StoreRole) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

extension AsyncDashConfig {
    /// The store URL of `role`: its `STORE_ROLES` entry, else `STORE`.
    public func storeURL(for role: StoreRole) -> Located<String> {
        storeRoles[role] ?? store
    }
}
