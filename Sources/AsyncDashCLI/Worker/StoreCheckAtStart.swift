import AsyncDash
import Logging

/// `serve` and `worker` read their whole store once at start (SQLite's `quick_check`: pages and
/// structure, 0.4 s for 186 MB here), in the background, and report
/// damage at once (log at `error`, and a `store damaged:` line) — not by failing later on the
/// first request or task that reads a damaged page. They keep running: what is not damaged can
/// still be served, and `asyncdash doctor` says the same with an exit status.
enum StoreCheckAtStart {
    static func start(stores: StoreSet, url: String, logger: Logger) -> Task<Void, Never> {
        Task {
            guard let integrity = stores.integrity else { return }
            do {
                let problems = try await integrity.integrityProblems(limit: 20, thorough: false)
                guard !Task.isCancelled else { return }
                if problems.isEmpty {
                    logger.info("store integrity checked: no damage", metadata: ["store": "\(url)"])
                } else {
                    let summary = problems.map { $0.cutForMessage(200) }.joined(separator: "; ")
                    logger.error("store damaged", metadata: ["store": "\(url)", "problems": "\(summary)"])
                    LiveOutput.line("store damaged: \(url): \(summary); run 'asyncdash doctor', restore from a backup")
                }
            } catch is CancellationError {
            } catch {
                logger.error("store cannot be read", metadata: ["store": "\(url)", "error": "\(error)"])
                LiveOutput.line("store damaged: \(url) cannot be read: \(error); run 'asyncdash doctor', restore from a backup")
            }
        }
    }
}
