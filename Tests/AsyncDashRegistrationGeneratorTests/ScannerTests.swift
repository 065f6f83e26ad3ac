import Foundation
import Testing
@testable import AsyncDashRegistrationGenerator

/// What the scanner registers for `sources`, one line per registration: `kind: Name` (with ` if COND` when under `#if`).
private func found(_ sources: String..., module: String = "App") -> [String] {
    let result = resolve(sources, module: module)
    #expect(result.diagnostics.isEmpty, "unexpected diagnostics: \(result.diagnostics)")
    return result.registrations.map { registration in
        let line = "\(registration.kind.label): \(registration.name.joined(separator: "."))"
        return registration.conditions.isEmpty ? line : line + " if " + registration.conditions.joined(separator: " && ")
    }
}

private func resolve(_ sources: [String], module: String = "App") -> (registrations: [Registration], diagnostics: [Diagnostic]) {
    let declarations = sources.enumerated().flatMap { SourceScanner.scan(file: "File\($0.offset).swift", source: $0.element) }
    return RegistrationResolver(module: module, declarations: declarations).resolve()
}

@Suite("Managers")
struct ManagerTests {
    @Test func classListingTheProtocolIsRegistered() {
        let source = """
        final class A: ModelTrackingAsyncManager, RegisteredManager, @unchecked Sendable { static let dottedName = "a" }
        open class B: AsyncManager, AsyncDash.RegisteredManager, @unchecked Sendable {}
        class NotAManager: AsyncManager {}
        struct Other: Sendable {}
        """
        #expect(found(source) == ["manager: A", "manager: B"])
    }

    @Test func attributesModifiersAndMultiLineInheritance() {
        let source = """
        @MainActor
        public final class A:
            ModelTrackingAsyncManager,
            // RegistrationCatalog in a comment
            RegisteredManager,
            @unchecked Sendable
        {
            static let dottedName = "a"
        }
        @available(macOS 15, *) package class B: AsyncManager, RegisteredManager, @unchecked Sendable {}
        @available(*, deprecated, message: "x") open class C: AsyncManager, RegisteredManager {}
        """
        #expect(found(source) == ["manager: A", "manager: B", "manager: C"])
    }

    @Test func conformanceInAnExtension() {
        let source = """
        final class A: ModelTrackingAsyncManager, @unchecked Sendable {}
        extension A: RegisteredManager { static var dottedName: String { "a" } }
        enum Outer { final class Inner: AsyncManager, @unchecked Sendable {} }
        extension Outer.Inner: RegisteredManager { static let dottedName = "inner" }
        extension App.Outer.Inner {}
        """
        #expect(found(source) == ["manager: A", "manager: Outer.Inner"])
    }

    @Test func extensionOfATypeFromAnotherModuleIsRegisteredAsWritten() {
        #expect(found("extension Vendor.Manager: @retroactive RegisteredManager {}") == ["manager: Vendor.Manager"])
    }

    @Test func subclassesNeedTheirOwnDottedName() {
        let source = """
        open class Base: ModelTrackingAsyncManager, RegisteredManager, @unchecked Sendable {
            open class var dottedName: String { "base" }
        }
        class Named: Base, @unchecked Sendable { override class var dottedName: String { "named" } }
        class Deeper: Named, @unchecked Sendable { static let dottedName = "deeper" }
        class Unnamed: Base, @unchecked Sendable {}
        class Unrelated: AsyncManager, @unchecked Sendable { static let dottedName = "unrelated" }
        class External: VendorBase, @unchecked Sendable { override class var dottedName: String { "external" } }
        """
        #expect(found(source) == ["manager: Base", "manager: Deeper", "manager: External", "manager: Named"])
    }

    @Test func subclassOfAClassInAnotherFile() {
        let base = "class Base: AsyncManager, @unchecked Sendable {}\nextension Base: RegisteredManager { class var dottedName: String { \"b\" } }"
        let sub = "final class Sub: Base, @unchecked Sendable { static let dottedName = \"s\" }"
        #expect(found(sub, base) == ["manager: Base", "manager: Sub"])
    }

