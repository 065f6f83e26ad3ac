import Foundation

/// An error reading JSON text.
public struct JSONTextError: Error, CustomStringConvertible, Sendable {
    /// The text that could not be read (cut to 200 characters).
    public var text: String
    /// What was wrong.
    public var reason: String
    public var description: String { "invalid JSON (\(reason)): \(text)" }
}

extension JSONValue {
    /// Compact JSON text with object keys sorted.
    public var jsonText: String {
        JSONWriter.text(self)
    }

    /// ``jsonText`` as UTF-8 bytes.
    public var jsonBytes: [UInt8] {
        JSONWriter.bytes(self)
    }

    /// Parses JSON text (any top-level value, including bare strings and numbers), strictly
    /// (RFC 8259) and nested at most 512 deep. A number with a fraction or an exponent stays a
    /// `.double` (`2.0` is not read as `2`); an integer outside `Int` is an error.
    ///
    /// - Throws: ``JSONTextError`` naming the text when it is not JSON.
    public init(parsing text: String) throws {
        do {
            self = try JSONParser.parseOrThrow(text)
        } catch {
            throw JSONTextError(text: String(text.prefix(200)), reason: "\(error.reason) at byte \(error.offset)")
        }
    }

    /// Parses UTF-8 JSON bytes, or `nil` when they are not one JSON value.
    public init?(utf8 bytes: UnsafeBufferPointer<UInt8>) {
        guard let value = JSONParser.parse(bytes) else { return nil }
        self = value
    }
}

extension JSONValue: CustomStringConvertible {
    public var description: String { jsonText }
}
