import AsyncDash
import AsyncDashWeb
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Sample
import Testing

/// An audit log whose every append fails.
private struct FailingAuditLog: AuditLog {
    struct Full: Error, CustomStringConvertible { var description: String { "disk full" } }
    func append(_ entry: AuditEntry) async throws { throw Full() }
    func entries(forTask taskName: String, limit: Int) async throws -> [AuditEntry] { [] }
    func prune(_ limit: RetentionLimit) async throws -> Int { 0 }
    func exportEntries(after position: Int64, limit: Int) async throws -> TransferPage<AuditEntry> { TransferPage(items: [], next: nil) }
    func importEntries(_ entries: [AuditEntry]) async throws -> Int { throw Full() }
}

/// README: "An action whose audit entry cannot be written answers 500 and says so." (Every store
/// driver provides an audit log: it is one of the roles of a ``StoreSet``.)
@Suite("Actions need their audit log")
struct AuditRequirementTests {
    static let admin = String(repeating: "a", count: 20)

    func runCleanup(audit: any AuditLog) async throws -> (HTTPResponse.Status, String) {
        var registry = Registry.standard
        registry.registerSample()
        var stores = StoreSet.memory()
        stores.audit = audit
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

    @Test("an action is recorded in the store's audit log role")
    func recordedInTheAuditRole() async throws {
        let audit = MemoryCoordinationStore()
        let (status, _) = try await runCleanup(audit: audit)
        #expect(status.code < 400, "\(status)")
        let entries = try await audit.entries(forTask: "*", limit: 10)
        #expect(entries.contains { $0.action == "run-cleanup" && $0.actor != "" }, "\(entries)")
    }

    @Test("an audit entry that cannot be written makes the action answer 500, naming the error")
    func failingAuditLog() async throws {
        let (status, body) = try await runCleanup(audit: FailingAuditLog())
        #expect(status == .internalServerError)
        #expect(body.contains("could not be recorded in the audit log") && body.contains("disk full"), "\(body)")
    }
}
