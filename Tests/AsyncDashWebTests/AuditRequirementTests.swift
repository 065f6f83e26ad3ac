import AsyncDash
import AsyncDashWeb
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Sample
import Testing

/// A coordination store that forwards to a memory one; with `audit` set it is also an audit log.
private struct ForwardingCoordination: CoordinationStore {
    let base = MemoryCoordinationStore()
    func reserveLocks(_ keys: [String], owner: String, ttl: Duration) async throws -> LockReservation { try await base.reserveLocks(keys, owner: owner, ttl: ttl) }
    func lockOwners(_ keys: [String]) async throws -> [String: String] { try await base.lockOwners(keys) }
    func releaseLocks(owner: String) async throws -> [String] { try await base.releaseLocks(owner: owner) }
    func locks() async throws -> [LockInfo] { try await base.locks() }
    func setProgress(_ progress: ProgressPayload, for task: String, ttl: Duration) async throws { try await base.setProgress(progress, for: task, ttl: ttl) }
    func progress(for task: String) async throws -> ProgressPayload? { try await base.progress(for: task) }
    func deleteProgress(for task: String) async throws -> Bool { try await base.deleteProgress(for: task) }
    func addActiveTask(_ task: String) async throws { try await base.addActiveTask(task) }
    func removeActiveTask(_ task: String) async throws -> Bool { try await base.removeActiveTask(task) }
    func activeTasks() async throws -> [String] { try await base.activeTasks() }
    func isActiveTask(_ task: String) async throws -> Bool { try await base.isActiveTask(task) }
    func deadLetter(_ letter: DeadLetter) async throws { try await base.deadLetter(letter) }
    func deadLetters() async throws -> [DeadLetter] { try await base.deadLetters() }
}

/// The same, with an audit log whose every append fails.
private struct FailingAuditCoordination: CoordinationStore, AuditLog {
    let forward = ForwardingCoordination()
    struct Full: Error, CustomStringConvertible { var description: String { "disk full" } }
    func append(_ entry: AuditEntry) async throws { throw Full() }
    func entries(forTask taskName: String, limit: Int) async throws -> [AuditEntry] { [] }
    func reserveLocks(_ keys: [String], owner: String, ttl: Duration) async throws -> LockReservation { try await forward.reserveLocks(keys, owner: owner, ttl: ttl) }
    func lockOwners(_ keys: [String]) async throws -> [String: String] { try await forward.lockOwners(keys) }
    func releaseLocks(owner: String) async throws -> [String] { try await forward.releaseLocks(owner: owner) }
    func locks() async throws -> [LockInfo] { try await forward.locks() }
    func setProgress(_ progress: ProgressPayload, for task: String, ttl: Duration) async throws { try await forward.setProgress(progress, for: task, ttl: ttl) }
    func progress(for task: String) async throws -> ProgressPayload? { try await forward.progress(for: task) }
    func deleteProgress(for task: String) async throws -> Bool { try await forward.deleteProgress(for: task) }
    func addActiveTask(_ task: String) async throws { try await forward.addActiveTask(task) }
    func removeActiveTask(_ task: String) async throws -> Bool { try await forward.removeActiveTask(task) }
    func activeTasks() async throws -> [String] { try await forward.activeTasks() }
    func isActiveTask(_ task: String) async throws -> Bool { try await forward.isActiveTask(task) }
    func deadLetter(_ letter: DeadLetter) async throws { try await forward.deadLetter(letter) }
    func deadLetters() async throws -> [DeadLetter] { try await forward.deadLetters() }
}

/// README: "A store with no audit log refuses actions (501); an action whose audit entry cannot
/// be written answers 500 and says so."
@Suite("Actions need their audit log")
struct AuditRequirementTests {
    static let admin = String(repeating: "a", count: 20)

    func runCleanup(coordination: any CoordinationStore) async throws -> (HTTPResponse.Status, String) {
        var registry = Registry.standard
        registry.registerSample()
        let stores = StoreSet(records: MemoryRecordStore(), coordination: coordination)
        let manager = try SampleAsyncManager(context: ManagerContext(name: SampleAsyncManager.registeredName, stores: stores, registry: registry))
        try await stores.records.prepare(manager.recordModel)
        var settings = DashboardSettings()
        settings.adminToken = Self.admin
        let dashboard = try await Dashboard(manager: manager, queue: InProcessTaskQueue(runner: manager), settings: settings)
        return try await Application(router: dashboard.router()).test(.router) { client in
            try await client.execute(uri: "/async-dashboard/-/cleanup", method: .post, headers: [.authorization: "Bearer " + Self.admin]) { response in
                (response.status, String(buffer: response.body))
            }
        }
    }

    @Test("without an audit log, actions are refused before anything runs (501)")
    func noAuditLog() async throws {
        let (status, body) = try await runCleanup(coordination: ForwardingCoordination())
        #expect(status == .notImplemented)
        #expect(body.contains("the store keeps no audit log"), "\(body)")
    }

    @Test("an audit entry that cannot be written makes the action answer 500, naming the error")
    func failingAuditLog() async throws {
        let (status, body) = try await runCleanup(coordination: FailingAuditCoordination())
        #expect(status == .internalServerError)
        #expect(body.contains("could not be recorded in the audit log") && body.contains("disk full"), "\(body)")
    }
}
