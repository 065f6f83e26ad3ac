import AsyncDash
import Foundation
import HTTPTypes
import Hummingbird

/// Building responses and reading requests.
enum Reply {
    static func html(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: safeJSONBytes(value))))
    }

    /// JSON text with `<`, `>` and `&` written as `\u003c`, `\u003e`, `\u0026` (they only occur
    /// inside strings), so no JSON answer can be read as markup even by a careless client.
    static func safeJSONBytes(_ value: JSONValue) -> [UInt8] {
        let bytes = value.jsonBytes
        guard bytes.contains(where: { $0 == UInt8(ascii: "<") || $0 == UInt8(ascii: ">") || $0 == UInt8(ascii: "&") }) else { return bytes }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + 32)
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "<"): out += Array("\\u003c".utf8)
            case UInt8(ascii: ">"): out += Array("\\u003e".utf8)
            case UInt8(ascii: "&"): out += Array("\\u0026".utf8)
            default: out.append(byte)
            }
        }
        return out
    }

    static func safeJSON(_ value: JSONValue) -> String {
        String(decoding: safeJSONBytes(value), as: UTF8.self)
    }

    /// `{"error": message}` plus `extra` members.
    static func jsonError(_ status: HTTPResponse.Status, _ message: String, _ extra: [String: JSONValue] = [:]) -> Response {
        json(.object(extra.merging(["error": .string(message)]) { $1 }), status: status)
    }

    static func redirect(_ location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location])
    }

    /// HTTP 286: htmx-style pollers stop polling on it (powercrud's "finished").
    static let finished = HTTPResponse.Status(code: 286, reasonPhrase: "Task Finished")
}

extension Request {
    /// The query parameters, decoded as a form does (`+` is a space, then percent-decoding),
    /// last value wins.
    var parameters: [String: String] {
        Self.decodeForm(uri.query ?? "")
    }

    /// `a=1&b=x+y%21` → `["a": "1", "b": "x y!"]`.
    static func decodeForm(_ text: String) -> [String: String] {
        var result: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            // Text that is not valid percent-encoding is kept as sent (and then refused where it matters).
            func decode(_ part: Substring) -> String {
                let spaced = String(part).replacingOccurrences(of: "+", with: " ")
                return spaced.removingPercentEncoding ?? spaced
            }
            result[decode(parts[0])] = parts.count > 1 ? decode(parts[1]) : ""
        }
        return result
    }

    /// A `application/x-www-form-urlencoded` body of at most 16 KiB.
    mutating func form() async throws -> [String: String] {
        let buffer = try await collectBody(upTo: 16 * 1024)
        return Self.decodeForm(String(buffer: buffer))
    }

    /// Whether the client prefers JSON (an API client) over a page.
    var wantsJSON: Bool {
        guard let accept = headers[.accept] else { return false }
        return accept.contains("application/json") && !accept.contains("text/html")
    }
}

extension Dashboard {
    var prefix: String { settings.pathPrefix }

    /// The `{task}` path parameter, decoded.
    func taskParameter(_ context: BasicRequestContext) -> String? {
        guard let raw = context.parameters.get("task") else { return nil }
        return raw.removingPercentEncoding ?? raw
    }
}
