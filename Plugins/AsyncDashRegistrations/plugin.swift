import Foundation
import PackagePlugin

/// Generates `<module>Registrations.swift` for a target: an enum whose `register(into:)` registers
/// the target's managers (`RegisteredManager`) and the static task functions, record models,
/// observers and formatters of its `RegistrationCatalog` types. The rules are those of the
/// `AsyncDashRegistrationGenerator` tool (see its `SourceScanner.swift`).
///
/// ```swift
/// .executableTarget(
///     name: "myapp-dash",
///     dependencies: [.product(name: "AsyncDashCLI", package: "AsyncDash")],
///     plugins: [.plugin(name: "AsyncDashRegistrations", package: "AsyncDash")]
/// )
/// ```
@main
struct AsyncDashRegistrations: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) async throws -> [Command] {
        guard let target = target as? SourceModuleTarget else { return [] }
        let inputs = target.sourceFiles(withSuffix: "swift").map(\.url)
        return [try Self.command(
            tool: context.tool(named: "AsyncDashRegistrationGenerator").url,
            module: target.moduleName,
            inputs: inputs,
            workDirectory: context.pluginWorkDirectoryURL
        )]
    }

    static func command(tool: URL, module: String, inputs: [URL], workDirectory: URL) -> Command {
        let output = workDirectory.appendingPathComponent("\(module)Registrations.swift")
        let sortedInputs = inputs.sorted { $0.path < $1.path }
        return .buildCommand(
            displayName: "Generating AsyncDash registrations for \(module)",
            executable: tool,
            arguments: ["--module", module, "--output", output.path] + sortedInputs.map(\.path),
            inputFiles: sortedInputs,
            outputFiles: [output]
        )
    }
}

#if canImport(XcodeProjectPlugin)
import XcodeProjectPlugin

extension AsyncDashRegistrations: XcodeBuildToolPlugin {
    func createBuildCommands(context: XcodePluginContext, target: XcodeTarget) throws -> [Command] {
        let inputs = target.inputFiles.filter { $0.url.pathExtension == "swift" }.map(\.url)
        let module = target.displayName.map { $0.isLetter || $0.isNumber || $0 == "_" ? $0 : "_" }
        return [Self.command(
            tool: try context.tool(named: "AsyncDashRegistrationGenerator").url,
            module: String(module),
            inputs: inputs,
            workDirectory: context.pluginWorkDirectoryURL
        )]
    }
}
#endif
