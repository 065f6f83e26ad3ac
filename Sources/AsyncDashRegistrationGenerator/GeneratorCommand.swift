import Foundation

/// `AsyncDashRegistrationGenerator --module NAME --output FILE.swift INPUT.swift…`: scans the
/// inputs, prints diagnostics to stderr in the compiler's format, and writes the registrations
/// file when its content changes. Exit status: 0 done, 1 usage error or error in the sources.
enum GeneratorCommand {
    struct Options: Equatable {
        var module: String
        var output: String
        var inputs: [String]
    }

    struct UsageError: Error, Equatable, CustomStringConvertible {
        var description: String
    }

    static let usage = "usage: AsyncDashRegistrationGenerator --module MODULE_NAME --output OUTPUT.swift INPUT.swift..."

    static func parse(_ arguments: [String]) throws(UsageError) -> Options {
        var module: String?
        var output: String?
        var inputs: [String] = []
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            switch argument {
            case "--module", "--output":
                guard index + 1 < arguments.count, !arguments[index + 1].isEmpty else {
                    throw UsageError(description: "\(argument) needs a value")
                }
                if argument == "--module" { module = arguments[index + 1] } else { output = arguments[index + 1] }
                index += 2
            case "--":
                inputs += arguments[(index + 1)...]
                index = arguments.count
            default:
                if argument.hasPrefix("-") { throw UsageError(description: "unknown option '\(argument)'") }
                inputs.append(argument)
                index += 1
            }
        }
        guard let module else { throw UsageError(description: "missing --module") }
        guard let output else { throw UsageError(description: "missing --output") }
        return Options(module: module, output: output, inputs: inputs)
    }

    /// Scans `sources` (path → text) and returns the file's content, or nil when there are errors.
    static func generate(module: String, sources: [(path: String, text: String)]) -> (content: String?, diagnostics: [Diagnostic]) {
        let declarations = sources.flatMap { SourceScanner.scan(file: $0.path, source: $0.text) }
        let (registrations, diagnostics) = RegistrationResolver(module: module, declarations: declarations).resolve()
        if diagnostics.contains(where: { $0.severity == .error }) { return (nil, diagnostics) }
        return (RegistrationFile.render(module: module, registrations: registrations), diagnostics)
    }

    static func run(_ arguments: [String]) -> Int32 {
        let options: Options
        do {
            options = try parse(arguments)
        } catch {
            printError("AsyncDashRegistrationGenerator: error: \(error)\n\(usage)")
            return 1
        }
        var sources: [(path: String, text: String)] = []
        for path in options.inputs.sorted() {
            guard let data = FileManager.default.contents(atPath: path) else {
                printError("AsyncDashRegistrationGenerator: error: cannot read \(path)")
                return 1
            }
            sources.append((path, String(decoding: data, as: UTF8.self)))
        }
        let (content, diagnostics) = generate(module: options.module, sources: sources)
        for diagnostic in diagnostics { printError(diagnostic.description) }
        guard let content else { return 1 }
        do {
            try writeIfChanged(content, to: options.output)
        } catch {
            printError("AsyncDashRegistrationGenerator: error: cannot write \(options.output): \(error)")
            return 1
        }
        return 0
    }

    /// Writes `content` unless the file already holds exactly that (so the build does not redo work).
    static func writeIfChanged(_ content: String, to path: String) throws {
        let data = Data(content.utf8)
        if FileManager.default.contents(atPath: path) == data { return }
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent()
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try data.write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    static func printError(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }
}
