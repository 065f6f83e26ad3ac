// swift-tools-version:6.1
import PackageDescription

// An application with its own `myapp-dash` executable: the whole asyncdash command line, plus
// this app's manager, record model, task function and observer, registered by the
// AsyncDashRegistrations build-tool plugin.
//
// The dependency is written with `name:` on purpose: a path dependency's identity is the last
// component of its path (here the clone's folder name, whatever it is), and `name: "AsyncDash"`
// lets the targets below say `package: "AsyncDash"` however the repository folder is called.
// Outside this repository, depend on it by URL instead:
//     .package(url: "https://github.com/<owner>/AsyncDash.git", from: "<version>")
let package = Package(
    name: "MyAppDash",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "AsyncDash", path: "../.."),
    ],
    targets: [
        .executableTarget(
            name: "myapp-dash",
            dependencies: [.product(name: "AsyncDashCLI", package: "AsyncDash")],
            plugins: [.plugin(name: "AsyncDashRegistrations", package: "AsyncDash")]
        ),
    ]
)
