// swift-tools-version:6.1
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "AsyncDash",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "AsyncDash", targets: ["AsyncDash"]),
        // The header plugins are built against (a plugin package depends on this product only).
        .library(name: "CAsyncDashPlugin", targets: ["CAsyncDashPlugin"]),
        .library(name: "AsyncDashSQLite", targets: ["AsyncDashSQLite"]),
        .library(name: "AsyncDashPostgres", targets: ["AsyncDashPostgres"]),
        .library(name: "AsyncDashWebhooks", targets: ["AsyncDashWebhooks"]),
        .library(name: "AsyncDashMetrics", targets: ["AsyncDashMetrics"]),
        .library(name: "AsyncDashTesting", targets: ["AsyncDashTesting"]),
        .library(name: "Sample", targets: ["Sample"]),
        .library(name: "AsyncDashWeb", targets: ["AsyncDashWeb"]),
        .library(name: "AsyncDashCLI", targets: ["AsyncDashCLI"]),
        .plugin(name: "AsyncDashRegistrations", targets: ["AsyncDashRegistrations"]),
        .plugin(name: "AsyncDashInit", targets: ["AsyncDashInit"]),
        .executable(name: "asyncdash", targets: ["asyncdash"]),
    ],
    dependencies: [
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
    ],
    targets: [
        // The core: events, managers, registry, config, observers, store contracts, memory stores.
        .target(
            name: "AsyncDash",
            dependencies: [
                "CAsyncDashPlugin",
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // The C ABI of run-time plugins (one header, include/asyncdash_plugin.h).
        .target(name: "CAsyncDashPlugin"),
        // The embedded default store (SQLite in WAL mode through GRDB).
        .target(
            name: "AsyncDashSQLite",
            dependencies: [
                "AsyncDash",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: swiftSettings
        ),
        // Every store role on a PostgreSQL server (PostgresNIO): many processes on many machines.
        .target(
            name: "AsyncDashPostgres",
            dependencies: [
                "AsyncDash",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // Notification plugins: signed webhooks (Standard Webhooks) delivered from the outbox.
        .target(
            name: "AsyncDashWebhooks",
            dependencies: [
                "AsyncDash",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        // Notification plugins: lifecycle metrics through swift-metrics (any backend).
        .target(
            name: "AsyncDashMetrics",
            dependencies: ["AsyncDash", .product(name: "CoreMetrics", package: "swift-metrics")],
            swiftSettings: swiftSettings
        ),
        // Helpers for users' own tests: recording observer, manual clock.
        .target(
            name: "AsyncDashTesting", dependencies: ["AsyncDash", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings),
        // The sample app: record model, managers, task functions (registered by the build-tool plugin).
        .target(name: "Sample", dependencies: ["AsyncDash"], swiftSettings: swiftSettings, plugins: ["AsyncDashRegistrations"]),
        // Scans a module's sources and writes its <Module>Registrations.swift (run by the AsyncDashRegistrations plugin).
        .executableTarget(name: "AsyncDashRegistrationGenerator", swiftSettings: swiftSettings),
        // Plugins/: generates a target's registrations; scaffolds an application's own command line.
        .plugin(name: "AsyncDashRegistrations", capability: .buildTool(), dependencies: ["AsyncDashRegistrationGenerator"]),
        .plugin(
            name: "AsyncDashInit",
            capability: .command(
                intent: .custom(verb: "asyncdash-init", description: "Scaffold an application's own asyncdash executable and a starter config.yaml"),
                permissions: [.writeToPackageDirectory(reason: "writes Sources/<name>/ and config.yaml")]
            )
        ),
        // The web dashboard: pages, live progress, JSON API, actions, metrics (Hummingbird 2 + Mustache).
        .target(
            name: "AsyncDashWeb",
            dependencies: [
                "AsyncDash",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
            ],
            resources: [.copy("Resources")],
            swiftSettings: swiftSettings
        ),
        // The command line, as a library so it can be tested.
        .target(
            name: "AsyncDashCLI",
            dependencies: [
                "AsyncDash", "AsyncDashSQLite", "AsyncDashPostgres", "AsyncDashWeb", "AsyncDashWebhooks", "AsyncDashMetrics", "Sample",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // The benchmarks (`asyncdash bench …`): linked by the `asyncdash` executable, not by applications.
        .target(
            name: "AsyncDashBench",
            dependencies: [
                "AsyncDash", "AsyncDashSQLite", "AsyncDashWeb", "AsyncDashCLI", "AsyncDashWebhooks",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(name: "asyncdash", dependencies: ["AsyncDashCLI", "AsyncDashBench", "Sample"], swiftSettings: swiftSettings),
        .testTarget(
            name: "AsyncDashTests",
            dependencies: ["AsyncDash", "AsyncDashTesting", "AsyncDashSQLite", "Sample"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "AsyncDashWebTests",
            dependencies: [
                "AsyncDashWeb", "AsyncDash", "AsyncDashSQLite", "AsyncDashTesting", "Sample",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "AsyncDashPostgresTests",
            dependencies: ["AsyncDashPostgres", "AsyncDash", "AsyncDashTesting", "Sample"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "AsyncDashWebhooksTests",
            dependencies: ["AsyncDashWebhooks", "AsyncDash", "AsyncDashSQLite", "Sample"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "AsyncDashMetricsTests",
            dependencies: [
                "AsyncDashMetrics", "AsyncDash", "AsyncDashTesting", "Sample",
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "AsyncDashRegistrationGeneratorTests", dependencies: ["AsyncDashRegistrationGenerator"], swiftSettings: swiftSettings),
        .testTarget(
            name: "AsyncDashCLITests",
            dependencies: [
                "AsyncDashCLI", "asyncdash", "AsyncDash", "AsyncDashSQLite", "AsyncDashPostgres", "AsyncDashTesting", "AsyncDashWebhooks", "Sample",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
