/// A store that can read all of itself and say what is damaged: the optional integrity role of
/// a ``StoreSet`` (``StoreSet/integrity``).
///
/// `asyncdash doctor` runs the thorough check and fails when it finds damage; `asyncdash serve`
/// and `worker` run the quick one once at start, in the background, and report damage in their
/// log and output instead of failing later on the first request that reads a damaged page. A store with nothing to damage (memory) has
/// no integrity role.
///
/// ```swift
/// if let integrity = stores.integrity {
///     let problems = try await integrity.integrityProblems(limit: 20, thorough: true)
///     print(problems.isEmpty ? "sound" : problems.joined(separator: "\n"))
/// }
/// ```
public protocol StoreIntegrityCheck: Sendable {
    /// Reads the whole store and returns at most `limit` descriptions of damage; empty when the
    /// store is sound. May take a while on a large store (it reads every page).
    ///
    /// - Parameters:
    ///   - limit: The most problems to return.
    ///   - thorough: Also check every index against its table (SQLite: `integrity_check`,
    ///     4.7 s on a 186 MB file here), not only pages and structure (`quick_check`, 0.4 s).
    /// - Throws: When the store cannot be read at all (the error says why).
    func integrityProblems(limit: Int, thorough: Bool) async throws -> [String]
}
