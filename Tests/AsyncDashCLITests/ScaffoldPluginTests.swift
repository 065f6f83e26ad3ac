import AsyncDash
import Foundation
import Testing

/// `swift package asyncdash-init` (Plugins/AsyncDashInit) run for real in a fresh package that
/// depends on this one: it writes the executable's sources and a config, prints the target to
/// add, and refuses to overwrite without --force. (The scaffolded sources are the same shape as
/// Examples/MyAppDash, which ExampleAppTests builds and runs.)
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
        }
    }
}
