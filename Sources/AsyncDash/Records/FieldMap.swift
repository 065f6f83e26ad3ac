/// Maps the logical fields of a lifecycle record to the columns of a record model.
///
/// Defaults (DESIGN §3): task_name→task_name, status→status, message→message,
/// progress→progress_payload, user→user_label, affected→affected_objects, kwargs→task_kwargs,
/// args→task_args, result→result_payload, cleaned→cleaned_up, completed_at→completed_at,
/// failed_at→failed_at, created_at→created_at, updated_at→updated_at, function→task_function,
/// attempts→attempts, locks→task_locks.
///
/// A default target the model lacks is skipped; an explicit target the model lacks is an error
/// (a typo must not silently drop data). Map a field to `""` to skip it on purpose.
public struct FieldMap: Sendable, Hashable {
    /// The logical fields, in the order above.
    public static let logicalFields = [
        "task_name", "status", "message", "progress", "user", "affected", "kwargs", "args", "result",
        "cleaned", "completed_at", "failed_at", "created_at", "updated_at", "function", "attempts", "locks",
    ]

    /// The default column of each logical field.
    public static let defaultColumns: [String: String] = [
        "task_name": "task_name", "status": "status", "message": "message", "progress": "progress_payload",
        "user": "user_label", "affected": "affected_objects", "kwargs": "task_kwargs", "args": "task_args",
        "result": "result_payload", "cleaned": "cleaned_up", "completed_at": "completed_at",
        "failed_at": "failed_at", "created_at": "created_at", "updated_at": "updated_at",
        "function": "task_function", "attempts": "attempts", "locks": "task_locks",
    ]

    /// Logical field → the model's column it writes to (fields that map to nothing are absent).
    public let columns: [String: RecordModel.Column]

    /// Resolves `overrides` (logical field → column) against `model`.
    ///
    /// - Throws: ``FieldMapError`` for an unknown logical field, a target column the model lacks,
    ///   or a task_name target that is not the model's key column.
    public init(model: RecordModel, overrides: [String: String] = [:]) throws {
        var columns: [String: RecordModel.Column] = [:]
        for (logical, _) in overrides where Self.defaultColumns[logical] == nil {
            throw FieldMapError(field: logical, target: nil, model: model, reason: .unknownField)
        }
        for logical in Self.logicalFields {
            let explicit = overrides[logical]
            let target = explicit ?? Self.defaultColumns[logical] ?? logical
            if target.isEmpty { continue }
            guard let column = model.column(target) else {
                if explicit != nil { throw FieldMapError(field: logical, target: target, model: model, reason: .unknownColumn) }
                continue
            }
            columns[logical] = column
        }
        guard columns["task_name"]?.name == model.keyColumn else {
            throw FieldMapError(field: "task_name", target: columns["task_name"]?.name ?? overrides["task_name"], model: model, reason: .notKeyColumn)
        }
        self.columns = columns
    }

    /// The column of `logical`, if it maps to one.
    public subscript(logical: String) -> RecordModel.Column? {
        columns[logical]
    }
}

/// A field-map entry that cannot be used.
public struct FieldMapError: Error, CustomStringConvertible, Sendable {
    public enum Reason: Sendable, Hashable { case unknownField, unknownColumn, notKeyColumn }
    public var field: String
    public var target: String?
    public var modelName: String
    public var reason: Reason
    /// The model's columns (for "valid values" and suggestions).
    public var validColumns: [String]

    init(field: String, target: String?, model: RecordModel, reason: Reason) {
        self.field = field
        self.target = target
        self.modelName = model.name
        self.reason = reason
        self.validColumns = model.columns.map(\.name)
    }

    public var description: String {
        switch reason {
        case .unknownField:
            "field_map: '\(field)' is not a logical field; valid fields: \(FieldMap.logicalFields.joined(separator: ", "))"
        case .unknownColumn:
            "field_map: \(field) → '\(target ?? "")' is not a column of record model '\(modelName)'\(Suggest.didYouMean(target ?? "", in: validColumns)); its columns: \(validColumns.joined(separator: ", "))"
        case .notKeyColumn:
            "field_map: task_name must map to the key column of record model '\(modelName)', not '\(target ?? "")'"
        }
    }
}
