import AsyncDash
import AsyncDashSQLite
import AsyncDashTesting
import Foundation
import Testing

/// The listing contract of ``RecordStore`` (``RecordListingContract``): keyset pages, search,
/// counts. Every store must give the answer ``RecordOrdering`` (the reference) gives, page by
/// page, in both directions.
@Suite("Record store listing contract")
struct RecordListingContractTests {
    /// memory; SQLite with indexes and kept counts; SQLite without (plain scans).
    enum Variant: String, CaseIterable, CustomTestStringConvertible {
        case memory, sqliteIndexed, sqlitePlain
        var testDescription: String { rawValue }

        func makeStore(_ model: RecordModel) async throws -> any RecordStore {
            let store: any RecordStore = switch self {
            case .memory: MemoryRecordStore()
            case .sqliteIndexed, .sqlitePlain: try await Backend.sqlite.makeStores().records
            }
            try await store.prepare(model)
            if self != .sqlitePlain { try await store.prepareListing(model, RecordListingContract.listing) }
            return store
        }
    }

    /// Every check of the public listing contract (``RecordListingContract`` in AsyncDashTesting).
    @Test("every listing check gives the reference answer", arguments: Variant.allCases)
    func keepsTheListingContract(_ variant: Variant) async throws {
        let report = await RecordListingContract(driver: variant.rawValue) { try await variant.makeStore(RecordListingContract.model) }.run()
        #expect(report.failures.isEmpty, "\(report)")
        #expect(report.results.count == 4)
    }

    @Test("a cursor token reads back as the same cursor; garbage reads as nil")
    func cursorTokens() {
        let cursors = [
            RecordCursor(value: .timestamp(Date(timeIntervalSince1970: 1_732_000_000.123456)), key: "a/b+c?"),
            RecordCursor(value: .null, key: "x"),
        ]
        for cursor in cursors {
            #expect(RecordCursor(token: cursor.token, type: .timestamp) == cursor)
        }
        #expect(RecordCursor(value: .text("é\"<"), key: "k").token.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" })
        #expect(RecordCursor(token: RecordCursor(value: .text("v"), key: "k").token, type: .text) == RecordCursor(value: .text("v"), key: "k"))
        #expect(RecordCursor(token: "!!!", type: .text) == nil)
        #expect(RecordCursor(token: "WzFd", type: .text) == nil)  // [1]
    }
}
