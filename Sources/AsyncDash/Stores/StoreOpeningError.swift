/// An error a store driver throws when it cannot open its store: either the URL or the
/// credentials cannot work as given (``isConfigurationProblem``: fix the config; a command exits
/// 2), or the server could not be reached (it may come back; a command exits 1).
///
/// Drivers whose store lives on a server (PostgreSQL) throw one from the first operation of a
/// process when it cannot connect, in one sentence that names the server and what to check.
///
/// ```swift
/// do {
///     _ = try await stores.coordination.activeTasks()
/// } catch let error as any StoreOpeningError {
///     print(error.isConfigurationProblem ? "fix the config: \(error)" : "server away: \(error)")
/// }
/// ```
public protocol StoreOpeningError: Error, CustomStringConvertible {
    /// `true` for a URL, option or credentials that cannot work; `false` for an unreachable server.
    var isConfigurationProblem: Bool { get }
}
