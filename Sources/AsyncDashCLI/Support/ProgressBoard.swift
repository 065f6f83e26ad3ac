import AsyncDash
import Foundation

/// Draws one progress bar per task, polling the progress entries as a dashboard would.
/// On a terminal it redraws in place; otherwise it prints a snapshot every second.
actor ProgressBoard {
    private let names: [String]
    private var last: [String: String] = [:]
    private var running = true
    private var drawnLines = 0
    private let interactive = isatty(STDOUT_FILENO) != 0

    init(names: [String]) {
        self.names = names
    }

    func stop() {
        running = false
    }

    /// Redraws until ``stop()``.
    func follow(_ manager: ModelTrackingAsyncManager) async {
        var ticks = 0
        while running {
            if interactive || ticks % 5 == 0 { await draw(manager, final: false) }
            ticks += 1
            try? await Task.sleep(for: .milliseconds(200))
        }
    }

    func draw(_ manager: ModelTrackingAsyncManager, final: Bool) async {
        var lines: [String] = []
        let width = names.map(\.count).max() ?? 10
        for name in names {
            let progress = try? await manager.getProgress(name)
            let status = (try? await manager.record(for: name)).flatMap { $0 }.flatMap { record in
                manager.resolvedFieldMap["status"].flatMap { record[$0.name].text }
            } ?? "not started"
            var fraction: Double?
            var label = ""
            switch progress {
            case .structured(let p)?:
                fraction = p.fraction
                label = "\(p.done)/\(p.total.map(String.init) ?? "?") \(p.unit ?? "")"
            case .text(let text)?:
                label = text
            case nil:
                fraction = status == "success" ? 1 : nil
                label = ["success", "failed", "cancelled"].contains(status) ? "" : (last[name] ?? "")
            }
            last[name] = label
            let shown = Output.terminalSafe(name), text = Output.terminalSafe(label).replacingOccurrences(of: "\n", with: " ")
            lines.append("\(shown.padding(toLength: width, withPad: " ", startingAt: 0))  \(Self.bar(fraction))  \(status.padding(toLength: 11, withPad: " ", startingAt: 0)) \(text)")
        }
        if interactive && drawnLines > 0 { print("\u{1B}[\(drawnLines)A", terminator: "") }
        for line in lines { print(interactive ? "\u{1B}[2K" + line : line) }
        if !interactive && !final { print("") }
        drawnLines = lines.count
        fflush(nil)
    }

    private static func bar(_ fraction: Double?) -> String {
        let cells = 24
        guard let fraction else { return "[" + String(repeating: "·", count: cells) + "]" }
        let filled = Int((fraction * Double(cells)).rounded())
        return "[" + String(repeating: "#", count: filled) + String(repeating: "-", count: cells - filled) + "] " + String(format: "%3d%%", Int(fraction * 100))
    }
}
