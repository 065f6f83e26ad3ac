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
    func makeStores(clock: any AsyncDashClock = SystemClock()) throws -> StoreSet {
        switch self {
        case .memory:
            return .memory(clock: clock)
        case .sqlite:
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("asyncdash-tests-\(UUID().uuidString)")
            return try .sqlite(path: directory.appendingPathComponent("test.sqlite").path, clock: clock)
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
    let stores = try backend.makeStores(clock: clock)
    let context = ManagerContext(
        name: SampleAsyncManager.registeredName, stores: stores, observers: ObserverChain(observers),
        fieldMap: fieldMap, createDefaults: createDefaults, registry: testRegistry()
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
