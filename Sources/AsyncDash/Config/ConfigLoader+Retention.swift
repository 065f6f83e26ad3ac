import Yams

extension ConfigLoader {
    /// The keys of one kind's rule in `RETENTION`, with their ranges (0 lifts the limit).
    static let retentionKeys: [(key: String, range: ClosedRange<Int>)] = [
        ("max_age_days", 0...36_500), ("max_count", 0...1_000_000_000),
    ]

    /// `RETENTION: { records | audit | dead_letters | finished_jobs | outbox_delivered | outbox_dead: { max_age_days, max_count } }`;
    /// a key left out keeps its default, 0 lifts that limit.
    static func readRetention(_ node: Node, into settings: inout AsyncSettings, reader: inout YAMLReader) {
        guard let kinds = reader.mapping(node, "RETENTION") else { return }
        for (kind, kindNode, value) in kinds {
            guard var rule = settings.retention[kind] else {
                reader.unknownKey(kind, at: kindNode, in: "RETENTION", valid: RetentionSettings.kinds)
                continue
            }
            guard let members = reader.mapping(value, "RETENTION.\(kind)") else { continue }
            for (key, keyNode, valueNode) in members {
                guard let range = retentionKeys.first(where: { $0.key == key })?.range else {
                    reader.unknownKey(key, at: keyNode, in: "RETENTION.\(kind)", valid: retentionKeys.map(\.key))
                    continue
                }
                guard valueNode.tagName == .int, let number = valueNode.int, range.contains(number) else {
                    reader.error(
                        "RETENTION.\(kind).\(key) must be a whole number from \(range.lowerBound) to \(range.upperBound) (0: no limit), got \(reader.describe(valueNode))",
                        at: valueNode)
                    continue
                }
                if key == "max_age_days" {
                    rule.maxAge = number > 0 ? .seconds(number * 86_400) : nil
                } else {
                    rule.maxCount = number > 0 ? number : nil
                }
            }
            settings.retention[kind] = rule
        }
    }
}
