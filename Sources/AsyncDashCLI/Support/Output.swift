import Foundation

/// Writes to stdout (machine-readable results) and stderr (errors and notes): what an
/// application's own commands use to write like the built-in ones.
///
/// Everything written goes through ``terminalSafe(_:)``: a task name, message or user that holds
/// control characters (a screen clear, a title change, a bell) is printed as `\x1B`-style text,
/// never sent to the terminal. JSON output is unchanged by it (the JSON writer escapes control
/// characters itself).
public enum Output {
    /// Writes `text` and a newline to stdout.
    public static func line(_ text: String = "") {
        print(terminalSafe(text))
    }

    /// Writes `text` and a newline to stderr, unbuffered.
    public static func error(_ text: String) {
        FileHandle.standardError.write(Data((terminalSafe(text) + "\n").utf8))
    }

    /// `text` with every control character other than newline and tab — C0, DEL, C1 — written
    /// as `\xHH`.
    public static func terminalSafe(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isControl) else { return text }
        var out = ""
        out.reserveCapacity(text.utf8.count + 8)
        for scalar in text.unicodeScalars {
            if isControl(scalar) {
                out += "\\x" + (scalar.value < 0x10 ? "0" : "") + String(scalar.value, radix: 16, uppercase: true)
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    private static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        (scalar.value < 0x20 && scalar != "\n" && scalar != "\t") || (0x7F...0x9F).contains(scalar.value)
    }

    /// `asyncdash: warning: …` on stderr.
    public static func warning(_ text: String) {
        error("asyncdash: warning: \(text)")
    }

    /// Rows as an aligned table: columns padded to the widest cell, two spaces apart.
    public static func table(header: [String], rows: [[String]]) -> [String] {
        // One row per line: a cell's line breaks and tabs are shown as \n and \t.
        let all = ([header] + rows).map { row in
            row.map { terminalSafe($0).replacingOccurrences(of: "\n", with: "\\n").replacingOccurrences(of: "\t", with: "\\t") }
        }
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
