import Foundation
import PackagePlugin

/// `swift package --allow-writing-to-package-directory asyncdash-init --name myapp-dash [--prefix myapp] [--force]`
///
/// Scaffolds an application's own asyncdash executable: `Sources/<name>/main.swift`,
/// `Sources/<name>/AppManager.swift` (a manager, a record model, a task function and an observer
/// under `<prefix>.` names) and `config.yaml`, then prints the Package.swift target to add.
/// Existing files are left alone unless `--force` is given.
@main
struct AsyncDashInit: CommandPlugin {
    func performCommand(context: PluginContext, arguments: [String]) async throws {
        var extractor = ArgumentExtractor(arguments)
        let names = extractor.extractOption(named: "name")
        let prefixes = extractor.extractOption(named: "prefix")
        let force = extractor.extractFlag(named: "force") > 0
        if let extra = extractor.remainingArguments.first {
            throw InitError("unexpected argument '\(extra)'\n\(InitError.usage)")
        }
        guard names.count == 1, let name = names.first else {
            throw InitError("\(names.isEmpty ? "missing --name" : "--name given more than once")\n\(InitError.usage)")
        }
        guard !name.isEmpty, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else {
            throw InitError("invalid --name '\(name)': use letters, digits, '-' and '_' (e.g. myapp-dash)")
        }
        guard prefixes.count <= 1 else { throw InitError("--prefix given more than once") }
        let prefix = prefixes.first ?? Templates.defaultPrefix(packageName: context.package.displayName)
        guard !prefix.isEmpty, !prefix.hasPrefix("."), !prefix.hasSuffix("."), !prefix.contains(".."),
              prefix.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == ".") }) else {
            throw InitError("invalid --prefix '\(prefix)': use letters, digits, '_' and inner dots (e.g. myapp)")
        }

        let root = context.package.directoryURL
        let files = Templates.files(name: name, prefix: prefix)
        let manager = FileManager.default
        if !force {
            for file in files where manager.fileExists(atPath: root.appendingPathComponent(file.path).path) {
                throw InitError("\(file.path) already exists; pass --force to overwrite it (nothing was written)")
            }
        }
        for file in files {
            let url = root.appendingPathComponent(file.path)
            try manager.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(file.content.utf8).write(to: url, options: .atomic)
        }
        print(Templates.instructions(name: name, written: files.map(\.path)))
    }
}

struct InitError: Error, CustomStringConvertible {
    static let usage = "usage: swift package --allow-writing-to-package-directory asyncdash-init --name NAME [--prefix PREFIX] [--force]"
    var description: String
    init(_ description: String) { self.description = description }
}
