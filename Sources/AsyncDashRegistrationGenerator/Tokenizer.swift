import Foundation

/// One token of Swift source, as much as the scanner needs: identifiers and keywords, single
/// punctuation characters, operators, opaque literals, and compiler-control directives.
struct Token: Equatable, Sendable {
    enum Kind: Equatable, Sendable {
        /// An identifier or keyword; backticks are removed (`isEscaped` tells).
        case identifier
        /// One of `{ } ( ) [ ] < > : , . = ? ! @ ; &` — always a single character.
        case punctuation
        /// Any other operator (`->`, `==`, `+=`, `~`…).
        case `operator`
        /// A string, number or other literal; its text is not kept.
        case literal
        /// `#if`, `#elseif`, `#else`, `#endif`; `text` is the directive, `condition` the rest of the line.
        case directive
        /// Another `#name` (`#selector`, `#available`, `#warning`…).
        case pound
    }

    var kind: Kind
    var text: String
    var line: Int
    var isEscaped = false
    var condition = ""

    func isIdentifier(_ name: String) -> Bool { kind == .identifier && !isEscaped && text == name }
    func isPunctuation(_ character: String) -> Bool { kind == .punctuation && text == character }
}

/// Splits Swift source into ``Token``s, skipping whitespace, `//` and (nested) `/* */` comments,
/// and every kind of string literal: `"…"`, `"""…"""`, raw strings with any number of `#`, and
/// interpolations `\( … )` (`\#( … )` in raw strings) holding nested strings, parentheses and comments.
/// `#/…/#` regex literals are skipped; bare `/…/` regex literals are not recognised.
struct Tokenizer {
    private let chars: [Character]
    private var index = 0
    private var line = 1

    init(_ source: String) { chars = Array(source) }

    private static let punctuation: Set<Character> = ["{", "}", "(", ")", "[", "]", "<", ">", ":", ",", ".", "=", "?", "!", "@", ";", "&"]
    private static let operatorCharacters: Set<Character> = ["/", "=", "-", "+", "!", "*", "%", "<", ">", "&", "|", "^", "~", "?", "."]

    static func tokenize(_ source: String) -> [Token] {
        var tokenizer = Tokenizer(source)
        return tokenizer.all()
    }

    mutating func all() -> [Token] {
        var tokens: [Token] = []
        while let token = next() { tokens.append(token) }
        return tokens
    }

    private func peek(_ offset: Int = 0) -> Character? {
        index + offset < chars.count ? chars[index + offset] : nil
    }

    private mutating func advance() {
        if chars[index].isNewline { line += 1 }
        index += 1
    }

    mutating func next() -> Token? {
        skipTrivia()
        guard let c = peek() else { return nil }
        let startLine = line
        if c == "`" {
            advance()
            let start = index
            while let d = peek(), d != "`", !d.isNewline { advance() }
            let text = String(chars[start..<index])
            if peek() == "`" { advance() }
            return Token(kind: .identifier, text: text, line: startLine, isEscaped: true)
        }
        if c.isLetter || c == "_" || c == "$" {
            return Token(kind: .identifier, text: readWord(), line: startLine)
        }
        if c.isNumber {
            while let d = peek(), d.isLetter || d.isNumber || d == "_" || (d == "." && peek(1)?.isNumber == true) { advance() }
            return Token(kind: .literal, text: "0", line: startLine)
        }
        if c == "\"" || (c == "#" && rawStringAhead()) {
            skipString()
            return Token(kind: .literal, text: "\"\"", line: startLine)
        }
        if c == "#" {
            if peek(1) == "/" { skipExtendedRegex(); return Token(kind: .literal, text: "//", line: startLine) }
            advance()
            let word = readWord()
            if ["if", "elseif", "else", "endif"].contains(word) {
                return Token(kind: .directive, text: word, line: startLine, condition: readDirectiveCondition())
            }
            return Token(kind: .pound, text: word, line: startLine)
        }
        if c == "-" && peek(1) == ">" {
            advance(); advance()
            return Token(kind: .operator, text: "->", line: startLine)
        }
        if Self.punctuation.contains(c) {
            advance()
            return Token(kind: .punctuation, text: String(c), line: startLine)
        }
        if Self.operatorCharacters.contains(c) {
            let start = index
            while let d = peek(), Self.operatorCharacters.contains(d), !Self.punctuation.contains(d) || d == "." { advance() }
            if index == start { advance() }
            return Token(kind: .operator, text: String(chars[start..<index]), line: startLine)
        }
        if c == "\\" || c == "'" {
            advance()
            return Token(kind: .operator, text: String(c), line: startLine)
        }
        advance()
        return Token(kind: .operator, text: String(c), line: startLine)
    }

