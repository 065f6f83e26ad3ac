import Foundation

/// A manager that keeps one dashboard record per task in a ``RecordModel``'s table.
///
/// Point it at a model with the class attribute (or `record_model_path` in config), rename
/// columns with ``fieldMap``, and override the formatters:
///
/// ```swift
/// final class AppAsyncManager: ModelTrackingAsyncManager, @unchecked Sendable {
///     override class var recordModelPath: String? { "myapp.AsyncTaskRecord" }
///     override class var fieldMap: [String: String] { ["user": "owner"] }
///     override func formatUser(_ user: JSONValue?) -> String {
///         user == nil ? "Anonymous" : super.formatUser(user)
///     }
/// }
/// ```
///
/// The per-event rules are those of DESIGN §3; see `ModelTrackingAsyncManager+Rules.swift`.
open class ModelTrackingAsyncManager: AsyncManager, @unchecked Sendable {
    /// The dotted name of the record model, used when config names none.
    open class var recordModelPath: String? { nil }
    /// Field-map entries (logical field → column); config entries override these.
    open class var fieldMap: [String: String] { [:] }
    /// Column values for newly created records; config `create_defaults` override these.
    open class var createDefaults: [String: JSONValue] { [:] }

    /// The model this manager writes to.
    public let recordModel: RecordModel
    /// The resolved field map.
    public let resolvedFieldMap: FieldMap
    let defaultValues: [String: RecordValue]

    /// - Throws: ``ManagerConfigurationError`` when no record model is named or it is unknown;
    ///   ``FieldMapError`` when the field map does not fit the model.
    public required init(context: ManagerContext) throws {
        let model: RecordModel
        if let configured = context.recordModel {
            model = configured
        } else if let path = Self.recordModelPath {
            model = try context.registry.recordModel(named: path)
        } else {
            throw ManagerConfigurationError(
                manager: context.name,
                message: "\(context.name) is a ModelTrackingAsyncManager but names no record model; set record_model_path in its config or override the class attribute recordModelPath"
            )
        }
        let merged = Self.fieldMap.merging(context.fieldMap) { _, configured in configured }
        self.recordModel = model
        self.resolvedFieldMap = try FieldMap(model: model, overrides: merged)
        var defaults: [String: RecordValue] = [:]
        for (column, value) in Self.createDefaults.merging(context.createDefaults, uniquingKeysWith: { _, c in c }) {
            guard let type = model.column(column)?.type else {
                throw ManagerConfigurationError(
                    manager: context.name,
                    message: "create_defaults: '\(column)' is not a column of record model '\(model.name)'\(Suggest.didYouMean(column, in: model.columns.map(\.name)))"
                )
            }
            defaults[column] = RecordValue.coerce(value, to: type)
        }
        self.defaultValues = defaults
        try super.init(context: context)
    }

    /// Persists the event to the task's record, then nothing else; subclasses call `super` first.
    open override func asyncTaskLifecycle(_ event: LifecycleEvent) async throws {
        try await persist(event)
    }

    /// Applies `event` to the task's record (get-or-create, atomically, durably).
    public func persist(_ event: LifecycleEvent) async throws {
        try Self.validate(taskName: event.taskName)
        // The durable observers' outbox messages go into the record's own transaction.
        let outbox = OutboxScope.current?.take() ?? []
        try await stores.records.apply(recordModel, key: event.taskName, makeChange(for: event), outbox: outbox)
    }

    /// The task's record, or `nil`.
    public func record(for taskName: String) async throws -> Record? {
        try await stores.records.fetch(recordModel, key: taskName)
    }

    // MARK: Formatting — config wins
    //
    // The one precedence rule (DESIGN §10): a formatter declared in config for this manager (in
    // its own entry or inherited along its config `base:` chain) applies, whatever the class
    // overrides; without one, the class's `format…` method (a subclass override included); the
    // base methods are the built-in defaults. The record rules call only the `formatted…` methods.

    /// The user label written to records: the config's user formatter when declared, else ``formatUser(_:)``.
    public final func formattedUser(_ user: JSONValue?) -> String {
        guard let formatter = context.formatters.user else { return formatUser(user) }
        let formatted = formatter.format(user)
        return formatted?.stringValue ?? formatted?.jsonText ?? ""
    }

    /// The affected-objects text written to records: the config's formatter when declared, else ``formatAffected(_:)``.
    public final func formattedAffected(_ affected: JSONValue?) -> String {
        guard let formatter = context.formatters.affected else { return formatAffected(affected) }
        let formatted = formatter.format(affected)
        return formatted?.stringValue ?? formatted?.jsonText ?? ""
    }

    /// Args, kwargs or a result as written to records: the config's formatter when declared, else ``formatPayload(_:)``.
    public final func formattedPayload(_ payload: JSONValue?) -> JSONValue? {
        guard let formatter = context.formatters.payload else { return formatPayload(payload) }
        return formatter.format(payload)
    }

    /// The user label when config declares no user formatter: "" for no user, a string as is, or
    /// an object's `username`. Override to change it in code; a config formatter still wins.
    open func formatUser(_ user: JSONValue?) -> String {
        UserFormatter().label(user)
    }

    /// The affected-objects text when config declares no formatter: lists joined with ", ".
    open func formatAffected(_ affected: JSONValue?) -> String {
        AffectedFormatter().text(affected)
    }

    /// A JSON-safe copy of args, kwargs or a result when config declares no formatter: the value.
    open func formatPayload(_ payload: JSONValue?) -> JSONValue? {
        payload
    }
}

/// A manager whose configuration cannot work, with the reason.
public struct ManagerConfigurationError: Error, CustomStringConvertible, Sendable {
    public var manager: String
    public var message: String
    public init(manager: String, message: String) {
        self.manager = manager
        self.message = message
    }
    public var description: String { message }
}
