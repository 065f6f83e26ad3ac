/// How the `AsyncDashRegistrations` plugin finds what to register in a module's sources.
///
/// It reads the module's `.swift` files with a small tokenizer (comments, string literals of
/// every kind and their interpolations are skipped, so look-alike text in them is ignored) and
/// follows type declarations by brace depth. Function bodies, computed-property bodies,
/// closures and initializer expressions are skipped whole: nothing declared in them is registered.
///
/// **Managers** (`registry.register(manager: Name.self)`):
/// - a `class` (any attributes and modifiers: `final`, `open`, `@MainActor`…) whose inheritance
///   list names `RegisteredManager` (or `AsyncDash.RegisteredManager`), or that an
///   `extension Name: …, RegisteredManager` names;
/// - a `class` whose own body declares `dottedName` (`static let`, `class var`,
///   `override class var`…) and that either marks it `override` or has a superclass, found in
///   the scanned sources (transitively), that conforms. A subclass of a conforming class that
///   declares no `dottedName` of its own is not registered: it would repeat its superclass's
///   name. A superclass from another module is not followed, so such a subclass must declare
///   `override class var dottedName` (its base must declare `class var dottedName`).
/// - a generic class is not registered (its type parameters are unknown): a warning says so.
///
/// **Catalogs**: an `enum`, `struct`, `class` or `actor` whose inheritance list names
/// `RegistrationCatalog`, or that an `extension Name: RegistrationCatalog` names. In the catalog's
/// own bodies — its declaration and every `extension Name { … }` in the sources, with or
/// without the conformance — but not in nested types, each
/// `static let name: TYPE …`, `static let name = TYPE(…)`, `= TYPE.typed(…)` or `= try TYPE(…)`
/// where TYPE is `RecordModel`, `TaskFunction`, `ObserverPlugin` or `FormatterPlugin` (optionally
/// written `AsyncDash.TYPE`) is registered: `registry.register(taskFunction: Catalog.name)` and so
/// on. Other `static let`s, every `static var` and instance properties are ignored.
///
/// **Names**: nested types are qualified (`Outer.Inner`); an extension names its type in full.
/// A `private` or `fileprivate` manager, catalog member, or anything inside a private type or
/// private extension cannot be reached from the generated file: that is an error
/// (`file:line: error: …`), and the build stops.
///
/// **`#if`**: declarations inside `#if`/`#elseif`/`#else` blocks are found too, and their
/// registration is wrapped in the same condition in the generated file.
///
/// **Output**: managers, then record models, task functions, observers and formatters, each
/// sorted by qualified name: the same sources always give the same file.
///
/// Not followed: protocols refining `RegistrationCatalog`, conformances declared through a
/// typealias, bare `/regex/` literals containing braces or quotes (use `#/…/#`).
struct SourceScanner {
    let file: String
    private let tokens: [Token]
    private var position = 0
    private var frames: [ConditionFrame] = []
    private(set) var declarations: [Declaration] = []

    init(file: String, source: String) {
        self.file = file
        self.tokens = Tokenizer.tokenize(source)
        normalize()
    }

    /// Scans `source` and returns its type declarations and extensions, in source order.
    static func scan(file: String, source: String) -> [Declaration] {
        var scanner = SourceScanner(file: file, source: source)
        scanner.parseScope(owner: nil, path: [], isPrivate: false, isGeneric: false)
        return scanner.declarations
    }

    static let modifierKeywords: Set<String> = [
        "public", "private", "fileprivate", "internal", "package", "open", "final", "static",
        "override", "nonisolated", "lazy", "weak", "unowned", "mutating", "nonmutating",
        "convenience", "required", "dynamic", "indirect", "optional", "prefix", "postfix", "infix",
        "distributed", "isolated", "consuming", "borrowing", "__consuming", "sending",
    ]
    static let memberKeywords: Set<String> = ["var", "let", "func", "subscript", "init", "deinit", "typealias", "class"]
    static let typeKeywords: [String: Declaration.Kind] = [
        "class": .class, "struct": .struct, "enum": .enum, "actor": .actor, "protocol": .protocol, "extension": .extension,
    ]

    // MARK: Tokens (directives are consumed as they are passed, keeping the `#if` stack)

    private var current: Token? { position < tokens.count ? tokens[position] : nil }

