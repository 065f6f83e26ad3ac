import Foundation
import AsyncDash

/// One resolved manager as `check-config` shows it: chain, record model, field map,
/// formatters, observers, create defaults.
struct ManagerReport {
    let manager: ResolvedManager

    init(_ manager: ResolvedManager) {
        self.manager = manager
    }

    private var kind: String { manager.entry.isModelTracking ? "ModelTrackingAsyncManager" : "AsyncManager" }

    func lines(heading: String, indent: String) -> [String] {
        let inner = indent + "  "
        var out = ["\(indent)\(heading)\(manager.chain.joined(separator: " → ")) (\(kind))"]
        if let reason = manager.fallbackReason { out.append("\(inner)fallback: \(reason)") }
        guard manager.entry.isModelTracking else {
            out.append(observerLines(indent: inner))
            return out.flatMap { $0.split(separator: "\n").map(String.init) }
        }
        if let model = manager.recordModel {
            out += Self.modelLines(model, indent: inner, heading: "record model: \(model.name)")
        }
        if let map = manager.effectiveFieldMap {
            out.append("\(inner)field map:")
            for field in FieldMap.logicalFields {
                out.append("\(inner)  \(field) → \(map[field]?.name ?? "(no column; skipped)")")
            }
        }
        out.append("\(inner)formatters:")
        for slot in FormatterSlot.allCases {
            out.append("\(inner)  \(slot.rawValue) → \(manager.formatterNames[slot] ?? "(none in config: the class's format\(slot.rawValue.capitalized))")")
        }
        if !manager.createDefaults.isEmpty {
            out.append("\(inner)create defaults:")
            for column in manager.createDefaults.keys.sorted() {
                out.append("\(inner)  \(column): \(manager.createDefaults[column]?.jsonText ?? "null")")
            }
        }
        out.append(observerLines(indent: inner))
        return out.flatMap { $0.split(separator: "\n").map(String.init) }
    }

    private func observerLines(indent: String) -> String {
        guard !manager.observers.isEmpty else { return "\(indent)observers: none" }
        var out = ["\(indent)observers:"]
        for observer in manager.observers {
            out.append("\(indent)  \(observer.name)  events: \(Self.events(observer.kinds))  timeout: \(Self.milliseconds(observer.timeout)) ms  delivery: \(observer.delivery)")
        }
        return out.joined(separator: "\n")
    }

    static func modelLines(_ model: RecordModel, indent: String, heading: String) -> [String] {
        var out = ["\(indent)\(heading)", "\(indent)  table: \(model.table)", "\(indent)  key: \(model.keyColumn)", "\(indent)  columns:"]
        for column in model.columns { out.append("\(indent)    \(column.name): \(column.type.rawValue)") }
        return out
    }

    var json: JSONValue {
        var object: [String: JSONValue] = [
            "name": .string(manager.name),
            "chain": .array(manager.chain.map(JSONValue.string)),
            "class": .string(manager.entry.name),
            "kind": .string(kind),
            "observers": .array(manager.observers.map { observer in
                [
                    "name": .string(observer.name),
                    "events": observer.kinds.map { kinds in
                        .array(LifecycleEventKind.allCases.filter(kinds.contains).map { .string($0.rawValue) })
                    } ?? .null,
                    "timeout_ms": .int(Self.milliseconds(observer.timeout)),
                    "durable": .bool(observer.delivery.isDurable),
                    "buffer": observer.delivery.buffer.map { .int($0) } ?? .null,
                    "max_attempts": observer.delivery.maxAttempts.map { .int($0) } ?? .null,
                ]
            }),
        ]
        if let reason = manager.fallbackReason { object["fallback_reason"] = .string(reason) }
        if manager.entry.isModelTracking {
            if let model = manager.recordModel { object["record_model"] = Self.modelJSON(model) }
            if let map = manager.effectiveFieldMap {
                object["field_map"] = .object(map.columns.mapValues { .string($0.name) })
            }
            let formatters = manager.formatterNames.map { ($0.key.rawValue, JSONValue.string($0.value)) }
            object["formatters"] = .object(Dictionary(uniqueKeysWithValues: formatters))
            object["create_defaults"] = .object(manager.createDefaults)
        }
        return .object(object)
    }

    static func modelJSON(_ model: RecordModel) -> JSONValue {
        [
            "name": .string(model.name),
            "table": .string(model.table),
            "key": .string(model.keyColumn),
            "columns": .array(model.columns.map { ["name": .string($0.name), "type": .string($0.type.rawValue)] }),
        ]
    }

    static func events(_ kinds: Set<LifecycleEventKind>?) -> String {
        guard let kinds else { return "all" }
        let known = LifecycleEventKind.allCases.filter(kinds.contains).map(\.rawValue)
        let other = kinds.map(\.rawValue).filter { !known.contains($0) }.sorted()
        return (known + other).joined(separator: ", ")
    }

    static func milliseconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        return Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000)
    }
}