    @Test func genericClassIsParsedButNotRegistered() {
        let source = """
        class Base<T: Sendable & Codable>: ModelTrackingAsyncManager, RegisteredManager, @unchecked Sendable where T: Hashable {
            class var dottedName: String { "base" }
        }
        final class Concrete: Base<Int>, @unchecked Sendable { override class var dottedName: String { "c" } }
        """
        let result = resolve([source])
        #expect(result.registrations.map(\.name) == [["Concrete"]])
        #expect(result.diagnostics.map(\.description) == [
            "File0.swift:1: warning: generic manager class 'Base' is not registered (its type parameters are unknown); register a non-generic subclass instead",
        ])
    }

    @Test func classModifierIsNotADeclaration() {
        let source = """
        final class A: AsyncManager, RegisteredManager, @unchecked Sendable {
            class var dottedName: String { "a" }
            class func make() -> Int { 1 }
            class override var description: String { "" }
        }
        """
        #expect(found(source) == ["manager: A"])
    }

    @Test func actorAsAPlainWordDoesNotHideTheNextDeclaration() {
        let source = """
        let actor = Worker()
        actor.start()
        final class M: AsyncManager, RegisteredManager, @unchecked Sendable {}
        """
        #expect(found(source) == ["manager: M"])
    }

    @Test func localClassesAreNotRegistered() {
        let source = """
        func f() {
            final class Local: AsyncManager, RegisteredManager, @unchecked Sendable {}
        }
        let x = { class L2: AsyncManager, RegisteredManager {} }
        """
        #expect(found(source).isEmpty)
    }
}

