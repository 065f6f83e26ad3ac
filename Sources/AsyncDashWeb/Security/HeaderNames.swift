import HTTPTypes

/// Header names the dashboard reads or sets that HTTPTypes does not predefine.
extension HTTPField.Name {
    static let contentSecurityPolicy = Self("Content-Security-Policy")!
    static let xContentTypeOptions = Self("X-Content-Type-Options")!
    static let xFrameOptions = Self("X-Frame-Options")!
    static let referrerPolicy = Self("Referrer-Policy")!
    static let crossOriginOpenerPolicy = Self("Cross-Origin-Opener-Policy")!
    static let permissionsPolicy = Self("Permissions-Policy")!
    static let xCSRFToken = Self("X-CSRF-Token")!
    static let xAccelBuffering = Self("X-Accel-Buffering")!
}
