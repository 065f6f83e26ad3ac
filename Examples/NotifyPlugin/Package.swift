// swift-tools-version: 6.0
// An AsyncDash run-time plugin written in Swift: a shared library (a `.dynamic` product) with the
// C entry point `asyncdash_plugin_register_v1`. It depends on nothing but a copy of
// `asyncdash_plugin.h`, so it builds in seconds and shares no Swift types with the host.
//
//   swift build -c release --package-path Examples/NotifyPlugin
//   # → Examples/NotifyPlugin/.build/release/libNotifyPlugin.so, named in config.yaml:
//   # PLUGINS: [Examples/NotifyPlugin/.build/release/libNotifyPlugin.so]
import PackageDescription

let package = Package(
    name: "NotifyPlugin",
    products: [
        .library(name: "NotifyPlugin", type: .dynamic, targets: ["NotifyPlugin"])
    ],
    targets: [
        .target(name: "CAsyncDashPluginABI"),
        .target(name: "NotifyPlugin", dependencies: ["CAsyncDashPluginABI"], swiftSettings: [.swiftLanguageMode(.v6)]),
    ]
)
