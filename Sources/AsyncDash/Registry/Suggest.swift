/// "Did you mean" suggestions by edit distance.
public enum Suggest {
    /// Up to `limit` of `candidates` closest to `name`, closest first; only reasonably close ones.
    public static func closest(to name: String, in candidates: some Sequence<String>, limit: Int = 3) -> [String] {
        let lowered = name.lowercased()
        var seen: Set<String> = []
        let scored = candidates.filter { seen.insert($0).inserted }.map { candidate -> (String, Int) in
            let c = candidate.lowercased()
            var d = distance(lowered, c)
            // A shared last component (e.g. the class name) is a strong hint.
            if let last = lowered.split(separator: ".").last, c.hasSuffix("." + last) || c == String(last) { d = min(d, 2) }
            return (candidate, d)
        }
        let threshold = max(3, name.count / 3)
        return scored.filter { $0.1 <= threshold }.sorted { ($0.1, $0.0) < ($1.1, $1.0) }.prefix(limit).map(\.0)
    }

    /// `" (did you mean 'x'?)"` or `""`.
    public static func didYouMean(_ name: String, in candidates: some Sequence<String>) -> String {
        let best = closest(to: name, in: candidates)
        guard !best.isEmpty else { return "" }
        return " (did you mean " + best.map { "'\($0)'" }.joined(separator: " or ") + "?)"
    }

    /// Levenshtein distance.
    public static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a.unicodeScalars), b = Array(b.unicodeScalars)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