    private func peek(_ ahead: Int) -> Token? {
        var index = position
        var remaining = ahead
        while index < tokens.count {
            if tokens[index].kind != .directive {
                if remaining == 0 { return tokens[index] }
                remaining -= 1
            }
            index += 1
        }
        return nil
    }

    @discardableResult
    private mutating func consume() -> Token? {
        guard let token = current else { return nil }
        position += 1
        normalize()
        return token
    }

    private mutating func normalize() {
        while let token = current, token.kind == .directive {
            switch token.text {
            case "if": frames.append(ConditionFrame(current: token.condition))
            case "elseif": frames.indices.last.map { frames[$0].next(token.condition) }
            case "else": frames.indices.last.map { frames[$0].next(nil) }
            default: if !frames.isEmpty { frames.removeLast() }
            }
            position += 1
        }
    }

    private var conditions: [String] { frames.flatMap(\.clauses) }

    /// Skips a balanced group starting at the current `open` token.
    private mutating func skipGroup(_ open: String, _ close: String) {
        var depth = 0
        while let token = consume() {
            if token.isPunctuation(open) { depth += 1 }
            if token.isPunctuation(close) { depth -= 1; if depth == 0 { return } }
        }
    }

    // MARK: Scopes

    /// Parses declarations until the `}` closing the scope (or the end of the file).
    private mutating func parseScope(owner: Int?, path: [String], isPrivate: Bool, isGeneric: Bool) {
        var modifiers: [String] = []
        var started = false
        var startLine = 0
        var startConditions: [String] = []
        var afterDot = false
        while let token = current {
            if !started {
                startLine = token.line
                startConditions = conditions
            }
            let keyword = token.kind == .identifier && !token.isEscaped && !afterDot ? token.text : nil
            afterDot = token.isPunctuation(".")
            if token.isPunctuation("}") {
                consume()
                if owner != nil { return }
                modifiers = []; started = false
                continue
            }
            if token.isPunctuation("@") {  // an attribute: @MainActor, @available(…)
                consume()
                if current?.kind == .identifier { consume() }
                if current?.isPunctuation("(") == true { skipGroup("(", ")") }
                started = true
                continue
            }
            if let keyword, Self.modifierKeywords.contains(keyword) || (keyword == "class" && isClassModifier()) {
                consume()
                var text = keyword
                if current?.isPunctuation("(") == true {  // private(set), nonisolated(unsafe)
                    text += "(…)"
                    skipGroup("(", ")")
                }
                modifiers.append(text)
                started = true
                continue
            }
            if let keyword, let kind = Self.typeKeywords[keyword] {
                let header = Header(modifiers: modifiers, line: startLine, conditions: startConditions)
                parseTypeDeclaration(kind, header: header, path: path, isPrivate: isPrivate, inGeneric: isGeneric)
            } else if keyword == "let" || keyword == "var", let owner {
                let header = Header(modifiers: modifiers, line: startLine, conditions: startConditions)
                parseProperty(owner: owner, header: header, isPrivate: isPrivate)
            } else if keyword == "import" {
                consume()
                if let next = current, next.kind == .identifier, Self.typeKeywords[next.text] != nil || Self.memberKeywords.contains(next.text) {
                    consume()
                }
            } else if token.isPunctuation("{") {
                skipGroup("{", "}")
            } else if token.isPunctuation("(") {
                skipGroup("(", ")")
            } else if token.isPunctuation("[") {
                skipGroup("[", "]")
            } else {
                consume()
            }
            modifiers = []
            started = false
        }
    }

    /// `class` followed by a member keyword or a modifier is a modifier (`class var`, `class override func`).
    private func isClassModifier() -> Bool {
        guard let next = peek(1), next.kind == .identifier, !next.isEscaped else { return false }
        return Self.memberKeywords.contains(next.text) || Self.modifierKeywords.contains(next.text)
    }

    private struct Header {
        var modifiers: [String]
        var line: Int
        var conditions: [String]
        var isPrivate: Bool { modifiers.contains("private") || modifiers.contains("fileprivate") }
    }