@Suite("Catalogs")
struct CatalogTests {
    @Test func eachRegistrableStaticLetIsRegistered() {
        let source = """
        enum Catalog: RegistrationCatalog {
            static let model: RecordModel = {
                do { return try RecordModel(name: "m", table: "t", columns: []) } catch { preconditionFailure("\\(error)") }
            }()
            static let plain = TaskFunction(name: "t.plain") { args, _ in args }
            public static let typed = TaskFunction.typed("t.typed") { (args: Args, context) in Result() }
            static let thrown = try! RecordModel(name: "m2", table: "t2", columns: [])
            static let journal = AsyncDash.ObserverPlugin(name: "o") { options in Journal() }
            static let upper: FormatterPlugin = .init(name: "f") { _ in Upper() }
            static let annotated: AsyncDash.TaskFunction = makeTask()
            static let explicitInit = TaskFunction.init(name: "t.init") { _, _ in .null }
        }
        """
        #expect(found(source) == [
            "recordModel: Catalog.model", "recordModel: Catalog.thrown",
            "taskFunction: Catalog.annotated", "taskFunction: Catalog.explicitInit", "taskFunction: Catalog.plain", "taskFunction: Catalog.typed",
            "observer: Catalog.journal", "formatter: Catalog.upper",
        ])
    }

    @Test func otherMembersAreIgnored() {
        let source = """
        struct Catalog: Sendable, RegistrationCatalog {
            static let name = "x"
            static let all = [plain, other]
            static let optional: TaskFunction? = nil
            static let list: [TaskFunction] = []
            static let made = makeTask(TaskFunction.self)
            static var computed: TaskFunction { TaskFunction(name: "c") { _, _ in .null } }
            static var stored = TaskFunction(name: "s") { _, _ in .null }
            let instance = TaskFunction(name: "i") { _, _ in .null }
            static func build() -> TaskFunction {
                enum Local: RegistrationCatalog { static let hidden = TaskFunction(name: "h") { _, _ in .null } }
                return Local.hidden
            }
            static let closure: () -> Void = {
                struct InClosure { static let hidden = TaskFunction(name: "h") { _, _ in .null } }
            }
            enum Nested { static let notACatalog = TaskFunction(name: "n") { _, _ in .null } }
            static let plain = TaskFunction(name: "p") { _, _ in .null }
        }
        """
        #expect(found(source) == ["taskFunction: Catalog.plain"])
    }

    @Test func allKindsOfTypesCanBeCatalogs() {
        let source = """
        enum E: RegistrationCatalog { static let t = TaskFunction(name: "e") { _, _ in .null } }
        struct S: AsyncDash.RegistrationCatalog { static let t = TaskFunction(name: "s") { _, _ in .null } }
        final class C: RegistrationCatalog { static let t = TaskFunction(name: "c") { _, _ in .null } }
        actor A: RegistrationCatalog { static let t = TaskFunction(name: "a") { _, _ in .null } }
        protocol P: RegistrationCatalog { static var t: TaskFunction { get } }
        enum NotOne { static let t = TaskFunction(name: "n") { _, _ in .null } }
        """
        #expect(found(source) == ["taskFunction: A.t", "taskFunction: C.t", "taskFunction: E.t", "taskFunction: S.t"])
    }

    @Test func extensionsAddConformanceAndMembers() {
        let declaration = "enum Tasks { static let a = TaskFunction(name: \"a\") { _, _ in .null } }"
        let conformance = "extension Tasks: RegistrationCatalog {}"
        let more = "extension Tasks { static let b = TaskFunction(name: \"b\") { _, _ in .null } }"
        let unrelated = "extension Other { static let c = TaskFunction(name: \"c\") { _, _ in .null } }"
        #expect(found(more, unrelated, declaration, conformance) == ["taskFunction: Tasks.a", "taskFunction: Tasks.b"])
    }

    @Test func nestedCatalogsHaveQualifiedNames() {
        let source = """
        public enum App {
            public enum Tasks: RegistrationCatalog {
                public static let a = TaskFunction(name: "a") { _, _ in .null }
                enum Deeper: RegistrationCatalog { static let b = TaskFunction(name: "b") { _, _ in .null } }
            }
            static let notInACatalog = TaskFunction(name: "x") { _, _ in .null }
        }
        extension App.Tasks { static let c = TaskFunction(name: "c") { _, _ in .null } }
        extension MyModule.App.Tasks.Deeper { static let d = TaskFunction(name: "d") { _, _ in .null } }
        """
        #expect(found(source, module: "MyModule") == [
            "taskFunction: App.Tasks.Deeper.b", "taskFunction: App.Tasks.Deeper.d", "taskFunction: App.Tasks.a", "taskFunction: App.Tasks.c",
        ])
    }

    @Test func typesNestedInExtensions() {
        let source = """
        enum Outer {}
        extension Outer {
            enum Tasks: RegistrationCatalog { static let a = TaskFunction(name: "a") { _, _ in .null } }
            final class M: AsyncManager, RegisteredManager, @unchecked Sendable {}
        }
        extension MyModule.Outer {
            enum More: RegistrationCatalog { static let b = TaskFunction(name: "b") { _, _ in .null } }
            final class Sub: Outer.M, @unchecked Sendable { static let dottedName = "sub" }
        }
        """
        #expect(found(source, module: "MyModule") == [
            "manager: Outer.M", "manager: Outer.Sub", "taskFunction: Outer.More.b", "taskFunction: Outer.Tasks.a",
        ])
    }

    @Test func typesNestedInGenericTypesAreNotRegistered() {
        let source = """
        struct Box<T> {
            final class M: AsyncManager, RegisteredManager, @unchecked Sendable {}
        }
        """
        let result = resolve([source])
        #expect(result.registrations.isEmpty)
        #expect(result.diagnostics.map(\.severity) == [.warning])
    }

    @Test func lookAlikeTextInCommentsAndStringsIsIgnored() {
        let source = #"""
        enum Catalog: RegistrationCatalog {
            // static let commented = TaskFunction(name: "c") { _, _ in .null }
            /* static let blocked = TaskFunction(name: "b") { _, _ in .null } /* nested */ } */
            static let text = "static let inString = TaskFunction(name: \"s\") { }"
            static let raw = #"} static let inRaw = TaskFunction("#
            static let multi = """
                }
                static let inMulti = TaskFunction(name: "m") { _, _ in .null }
                """
            static let real = TaskFunction(name: "r \("}") \(#"{"#)") { _, _ in .null }
        }
        // class Fake: RegisteredManager {}
        let s = "class Fake2: RegisteredManager {}"
        """#
        #expect(found(source) == ["taskFunction: Catalog.real"])
    }

    @Test func membersNamedAfterKeywordsAreEscaped() {
        let source = "enum Catalog: RegistrationCatalog { static let `default` = TaskFunction(name: \"d\") { _, _ in .null } }"
        let result = resolve([source])
        #expect(result.registrations.map(\.call) == ["registry.register(taskFunction: Catalog.`default`)"])
    }
}

@Suite("Conditional compilation")
struct ConditionTests {
    @Test func declarationsInIfBlocksKeepTheirCondition() {
        let source = """
        enum Catalog: RegistrationCatalog {
            #if DEBUG
            static let debug = TaskFunction(name: "d") { _, _ in .null }
            #elseif os(Linux) // comment
            static let linux = TaskFunction(name: "l") { _, _ in .null }
            #else
            static let other = TaskFunction(name: "o") { _, _ in .null }
            #endif
            static let always = TaskFunction(name: "a") { _, _ in .null }
        }
        #if canImport(Foundation) || FOO
        final class M: AsyncManager, RegisteredManager, @unchecked Sendable {
            #if BAR
            #endif
        }
        #endif
        """
        #expect(found(source) == [
            "manager: M if (canImport(Foundation) || FOO)",
            "taskFunction: Catalog.always", "taskFunction: Catalog.debug if DEBUG",
            "taskFunction: Catalog.linux if !DEBUG && os(Linux)", "taskFunction: Catalog.other if !DEBUG && !os(Linux)",
        ])
    }

    @Test func nestedConditionsCombine() {
        let source = """
        #if A
        enum Catalog: RegistrationCatalog {
            #if !B
            static let t = TaskFunction(name: "t") { _, _ in .null }
            #endif
        }
        #endif
        """
        #expect(found(source) == ["taskFunction: Catalog.t if A && !B"])
    }
}

@Suite("Unreachable declarations")
struct PrivateTests {
    @Test func privateThingsAreErrorsWithTheirLine() {
        let source = """
        private final class Hidden: AsyncManager, RegisteredManager, @unchecked Sendable {}
        enum Catalog: RegistrationCatalog {
            fileprivate static let a = TaskFunction(name: "a") { _, _ in .null }
            public private(set) static var fine = 1
            nonisolated(unsafe) static let ok = TaskFunction(name: "ok") { _, _ in .null }
        }
        private extension Catalog {
            static let b = TaskFunction(name: "b") { _, _ in .null }
        }
        private enum Outer { enum Inner: RegistrationCatalog { static let c = TaskFunction(name: "c") { _, _ in .null } } }
        private enum Ignored { static let d = TaskFunction(name: "d") { _, _ in .null } }
        """
        let result = resolve([source])
        #expect(result.diagnostics.map(\.description) == [
            "File0.swift:1: error: manager class 'Hidden' is private or fileprivate (or inside a private type), so the generated registrations cannot reach it; make it internal or public",
            "File0.swift:3: error: 'Catalog.a' is private or fileprivate (or inside a private type or extension), so the generated registrations cannot reach it; make it internal or public",
            "File0.swift:8: error: 'Catalog.b' is private or fileprivate (or inside a private type or extension), so the generated registrations cannot reach it; make it internal or public",
            "File0.swift:10: error: 'Outer.Inner.c' is private or fileprivate (or inside a private type or extension), so the generated registrations cannot reach it; make it internal or public",
        ])
        #expect(result.registrations.map(\.call) == ["registry.register(taskFunction: Catalog.ok)"])
    }

    @Test func theErrorPointsAtTheDeclarationNotItsAttributes() {
        let source = "@MainActor\n@available(macOS 15, *)\nfileprivate final class M: AsyncManager, RegisteredManager {}"
        #expect(resolve([source]).diagnostics.map(\.line) == [3])
    }

    @Test func errorsProduceNoFile() {
        let (content, diagnostics) = GeneratorCommand.generate(module: "App", sources: [
            ("/src/A.swift", "\n\nenum C: RegistrationCatalog { private static let a = TaskFunction(name: \"a\") { _, _ in .null } }"),
        ])
        #expect(content == nil)
        #expect(diagnostics.map(\.description).first?.hasPrefix("/src/A.swift:3: error: 'C.a' is private") == true)
    }
}
