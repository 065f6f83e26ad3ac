import AsyncDash
import Foundation
import Testing

/// The JSON parser against a conformance corpus written from RFC 8259's grammar.
@Suite("JSON parser")
struct JSONParserTests {
    static let accepted: [(String, JSONValue)] = [
        ("0", 0), ("-0", 0), ("7", 7), ("-12", -12), ("9223372036854775807", .int(Int.max)), ("-9223372036854775808", .int(Int.min)),
        ("2.0", .double(2)), ("0.5", .double(0.5)), ("-0.5", .double(-0.5)), ("1e3", .double(1000)), ("1E+3", .double(1000)),
        ("1e-3", .double(0.001)), ("1.5e2", .double(150)), ("1e308", .double(1e308)),
        ("true", true), ("false", false), ("null", .null),
        (#""""#, ""), (#""a b""#, "a b"), (#""\"\\\/\b\f\n\r\t""#, "\"\\/\u{8}\u{C}\n\r\t"),
        (#""\u00e9\u20AC""#, "é€"), (#""\ud83d\ude00""#, "😀"), ("\"é😀\"", "é😀"), (#""\u0000""#, "\u{0}"),
        ("[]", []), ("{}", [:]), (" [ 1 , 2 ] ", [1, 2]), ("{\"a\":1,\"b\":[true,null]}", ["a": 1, "b": [true, .null]]),
        ("{\"a\":1,\"a\":2}", ["a": 2]), ("\t\r\n 3 \n", 3),
    ]

    static let rejected: [(String, String)] = [
        ("", "ended"), ("01", "0 followed by digits"), ("-01", "0 followed by digits"), ("+1", "value was expected"),
        (".5", "value was expected"), ("1.", "after '.'"), ("1e", "exponent"), ("1e+", "exponent"), ("-", "digit"),
        ("NaN", "value was expected"), ("Infinity", "value was expected"), ("0x10", "after the value"),
        ("9223372036854775808", "outside"), ("-9223372036854775809", "outside"), ("1e400", "too large"),
        ("tru", "value was expected"), ("nul", "value was expected"), ("True", "value was expected"),
        ("\"abc", "not closed"), ("\"a\u{1}b\"", "control character"), ("\"a\nb\"", "control character"), ("\"\\x\"", "unknown escape"),
        (#""\u12""#, "hex digits"), (#""\ud800""#, "high surrogate"), (#""\ud800\u0041""#, "high surrogate"), (#""\udc00""#, "low surrogate"),
        ("[1,]", "value was expected"), ("[,1]", "value was expected"), ("[1 2]", "',' or ']'"), ("{\"a\" 1}", "':'"),
        ("{a:1}", "key"), ("{\"a\":1,}", "key"), ("[1]]", "after the value"), ("1 2", "after the value"), ("{\"a\":1", "',' or '}'"),
        ("// c\n1", "value was expected"), ("'a'", "value was expected"),
    ]

    @Test func acceptsWhatTheGrammarAllows() throws {
        for (text, expected) in Self.accepted {
            #expect(try JSONValue(parsing: text) == expected, "\(text)")
        }
        // A fraction or exponent stays a double; an integer stays an integer.
        #expect(try JSONValue(parsing: "2.0") == .double(2.0))
        #expect(try JSONValue(parsing: "2") == .int(2))
    }

    @Test func rejectsWhatItDoesNotSayingWhatAndWhere() {
        for (text, reason) in Self.rejected {
            do {
                let value = try JSONValue(parsing: text)
                Issue.record("\(text.debugDescription) was accepted as \(value)")
            } catch {
                #expect("\(error)".contains(reason), "\(text.debugDescription): \(error)")
                #expect("\(error)".contains("at byte"), "\(error)")
            }
        }
    }

    @Test func invalidUTF8IsRefused() {
        let bytes: [UInt8] = [0x22, 0x61, 0xFF, 0x62, 0x22]  // "a\xFFb"
        let value = bytes.withUnsafeBufferPointer { JSONValue(utf8: $0) }
        #expect(value == nil)
        let overlong: [UInt8] = [0x22, 0xC0, 0xAF, 0x22]
        #expect(overlong.withUnsafeBufferPointer { JSONValue(utf8: $0) } == nil)
    }

    @Test func nestingIsBoundedWithoutExhaustingTheStack() throws {
        let fine = String(repeating: "[", count: 512) + String(repeating: "]", count: 512)
        #expect(try JSONValue(parsing: fine) != .null)
        for depth in [513, 40_000, 1_000_000] {
            let deep = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
            #expect(throws: JSONTextError.self) { try JSONValue(parsing: deep) }
        }
        let objects = String(repeating: "{\"a\":", count: 100_000) + "1" + String(repeating: "}", count: 100_000)
        let error = #expect(throws: JSONTextError.self) { try JSONValue(parsing: objects) }
        #expect(error?.reason.contains("nest more than 512 deep") == true)
    }

    @Test func whatTheWriterWritesReadsBackEqual() throws {
        let values: [JSONValue] = [
            ["a": [1, 2.5, "x\u{1}\"\\", .null, true], "é": ["😀": -0.25]], .double(1e300), .int(Int.min), "\u{7F}\u{2028}",
        ]
        for value in values {
            #expect(try JSONValue(parsing: value.jsonText) == value, "\(value.jsonText)")
        }
    }
}
