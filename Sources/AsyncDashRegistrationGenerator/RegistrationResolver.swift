/// Decides, from every declaration of a module, what to register (the rules are documented on
/// ``SourceScanner``), and reports what cannot be registered.
struct RegistrationResolver {
    let module: String
    let declarations: [Declaration]
    private var byName: [String: [Int]] = [:]

    init(module: String, declarations: [Declaration]) {
        self.module = module
        // `extension MyModule.Outer` names `Outer` (unless a type is named like the module).
        var declarations = declarations
        if !declarations.contains(where: { $0.kind != .extension && $0.name == [module] }) {
            for index in declarations.indices {
                declarations[index].name = Self.strip(module: module, from: declarations[index].name)
                declarations[index].scope = Self.strip(module: module, from: declarations[index].scope)
            }
        }
        self.declarations = declarations
        for (index, declaration) in declarations.enumerated() where declaration.kind != .extension {
            byName[declaration.qualifiedName, default: []].append(index)
        }
    }

    private static func strip(module: String, from path: [String]) -> [String] {
        path.count > 1 && path[0] == module ? Array(path.dropFirst()) : path
    }

    /// The qualified name `reference` means when written inside `scope`, if a type of the sources has it.
    func lookUp(_ reference: [String], in scope: [String]) -> String? {
        let reference = Self.strip(module: module, from: reference)
        for length in stride(from: scope.count, through: 0, by: -1) {
            let candidate = (scope.prefix(length) + reference).joined(separator: ".")
            if byName[candidate] != nil { return candidate }
        }
        return nil
    }

    private func classes(named name: String) -> [Declaration] {
        (byName[name] ?? []).map { declarations[$0] }.filter { $0.kind == .class }
    }

    /// Extensions declaring a conformance to `protocolName`, by the qualified name of their type.
    private func conformingExtensions(_ protocolName: String) -> [String: Declaration] {
        var result: [String: Declaration] = [:]
        for declaration in declarations where declaration.kind == .extension && declaration.lists(protocolName) {
            let name = lookUp(declaration.name, in: []) ?? declaration.qualifiedName
            if result[name] == nil { result[name] = declaration }
        }
        return result
    }

    /// Whether the class named `name` conforms to `RegisteredManager` as far as the sources tell:
    /// it lists the protocol, an extension adds it, or its superclass conforms.
    private func conforms(_ name: String, extensions: [String: Declaration], visited: Set<String> = []) -> Bool {
        guard !visited.contains(name) else { return false }
        if extensions[name] != nil { return true }
        return classes(named: name).contains { declaration in
            if declaration.lists("RegisteredManager") { return true }
            guard let superclass = declaration.inherits.first,
                  let resolved = lookUp(superclass, in: declaration.scope) else { return false }
            return conforms(resolved, extensions: extensions, visited: visited.union([name]))
        }
    }

    /// The registrations, sorted, and the problems found.
    func resolve() -> (registrations: [Registration], diagnostics: [Diagnostic]) {
        var registrations: Set<Registration> = []
        var diagnostics: [Diagnostic] = []

        // Managers.
        let managerExtensions = conformingExtensions("RegisteredManager")
        var classNames: Set<String> = []
        for declaration in declarations where declaration.kind == .class {
            let name = declaration.qualifiedName
            classNames.insert(name)
            let viaExtension = managerExtensions[name]
            var registered = declaration.lists("RegisteredManager") || viaExtension != nil
            if !registered, declaration.dottedName != nil {
                if declaration.dottedName?.isOverride == true {
                    registered = true
                } else if let superclass = declaration.inherits.first, let resolved = lookUp(superclass, in: declaration.scope) {
                    registered = conforms(resolved, extensions: managerExtensions)
                }
            }
            guard registered else { continue }
            if declaration.isPrivate {
                diagnostics.append(error(declaration, "manager class '\(name)' is private or fileprivate (or inside a private type), so the generated registrations cannot reach it; make it internal or public"))
                continue
            }
            if declaration.isGeneric {
                diagnostics.append(Diagnostic(file: declaration.file, line: declaration.line, severity: .warning,
                    message: "generic manager class '\(name)' is not registered (its type parameters are unknown); register a non-generic subclass instead"))
                continue
            }
            var conditions = declaration.conditions
            if !declaration.lists("RegisteredManager"), let viaExtension {
                conditions += viaExtension.conditions.filter { !conditions.contains($0) }
            }
            registrations.insert(Registration(kind: .manager, name: declaration.name, conditions: conditions))
        }
        for (name, declaration) in managerExtensions where !classNames.contains(name) {
            // A type of another module (or a non-class the compiler will reject): register it as written.
            if declaration.isPrivate {
                diagnostics.append(error(declaration, "the extension making '\(name)' a RegisteredManager is private or fileprivate; the generated registrations cannot rely on it"))
                continue
            }
            registrations.insert(Registration(kind: .manager, name: declaration.name, conditions: declaration.conditions))
        }

        // Catalogs and their members.
        var catalogs = Set(conformingExtensions("RegistrationCatalog").keys)
        for declaration in declarations where declaration.lists("RegistrationCatalog")
            && [.enum, .struct, .class, .actor].contains(declaration.kind) {
            catalogs.insert(declaration.qualifiedName)
        }
        for declaration in declarations where declaration.kind != .protocol {
            let name = declaration.kind == .extension ? (lookUp(declaration.name, in: []) ?? declaration.qualifiedName) : declaration.qualifiedName
            guard catalogs.contains(name) else { continue }
            let path = name.split(separator: ".").map(String.init)
            for member in declaration.members {
                if member.isPrivate {
                    diagnostics.append(Diagnostic(file: declaration.file, line: member.line, severity: .error,
                        message: "'\(name).\(member.name)' is private or fileprivate (or inside a private type or extension), so the generated registrations cannot reach it; make it internal or public"))
                    continue
                }
                registrations.insert(Registration(kind: member.kind, name: path + [member.name], conditions: member.conditions))
            }
        }
        let sortedDiagnostics = diagnostics.sorted { ($0.file, $0.line, $0.message) < ($1.file, $1.line, $1.message) }
        return (registrations.sorted(), sortedDiagnostics)
    }

    private func error(_ declaration: Declaration, _ message: String) -> Diagnostic {
        Diagnostic(file: declaration.file, line: declaration.line, severity: .error, message: message)
    }
}
