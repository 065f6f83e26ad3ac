import Foundation

/// Writes to stdout (machine-readable results) and stderr (errors and notes): what an
/// application's own commands use to write like the built-in ones.
public enum Output {
    /// Writes `text` and a newline to stdout.
    public static func line(_ text: String = "") {
        print(text)
    }

    /// Writes `text` and a newline to stderr, unbuffered.
    public static func error(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }

    /// `asyncdash: warning: …` on stderr.
    public static func warning(_ text: String) {
        error("asyncdash: warning: \(text)")
    }

    /// Rows as an aligned table: columns padded to the widest cell, two spaces apart.
    public static func table(header: [String], rows: [[String]]) -> [String] {
        let all = [header] + rows
        var widths = [Int](repeating: 0, count: header.count)
        for row in all {
            for (index, cell) in row.enumerated() where index < widths.count {
                widths[index] = max(widths[index], cell.count)
            }
        }
        return all.map { row in
            row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }.joined(separator: "  ").trimmingTrailingSpaces()
        }
    }
}

extension String {
    func trimmingTrailingSpaces() -> String {
        var text = self
        while text.last == " " { text.removeLast() }
        return text
    }
}
