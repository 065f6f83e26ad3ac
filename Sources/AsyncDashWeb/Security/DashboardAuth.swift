import HTTPTypes
import Hummingbird

/// What a request may do.
public enum DashboardRole: Int, Sendable, Comparable {
    case none = 0
    case read = 1
    case admin = 2

    public static func < (a: DashboardRole, b: DashboardRole) -> Bool { a.rawValue < b.rawValue }
}

/// Who a request is, from its token (an `Authorization: Bearer` header or the login cookie).
///
/// With no token configured (allowed on loopback only, see ``DashboardSettings/checkExposure()``)
/// every request is the local admin.
struct DashboardAuth: Sendable {
    static let tokenCookie = "asyncdash_token"
    static let csrfCookie = "asyncdash_csrf"

    let readToken: String?
    let adminToken: String?

    init(settings: DashboardSettings) {
        readToken = settings.readToken
        adminToken = settings.adminToken
    }

    var open: Bool { readToken == nil && adminToken == nil }

    struct Identity: Sendable {
        var role: DashboardRole
        /// Who to write in the audit log.
        var actor: String
        /// Whether the token came in a header (no cookie: cross-site forgery is not possible).
        var viaHeader: Bool
    }

    func identify(_ request: Request) -> Identity {
        if open { return Identity(role: .admin, actor: "local", viaHeader: false) }
        if let header = request.headers[.authorization], header.hasPrefix("Bearer ") {
            return Identity(role: role(for: String(header.dropFirst(7))), actor: actor(for: String(header.dropFirst(7))), viaHeader: true)
        }
        if let cookie = request.cookies[Self.tokenCookie]?.value {
            return Identity(role: role(for: cookie), actor: actor(for: cookie), viaHeader: false)
        }
        return Identity(role: .none, actor: "anonymous", viaHeader: false)
    }

    func role(for token: String) -> DashboardRole {
        if let adminToken, Self.constantTimeEqual(token, adminToken) { return .admin }
        if let readToken, Self.constantTimeEqual(token, readToken) { return .read }
        return .none
    }

    private func actor(for token: String) -> String {
        switch role(for: token) {
        case .admin: "admin token"
        case .read: "read-only token"
        case .none: "anonymous"
        }
    }

    /// Compares without stopping at the first difference, so timing does not reveal a prefix.
    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8)
        let y = Array(b.utf8)
        var difference = UInt8(truncatingIfNeeded: x.count ^ y.count)
        for index in 0..<max(x.count, y.count) {
            difference |= (index < x.count ? x[index] : 0) ^ (index < y.count ? y[index] : 0)
        }
        return difference == 0 && x.count == y.count
    }

    /// 32 random hex characters (128 bits) from the system's generator.
    static func randomToken() -> String {
        var generator = SystemRandomNumberGenerator()
        func hex(_ value: UInt64) -> String {
            let digits = String(value, radix: 16)
            return String(repeating: "0", count: 16 - digits.count) + digits
        }
        return hex(generator.next()) + hex(generator.next())
    }

    /// Checks a state-changing request from a browser: the form's `csrf` field (or the
    /// `X-CSRF-Token` header) must equal the `asyncdash_csrf` cookie, and an `Origin` header, when
    /// sent, must name this host. Requests whose token came in a header need no check.
    func csrfPasses(_ request: Request, identity: Identity, formToken: String?) -> Bool {
        if identity.viaHeader { return true }
        guard let cookie = request.cookies[Self.csrfCookie]?.value, cookie.utf8.count >= 32 else { return false }
        let sent = formToken ?? request.headers[.xCSRFToken]
        guard let sent, Self.constantTimeEqual(sent, cookie) else { return false }
        if let origin = request.headers[.origin] {
            // An Origin must be this host over HTTP(S): not another host, not another scheme
            // ("null", file:, an extension's), whatever its host part says.
            guard let host = request.head.authority, origin.hasPrefix("http://") || origin.hasPrefix("https://") else { return false }
            let bare = origin.split(separator: "/", omittingEmptySubsequences: true).dropFirst().first.map(String.init)
            return bare == host
        }
        return true
    }
}