    private mutating func parseTypeDeclaration(_ kind: Declaration.Kind, header: Header, path: [String], isPrivate: Bool, inGeneric: Bool) {
        let line = current?.line ?? header.line
        consume()  // the keyword
        guard let nameToken = current, nameToken.kind == .identifier else { return }  // `actor` as a plain word
        var name: [String]
        var isGeneric = inGeneric && kind != .extension
        if kind == .extension {
            name = parseTypePath().components
        } else {
            consume()
            name = path + [nameToken.text]
            if current?.isPunctuation("<") == true {
                isGeneric = true
                skipGroup("<", ">")
            }
        }
        var inherits: [[String]] = []
        if current?.isPunctuation(":") == true {
            consume()
            inherits = parseInheritance()
        }
        // A `where` clause, or anything unexpected, up to the body.
        while let token = current, !token.isPunctuation("{") {
            if token.isPunctuation("}") || token.isPunctuation(";") { return }
            if token.isPunctuation("(") { skipGroup("(", ")") } else { consume() }
        }
        guard current != nil else { return }
        consume()  // {
        let declaration = Declaration(
            kind: kind, name: name, scope: kind == .extension ? [] : path, inherits: inherits,
            isGeneric: isGeneric, isPrivate: isPrivate || header.isPrivate,
            conditions: header.conditions, file: file, line: line
        )
        declarations.append(declaration)
        parseScope(owner: declarations.count - 1, path: name, isPrivate: declaration.isPrivate, isGeneric: declaration.isGeneric)
    }

    /// A dotted type name (`Outer.Inner`, `Array<Int>.Index`), its generic arguments dropped.
    private mutating func parseTypePath() -> (components: [String], hasArguments: Bool) {
        var components: [String] = []
        var hasArguments = false
        while let token = current, token.kind == .identifier {
            components.append(token.text)
            consume()
            if current?.isPunctuation("<") == true { hasArguments = true; skipGroup("<", ">") }
            guard current?.isPunctuation(".") == true, peek(1)?.kind == .identifier else { break }
            consume()
        }
        return (components, hasArguments)
    }

    /// The entries of an inheritance list, in order, each as a dotted path; `A & B` gives both.
    private mutating func parseInheritance() -> [[String]] {
        var entries: [[String]] = []
        while let token = current {
            if token.isPunctuation("{") || token.isPunctuation("}") || token.isIdentifier("where") { break }
            if token.isPunctuation("@") {  // @unchecked, @retroactive, @preconcurrency
                consume()
                if current?.kind == .identifier { consume() }
                if current?.isPunctuation("(") == true { skipGroup("(", ")") }
            } else if token.kind == .identifier {
                let path = parseTypePath().components
                if !path.isEmpty { entries.append(path) }
            } else if token.isPunctuation("(") {
                skipGroup("(", ")")
            } else {
                consume()  // , & ~ ?
            }
        }
        return entries
    }

    /// `let`/`var` in a type body: notes `dottedName`, and records `static let`s of registrable types.
    private mutating func parseProperty(owner: Int, header: Header, isPrivate: Bool) {
        let isLet = consume()?.text == "let"
        guard let nameToken = current, nameToken.kind == .identifier else { return }
        consume()
        let isTypeMember = header.modifiers.contains("static") || header.modifiers.contains("class")
        if nameToken.text == "dottedName" && isTypeMember {
            declarations[owner].dottedName = .init(isOverride: header.modifiers.contains("override"), line: header.line)
        }
        guard isLet, header.modifiers.contains("static") else { return }
        var typePath: [String] = []
        if current?.isPunctuation(":") == true {
            consume()
            typePath = parseTypePath().components
            if let next = current, next.isPunctuation("?") || next.isPunctuation("!") || next.isPunctuation("&") || next.text == "->" {
                return
            }
        } else if current?.isPunctuation("=") == true {
            consume()
            if current?.isIdentifier("try") == true {
                consume()
                if current?.isPunctuation("?") == true { return }
                if current?.isPunctuation("!") == true { consume() }
            }
            typePath = parseTypePath().components
            if ["typed", "init"].contains(typePath.last), typePath.count > 1 { typePath.removeLast() }
            guard current?.isPunctuation("(") == true || current?.isPunctuation("{") == true else { return }
        }
        if typePath.count == 2, typePath[0] == "AsyncDash" { typePath.removeFirst() }
        guard typePath.count == 1, let kind = RegistrationKind(typeName: typePath[0]) else { return }
        declarations[owner].members.append(Member(
            name: nameToken.text, kind: kind,
            isPrivate: isPrivate || header.isPrivate,
            conditions: header.conditions, line: nameToken.line
        ))
    }
}
