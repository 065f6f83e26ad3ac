/// "Did you mean" suggestions by edit distance.
public enum Suggest {
    /// Names longer than this (in Unicode scalars) get no suggestion: no registered name or config
    /// key is that long, and the edit distance costs the product of the two lengths, so a hostile
    /// megabyte-long name must not cost seconds of CPU.
    public static let maximumNameLength = 256

    /// Up to `limit` of `candidates` closest to `name`, closest first; only reasonably close ones.
    public static func closest(to name: String, in candidates: some Sequence<String>, limit: Int = 3) -> [String] {
        let lowered = name.lowercased()
        let length = lowered.unicodeScalars.count
        guard length <= maximumNameLength else { return [] }
        let threshold = max(3, length / 3)
        let last = lowered.split(separator: ".").last.map(String.init)
        var seen: Set<String> = []
        let scored = candidates.filter { seen.insert($0).inserted }.compactMap { candidate -> (String, Int)? in
            let c = candidate.lowercased()
            // A shared last component (e.g. the class name) is a strong hint.
            if let last, c.hasSuffix("." + last) || c == last { return (candidate, min(2, distanceIfShort(lowered, c))) }
            // The distance is at least the difference in length: skip what cannot be close.
            guard abs(c.unicodeScalars.count - length) <= threshold else { return nil }
            return (candidate, distance(lowered, c))
        }
        return scored.filter { $0.1 <= threshold }.sorted { ($0.1, $0.0) < ($1.1, $1.0) }.prefix(limit).map(\.0)
    }

    /// ``distance(_:_:)``, or `Int.max` when `b` is too long to compare.
    private static func distanceIfShort(_ a: String, _ b: String) -> Int {
        b.unicodeScalars.count <= maximumNameLength ? distance(a, b) : Int.max
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
