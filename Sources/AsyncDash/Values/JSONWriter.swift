

/// Writes a ``JSONValue`` as the same compact JSON text as ``JSONValue/jsonText`` (object keys
/// sorted), straight into UTF-8 bytes.
///
/// Every upsert writes its record's JSON columns; this avoids building the text scalar by scalar.
enum JSONWriter {
    /// The JSON text of `value`, as UTF-8 bytes.
    static func bytes(_ value: JSONValue) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(64)
        write(value, to: &out)
        return out
    }

    /// The JSON text of `value`.
    static func text(_ value: JSONValue) -> String {
        String(decoding: bytes(value), as: UTF8.self)
    }

    /// What is left to write: a value, or the punctuation between and after a container's members.
    private enum Step {
        case value(JSONValue)
        case byte(UInt8)
        case key(String)
    }

    /// Writes `value` with an explicit stack instead of recursion, so no depth of nesting can
    /// exhaust the thread's stack (a value built in code is not limited like parsed text).
    private static func write(_ value: JSONValue, to out: inout [UInt8]) {
        var steps: [Step] = [.value(value)]
        while let step = steps.popLast() {
            switch step {
            case .byte(let byte):
                out.append(byte)
            case .key(let key):
                write(string: key, to: &out)
                out.append(UInt8(ascii: ":"))
            case .value(let value):
                switch value {
                case .array(let elements):
                    out.append(UInt8(ascii: "["))
                    steps.append(.byte(UInt8(ascii: "]")))
                    for (index, element) in elements.enumerated().reversed() {
                        steps.append(.value(element))
                        if index > 0 { steps.append(.byte(UInt8(ascii: ","))) }
                    }
                case .object(let members):
                    out.append(UInt8(ascii: "{"))
                    steps.append(.byte(UInt8(ascii: "}")))
                    for (index, key) in members.keys.sorted().enumerated().reversed() {
                        steps.append(.value(members[key] ?? .null))
                        steps.append(.key(key))
                        if index > 0 { steps.append(.byte(UInt8(ascii: ","))) }
                    }
                default:
                    writeScalar(value, to: &out)
                }
            }
        }
    }

    private static func writeScalar(_ value: JSONValue, to out: inout [UInt8]) {
        switch value {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let b): out.append(contentsOf: b ? "true".utf8 : "false".utf8)
        case .int(let i): out.append(contentsOf: String(i).utf8)
        case .double(let d):
            if !d.isFinite {
                out.append(contentsOf: "null".utf8)
            } else if d.rounded() == d && abs(d) < 1e15 {
                out.append(contentsOf: String(Int(d)).utf8)
                out.append(contentsOf: ".0".utf8)
            } else {
                out.append(contentsOf: "\(d)".utf8)
            }
        case .string(let s): write(string: s, to: &out)
        case .array, .object: break
        }
    }

    private static let hex = Array("0123456789abcdef".utf8)

    /// Writes `string` quoted. Control characters — C0, DEL and C1 (U+0080–U+009F, UTF-8
    /// `C2 80`–`C2 9F`) — are written as `\u` escapes: the same JSON value, and text that cannot
    /// drive a terminal when printed.
    private static func write(string: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var leadC2 = false
        for byte in string.utf8 {
            if leadC2 {
                leadC2 = false
                if (0x80...0x9F).contains(byte) {
                    out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0")])
                    out.append(hex[Int(byte >> 4)])
                    out.append(hex[Int(byte & 0x0F)])
                    continue
                }
                out.append(0xC2)
            }
            switch byte {
            case 0xC2:
                leadC2 = true
            case 0x7F:
                out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), UInt8(ascii: "7"), UInt8(ascii: "f")])
            case UInt8(ascii: "\""): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x0A: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0D: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0x08: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "b")])
            case 0x0C: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "f")])
            case 0..<0x20:
                out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0")])
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0x0F)])
            default: out.append(byte)
            }
        }
        if leadC2 { out.append(0xC2) }
        out.append(UInt8(ascii: "\""))
    }
}
