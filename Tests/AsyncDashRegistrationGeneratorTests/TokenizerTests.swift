import Testing
@testable import AsyncDashRegistrationGenerator

@Suite("Tokenizer")
struct TokenizerTests {
    private func identifiers(_ source: String) -> [String] {
        Tokenizer.tokenize(source).filter { $0.kind == .identifier }.map(\.text)
    }

    @Test func skipsLineAndNestedBlockComments() {
        #expect(identifiers("a // class B: RegisteredManager {\nb /* x /* class C { */ y */ c") == ["a", "b", "c"])
    }

    @Test func skipsStringsWithLookAlikeText() {
        let source = #"a "class X { \" }" b "\(f("}", g(")"))) class" c"#
        #expect(identifiers(source) == ["a", "b", "c"])
    }

    @Test func skipsMultiLineAndRawStrings() {
        let source = ##"""
        a """
        class X: RegisteredManager { "" \""" }
        """ b #"raw " } \(not) "# c ##"x "# still "##  d #"""
        } "#
        """# e
        """##
        #expect(identifiers(source) == ["a", "b", "c", "d", "e"])
    }

    @Test func rawStringInterpolation() {
        #expect(identifiers(##"a #"x \#(f("{")) y"# b"##) == ["a", "b"])
    }

    @Test func skipsExtendedRegexLiterals() {
        #expect(identifiers("a #/ { \" /# b") == ["a", "b"])
    }

    @Test func countsLinesAndReadsDirectives() {
        let tokens = Tokenizer.tokenize("a\n#if os(Linux) && DEBUG // note\nb /* \n */ c\n#endif")
        #expect(tokens.map(\.line) == [1, 2, 3, 4, 5])
        #expect(tokens[1].kind == .directive)
        #expect(tokens[1].condition == "os(Linux) && DEBUG")
    }

    @Test func backtickedIdentifiersAreEscaped() {
        let token = Tokenizer.tokenize("`class`")[0]
        #expect(token.text == "class" && token.isEscaped && !token.isIdentifier("class"))
    }
}
