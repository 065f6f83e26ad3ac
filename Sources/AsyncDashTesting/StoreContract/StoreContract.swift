import AsyncDash
import Foundation
import Synchronization

/// The store-role contracts as a kit: one call runs every check of every role — records (with
/// listing and the outbox write), coordination, queue, audit log, outbox, change feed and the
/// optional integrity check — against a
/// driver, so a store in another package proves itself with the same checks as `memory` and
/// `sqlite` here.
///
/// The kit does not depend on a test framework: ``run()`` returns a ``StoreContractReport``
/// whose failures name the check, the role and what was expected.
///
/// ```swift
/// import AsyncDashTesting
/// import Testing
///
/// @Test func myStoreKeepsTheContracts() async throws {
///     let contract = StoreContract(driver: "mydb") { clock in try StoreSet.mydb(url: freshURL(), clock: clock) }
///     let report = await contract.run()
///     #expect(report.failures.isEmpty, "\(report)")
/// }
/// ```
///
/// `makeStores` is called once per check, with a ``ManualClock`` the check moves to test TTLs,
/// leases and backoffs: return fresh, empty stores on that clock each time.
public struct StoreContract: Sendable {
    /// A name for reports.
    public var driver: String
    public var makeStores: @Sendable (ManualClock) async throws -> StoreSet

    public init(driver: String, makeStores: @escaping @Sendable (ManualClock) async throws -> StoreSet) {
        self.driver = driver
        self.makeStores = makeStores
    }

    /// Runs every check (or those whose name is in `only`), one after another.
    public func run(only: Set<String>? = nil) async -> StoreContractReport {
        var results: [StoreContractReport.Result] = []
        for check in Self.checks where only?.contains(check.name) ?? true {
            results.append(await run(check))
        }
        return StoreContractReport(driver: driver, results: results)
    }

    /// Runs the check named `name`.
    public func run(check name: String) async -> StoreContractReport {
        await run(only: [name])
    }

    private func run(_ check: Check) async -> StoreContractReport.Result {
        let clock = ManualClock()
        let expect = Expectations()
        do {
            let stores = try await makeStores(clock)
            try await check.body(stores, clock, expect)
        } catch {
            expect.fail("threw \(error)")
        }
        return StoreContractReport.Result(check: check.name, role: check.role, failures: expect.failures)
    }

    /// The name of every check, by role.
    public static var checkNames: [String] { checks.map(\.name) }

    struct Check: Sendable {
        var role: String
        var name: String
        var body: @Sendable (StoreSet, ManualClock, Expectations) async throws -> Void
    }

    static var checks: [Check] {
        recordChecks + coordinationChecks + queueChecks + auditChecks + outboxChecks + changeChecks + integrityChecks + retentionChecks
            + transferChecks
    }
}

/// What ``StoreContract/run(only:)`` found: each check with its failures.
public struct StoreContractReport: Sendable, CustomStringConvertible {
    public struct Result: Sendable {
        public var check: String
        public var role: String
        /// What did not hold; empty when the check passed.
        public var failures: [String]
    }

    public var driver: String
    public var results: [Result]

    /// The checks that failed.
    public var failures: [Result] { results.filter { !$0.failures.isEmpty } }

    public var description: String {
        let failed = failures
        var lines = ["store contract of '\(driver)': \(results.count - failed.count) of \(results.count) checks passed"]
        for result in failed {
            lines.append("✘ \(result.role): \(result.check)")
            lines += result.failures.map { "    \($0)" }
        }
        return lines.joined(separator: "\n")
    }
}

/// Collects a check's failures.
final class Expectations: Sendable {
    private let recorded = Mutex<[String]>([])

    var failures: [String] { recorded.withLock { $0 } }

    func fail(_ message: String) {
        recorded.withLock { $0.append(message) }
    }

    /// Records a failure unless `condition` holds.
    func that(_ condition: Bool, _ message: @autoclosure () -> String) {
        if !condition { fail(message()) }
    }

    /// Records a failure unless `actual == expected`.
    func equal<T: Equatable>(_ actual: T, _ expected: T, _ what: String) {
        if actual != expected { fail("\(what): expected \(expected), got \(actual)") }
    }
}
