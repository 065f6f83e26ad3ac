import AsyncDash
import Foundation
import Testing

/// `swift package asyncdash-init` (Plugins/AsyncDashInit) run for real in a fresh package that
/// depends on this one: it writes the executable's sources and a config, prints the target to
/// add, and refuses to overwrite without --force; with the printed target added, the package
/// builds and its command line runs with the scaffolded manager, record model and observer.
@Suite("The asyncdash-init command plugin", .serialized)
struct ScaffoldPluginTests {
    /// Runs `swift package …` in `directory` (its own scratch path).
    func swiftPackage(_ arguments: [String], in directory: URL) async throws -> (Int32, String) {
        try await SwiftToolRun.run(
            ["package", "--scratch-path", directory.appendingPathComponent(".build").path] + arguments, in: directory,
            log: directory.appendingPathComponent("plugin.log"), timeout: .seconds(900))
    }

    @Test func itScaffoldsAnExecutableAndAConfigAndRefusesToOverwrite() async throws {
        try await withHarness { cli in
            let package = cli.directory.appendingPathComponent("Shop")
            try FileManager.default.createDirectory(at: package, withIntermediateDirectories: true)
            try """
                // swift-tools-version:6.1
                import PackageDescription

                let package = Package(
                    name: "Shop",
                    platforms: [.macOS(.v15)],
                    dependencies: [.package(name: "AsyncDash", path: "\(CLIHarness.repositoryRoot.path)")],
                    targets: []
                )
                """.write(to: package.appendingPathComponent("Package.swift"), atomically: true, encoding: .utf8)
            let (status, output) = try await swiftPackage(
                ["--allow-writing-to-package-directory", "asyncdash-init", "--name", "shop-dash", "--prefix", "shop"], in: package)
            #expect(status == 0, "\(output)")
            #expect(output.contains(#"name: "shop-dash""#) && output.contains("AsyncDashRegistrations"), "\(output)")
            #expect(output.contains("swift run shop-dash serve"), "\(output)")
            let sources = package.appendingPathComponent("Sources/shop-dash")
            let main = try String(contentsOf: sources.appendingPathComponent("main.swift"), encoding: .utf8)
            #expect(main.contains("AsyncDashMain.main") && main.contains("shop_dashRegistrations.register(into: &registry)"), "\(main)")
            let app = try String(contentsOf: sources.appendingPathComponent("AppManager.swift"), encoding: .utf8)
            #expect(app.contains("RegisteredManager") && app.contains("shop.async_manager.AppAsyncManager"), "\(app)")
            let config = try String(contentsOf: package.appendingPathComponent("config.yaml"), encoding: .utf8)
            #expect(config.contains("manager_class: shop.async_manager.AppAsyncManager"), "\(config)")

            let (again, refusal) = try await swiftPackage(["--allow-writing-to-package-directory", "asyncdash-init", "--name", "shop-dash"], in: package)
            #expect(again != 0, "\(refusal)")
            #expect(refusal.contains("already exists") && refusal.contains("--force"), "\(refusal)")
            let (bad, badName) = try await swiftPackage(["--allow-writing-to-package-directory", "asyncdash-init", "--name", "shop dash!"], in: package)
            #expect(bad != 0 && badName.contains("invalid --name 'shop dash!'"), "\(badName)")

            // The scaffold compiles and runs: add the printed target, build, then run its command line.
            let manifest = package.appendingPathComponent("Package.swift")
            let target = try #require(Self.printedTarget(in: output), "no target in \(output)")
            let text = try String(contentsOf: manifest, encoding: .utf8).replacingOccurrences(of: "targets: []", with: "targets: [\n\(target)\n]")
            try text.write(to: manifest, atomically: true, encoding: .utf8)
            let binary = try await Self.build(package: package, product: "shop-dash")
            var scaffolded = cli
            scaffolded.executable = binary
            try scaffolded.writeConfig(config)
            let check = try await scaffolded.run(["check-config"])
            #expect(check.exitCode == 0, "\(check)")
            #expect(check.stdout.contains("shop.async_manager.AppAsyncManager") && check.stdout.contains("shop.JobRecord"), "\(check)")
            let create = try await scaffolded.run(["emit", "create", "--task", "scaffolded-1"])
            #expect(create.exitCode == 0, "\(create)")
            let emit = try await scaffolded.run(["emit", "complete", "--task", "scaffolded-1"])
            #expect(emit.exitCode == 0, "\(emit)")
            #expect(emit.stderr.contains("[shop] complete scaffolded-1"), "the scaffold's observer prints the event: \(emit)")
            let show = try await scaffolded.run(["show", "scaffolded-1", "--json"])
            #expect(show.exitCode == 0 && show.stdout.contains(#""status": "success""#), "\(show)")
        }
    }

    /// The `.executableTarget(…)` the plugin printed, from its first line to its closing `),`.
    static func printedTarget(in output: String) -> String? {
        guard let start = output.range(of: ".executableTarget(") else { return nil }
        guard let end = output.range(of: "\n        ),", range: start.upperBound..<output.endIndex) else { return nil }
        return String(output[start.lowerBound..<end.upperBound])
    }

    /// Builds `product` of `package` in the example's scratch folder, where AsyncDash's
    /// dependencies are already built (builds there take turns: ``ExampleAppTests/ExampleScratch``).
    static func build(package: URL, product: String) async throws -> URL {
        try await ExampleAppTests.ExampleScratch.shared.exclusively {
            try FileManager.default.setAttributes([.modificationDate: Date()], ofItemAtPath: package.appendingPathComponent("Package.swift").path)
            let (status, output) = try await SwiftToolRun.run(
                ["build", "--package-path", package.path, "--scratch-path", ExampleAppTests.scratch.path, "--product", product],
                log: package.appendingPathComponent("build.log"), timeout: .seconds(1800))
            guard status == 0 else { throw ExampleAppTests.BuildFailed(output: String(output.suffix(6000))) }
            return ExampleAppTests.scratch.appendingPathComponent("debug/\(product)")
        }
    }
}
