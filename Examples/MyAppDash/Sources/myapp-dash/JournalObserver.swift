import AsyncDash
import Foundation

/// The app's observers.
enum Observers: RegistrationCatalog {
    /// `myapp.observers.journal` — appends one JSON line per event to the file at option `path`
    /// (created if missing, with its directory).
    static let journal = ObserverPlugin(name: "myapp.observers.journal") { options in
        try options.allowOnly(["path"])
        return JournalObserver(path: try options.string("path"))
    }
}

/// Appends each event as one line of compact JSON (`LifecycleEvent.json`: `event`, `task_name`,
/// `status`, `message`, `progress`, `result`, `timestamp`…) to a file.
struct JournalObserver: LifecycleObserver {
    let journal: Journal

    init(path: String) {
        journal = Journal(path: path)
    }

    func observe(_ event: LifecycleEvent) async throws {
        try await journal.append(event.json.jsonText + "\n")
    }
}

/// Serialises the appends of this process; `O_APPEND` keeps each line whole when several
/// processes (`serve`, `worker`) write to the same file.
actor Journal {
    let path: String

    init(path: String) {
        self.path = path
    }

    func append(_ line: String) throws {
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent()
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let descriptor = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw JournalError(path: path, code: errno) }
        let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        try handle.write(contentsOf: Data(line.utf8))
    }
}

/// The journal file cannot be opened.
struct JournalError: Error, CustomStringConvertible {
    var path: String
    var code: Int32
    var description: String { "cannot open journal \(path): \(String(cString: strerror(code)))" }
}