    private mutating func readWord() -> String {
        let start = index
        while let d = peek(), d.isLetter || d.isNumber || d == "_" || d == "$" { advance() }
        return String(chars[start..<index])
    }

    /// The condition after `#if`/`#elseif`: the rest of the line without a trailing comment.
    private mutating func readDirectiveCondition() -> String {
        var text = ""
        while let d = peek(), !d.isNewline {
            if d == "/" && (peek(1) == "/" || peek(1) == "*") { break }
            text.append(d)
            advance()
        }
        return text.trimmingCharacters(in: .whitespaces)
    }

    /// Skips whitespace and comments (block comments nest).
    private mutating func skipTrivia() {
        while let c = peek() {
            if c.isWhitespace || c.isNewline {
                advance()
            } else if c == "/" && peek(1) == "/" {
                while let d = peek(), !d.isNewline { advance() }
            } else if c == "/" && peek(1) == "*" {
                var depth = 0
                while let d = peek() {
                    if d == "/" && peek(1) == "*" { depth += 1; advance(); advance(); continue }
                    if d == "*" && peek(1) == "/" { depth -= 1; advance(); advance(); if depth == 0 { break } else { continue } }
                    advance()
                }
            } else {
                return
            }
        }
    }

    /// Whether `#`… starts a raw string (`#"`, `##"`…).
    private func rawStringAhead() -> Bool {
        var offset = 0
        while peek(offset) == "#" { offset += 1 }
        return peek(offset) == "\""
    }

    /// Skips a string literal starting at the current position (with its `#` delimiters).
    private mutating func skipString() {
        var hashes = 0
        while peek() == "#" { hashes += 1; advance() }
        let multiline = peek() == "\"" && peek(1) == "\"" && peek(2) == "\""
        for _ in 0..<(multiline ? 3 : 1) { advance() }
        while let c = peek() {
            if c == "\\" && hashesFollow(hashes, after: 1) {
                for _ in 0...hashes { advance() }
                if peek() == "(" { skipInterpolation() } else if peek() != nil { advance() }
                continue
            }
            if c == "\"" {
                let quotes = multiline ? 3 : 1
                if (0..<quotes).allSatisfy({ peek($0) == "\"" }) && hashesFollow(hashes, after: quotes) {
                    for _ in 0..<(quotes + hashes) { advance() }
                    return
                }
            }
            if c.isNewline && !multiline { return }  // an unterminated literal ends at the line's end
            advance()
        }
    }

    private func hashesFollow(_ count: Int, after offset: Int) -> Bool {
        (0..<count).allSatisfy { peek(offset + $0) == "#" }
    }

    /// Skips `( … )` of an interpolation, with nested parentheses, strings and comments.
    private mutating func skipInterpolation() {
        var depth = 0
        while let c = peek() {
            if c == "/" && (peek(1) == "/" || peek(1) == "*") { skipTrivia(); continue }
            if c == "\"" || (c == "#" && rawStringAhead()) { skipString(); continue }
            advance()
            if c == "(" { depth += 1 }
            if c == ")" { depth -= 1; if depth == 0 { return } }
        }
    }

    /// Skips `#/ … /#` (any number of `#`).
    private mutating func skipExtendedRegex() {
        var hashes = 0
        while peek() == "#" { hashes += 1; advance() }
        advance()
        while let c = peek() {
            if c == "\\" { advance(); if peek() != nil { advance() }; continue }
            advance()
            if c == "/" && hashesFollow(hashes, after: 0) {
                for _ in 0..<hashes { advance() }
                return
            }
        }
    }
}
