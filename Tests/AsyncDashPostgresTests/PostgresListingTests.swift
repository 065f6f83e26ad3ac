import AsyncDash
import AsyncDashPostgres
import AsyncDashTesting
import Synchronization
import Testing

/// The public listing contract (``RecordListingContract``: 126 queries walked both ways, search,
/// counts, errors) on a real server: with the listing's indexes and kept counts, and without.
@Suite("PostgreSQL listing contract", needsPostgres)
struct PostgresListingTests {
    @Test(arguments: [true, false])
    func listsLikeTheReference(indexed: Bool) async throws {
        let schemas = Mutex<[String]>([])
        let contract = RecordListingContract(driver: indexed ? "postgres (indexed)" : "postgres (plain)") {
            let schema = TestPostgres.freshSchema("listing")
            schemas.withLock { $0.append(schema) }
            let store = try PostgresStore(url: TestPostgres.url(schema: schema))
            try await store.prepare(RecordListingContract.model)
            if indexed { try await store.prepareListing(RecordListingContract.model, RecordListingContract.listing) }
            return store
        }
        let report = await contract.run()
        await TestPostgres.drop(schemas.withLock { $0 })
        #expect(report.failures.isEmpty, "\(report)")
        #expect(report.results.count == 4)
    }
}
