import AsyncDash
import Foundation

/// Reads the values of `emit`'s options.
enum EventParsing {
    /// JSON text; a mistake is a usage error naming the option and the text.
    static func json(_ text: String, option: String) throws(CLIError) -> JSONValue {
        do {
            return try JSONValue(parsing: text)
        } catch let error as JSONTextError {
            throw .usage("\(option) is not valid JSON: '\(text.cutForMessage())' (\(error.reason))")
        } catch {
            throw .usage("\(option) is not valid JSON: '\(text.cutForMessage())'")
        }
    }

    /// A JSON object when it starts with `{`, else a name.
    static func user(_ text: String) throws(CLIError) -> JSONValue {
        guard text.trimmingCharacters(in: .whitespaces).hasPrefix("{") else { return .string(text) }
        let value = try json(text, option: "--user")
        guard value.objectValue != nil else { throw .usage("--user '\(text)' must be a JSON object or a name") }
        return value
    }
}
