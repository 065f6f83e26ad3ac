import AsyncDash
import AsyncDashSQLite
import AsyncDashTesting
import Foundation
import Logging
import Sample

/// The store backends every manager-level suite runs against.
enum Backend: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case memory
    case sqlite

    var testDescription: String { rawValue }

    /// Fresh stores (SQLite: a new file in a new temp directory) on `clock`.
    func makeStores(clock: any AsyncDashClock = SystemClock()) async throws -> StoreSet {
        switch self {
        case .memory:
            return .memory(clock: clock)
        case .sqlite:
            let directory = TestFiles.runDirectory.appendingPathComponent(UUID().uuidString)
            return try await .sqlite(path: directory.appendingPathComponent("test.sqlite").path, clock: clock)
        }
    }
}

/// The registry the tests use: built-ins, SQLite, the sample app, the testing observers.
func testRegistry() -> Registry {
    var registry = Registry.standard
    registry.registerSQLite()
    registry.registerSample()
    registry.registerTestingObservers()
    return registry
}

/// A `SampleAsyncManager` on fresh stores of `backend`, its schema prepared.
func makeSampleManager(
    _ backend: Backend,
    clock: any AsyncDashClock = SystemClock(),
    observers: [ObserverRegistration] = [],
    fieldMap: [String: String] = [:],
    createDefaults: [String: JSONValue] = [:]
) async throws -> SampleAsyncManager {
    let stores = try await backend.makeStores(clock: clock)
    let context = ManagerContext(
        name: SampleAsyncManager.registeredName, stores: stores, observers: ObserverChain(observers),
        fieldMap: fieldMap, createDefaults: createDefaults, registry: testRegistry(), clock: clock
    )
    let manager = try SampleAsyncManager(context: context)
    try await stores.records.prepare(manager.recordModel)
    return manager
}

extension ModelTrackingAsyncManager {
    /// The task's record, which the test requires to exist.
    func requireRecord(_ task: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) async throws -> Record {
        try #require(try await record(for: task), sourceLocation: sourceLocation)
    }
}

import Testing

/// Temporary files of this test run: one directory per process, under which every SQLite test
/// file lives. Directories of earlier runs whose process is gone are removed on first use.
enum TestFiles {
    static let runDirectory: URL = {
        let temporary = FileManager.default.temporaryDirectory
        let prefix = "asyncdash-test-run-"
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: temporary.path)) ?? []
        for entry in entries where entry.hasPrefix(prefix) {
            if let pid = Int32(entry.dropFirst(prefix.count)), kill(pid, 0) != 0 {
                try? FileManager.default.removeItem(at: temporary.appendingPathComponent(entry))
            }
        }
        let directory = temporary.appendingPathComponent(prefix + String(getpid()))
        try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }()
}
