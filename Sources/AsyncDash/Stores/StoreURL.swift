import Foundation

/// Helpers for store URLs in messages.
public enum StoreURL {
    /// `url` with any password hidden: `scheme://user:secret@host/…` becomes
    /// `scheme://user:***@host/…`, and a `password=` query value becomes `***`. Config errors,
    /// logs and `check-config` print URLs through it, so a secret written where it should not be
    /// is never echoed.
    ///
    /// ```swift
    /// StoreURL.redacted("postgres://app:hunter2@db/app")   // "postgres://app:***@db/app"
    /// ```
    public static func redacted(_ url: String) -> String {
        guard let schemeEnd = url.range(of: "://") else { return url }
        let rest = url[schemeEnd.upperBound...]
        let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        var result = String(url[..<schemeEnd.upperBound])
        if let at = authority.lastIndex(of: "@"), let colon = authority[..<at].firstIndex(of: ":") {
            result += authority[..<colon] + ":***" + authority[at...]
        } else {
            result += authority
        }
        var tail = String(rest[authorityEnd...])
        while let range = tail.range(of: #"([?&])password=[^&#*][^&#]*"#, options: .regularExpression) {
            let separator = tail[range].first.map(String.init) ?? "?"
            tail.replaceSubrange(range, with: separator + "password=***")
        }
        return result + tail
    }
}
