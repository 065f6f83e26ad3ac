import Yams

/// The limits a config file is read within, so that no file — however written — makes reading it
/// trap, hang or exhaust memory.
///
/// - size: a config is a few kilobytes; anything past ``maximumBytes`` is refused unread.
/// - nesting: flow collections (`[[[…]]]`) nest at most ``maximumDepth`` deep, checked on the text
///   before the YAML parser (which recurses) sees it; block nesting is bounded by the size.
/// - expansion: anchors and aliases (`&a`, `*a`) repeat what they name, so a small file can stand
///   for billions of values ("billion laughs"). The composed document, aliases expanded, may hold
///   at most ``maximumNodes`` values, counted with a walk that stops at the limit.
public enum YAMLBounds {
    public static let maximumBytes = 1_048_576
    public static let maximumDepth = 64
    public static let maximumNodes = 100_000

    /// The first limit `text` breaks, as a diagnostic; checked before parsing.
    static func checkText(_ text: String, file: String) -> ConfigDiagnostic? {
        if text.utf8.count > maximumBytes {
            return ConfigDiagnostic(
                "the config file is \(text.utf8.count) bytes; the most read is \(maximumBytes) (1 MiB)",
                at: SourceLocation(file: file, line: 1, column: 1))
        }
        var depth = 0
        var line = 1
        var column = 0
        var quote: UInt8?
        var comment = false
        var previous: UInt8 = 0x0A
        var escaped = false
        for byte in text.utf8 {
            column += 1
            defer { previous = byte }
            if byte == 0x0A {
                line += 1
                column = 0
                comment = false
                continue
            }
            if comment { continue }
            if let open = quote {
                if open == UInt8(ascii: "\"") {
                    if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == open { quote = nil }
                } else if byte == open {
                    quote = nil  // '' inside single quotes closes and reopens: the same for counting
                }
                continue
            }
            switch byte {
            case UInt8(ascii: "#") where previous == 0x20 || previous == 0x09 || previous == 0x0A:
                comment = true
            case UInt8(ascii: "\""), UInt8(ascii: "'"):
                quote = byte
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                depth += 1
                if depth > maximumDepth {
                    return ConfigDiagnostic(
                        "YAML nested more than \(maximumDepth) levels deep here; a config never needs that many",
                        at: SourceLocation(file: file, line: line, column: column))
                }
            case UInt8(ascii: "]"), UInt8(ascii: "}"):
                depth = max(0, depth - 1)
            default:
                break
            }
        }
        return nil
    }

    /// A diagnostic when `root`, aliases expanded, holds more than ``maximumNodes`` values or
    /// nests deeper than ``maximumDepth``: at the value where the walk passed the limit, which
    /// is inside the anchored part an alias repeats.
    static func checkExpansion(_ root: Node, reader: YAMLReader) -> ConfigDiagnostic? {
        var count = 0
        var failure: ConfigDiagnostic?
        func visit(_ node: Node, depth: Int, path: String) -> Bool {
            count += 1
            if count > maximumNodes {
                failure = ConfigDiagnostic(
                    "the config holds more than \(maximumNodes) values once YAML aliases are expanded (an anchor repeated by "
                        + "aliases, repeated again…); the limit was passed under \(path.isEmpty ? "the top level" : path)",
                    at: reader.location(node))
                return false
            }
            if depth > maximumDepth {
                failure = ConfigDiagnostic("YAML nested more than \(maximumDepth) levels deep under \(path)", at: reader.location(node))
                return false
            }
            switch node {
            case .mapping(let mapping):
                for (key, value) in mapping {
                    let name = key.string.map { YAMLReader.cut($0, to: 40) } ?? "?"
                    guard visit(value, depth: depth + 1, path: path.isEmpty ? name : path + "." + name) else { return false }
                }
            case .sequence(let sequence):
                for (index, item) in sequence.enumerated() {
                    guard visit(item, depth: depth + 1, path: "\(path)[\(index)]") else { return false }
                }
            case .scalar, .alias:
                break
            }
            return true
        }
        _ = visit(root, depth: 0, path: "")
        return failure
    }
}
