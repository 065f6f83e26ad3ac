import AsyncDash
import AsyncDashPostgres
import AsyncDashTesting
import Foundation
import Synchronization
import Testing

/// The public contract kit, unchanged, against a real PostgreSQL server: every check on a fresh
/// schema of its own.
@Suite("PostgreSQL store contract", needsPostgres)
struct PostgresContractTests {
    @Test(arguments: StoreContract.checkNames)
    func keepsTheContract(_ check: String) async throws {
        let schemas = Mutex<[String]>([])
        let contract = StoreContract(driver: "postgres") { clock in
            let schema = TestPostgres.freshSchema("contract")
            schemas.withLock { $0.append(schema) }
            return try StoreSet.postgres(url: TestPostgres.url(schema: schema), clock: clock)
        }
        let report = await contract.run(check: check)
        await TestPostgres.drop(schemas.withLock { $0 })
        #expect(report.failures.isEmpty, "\(report)")
    }
}
