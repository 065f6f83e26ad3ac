import Crypto
import Foundation

/// Signs webhook requests as the Standard Webhooks specification says
/// (<https://www.standardwebhooks.com>), so receivers can verify them with its libraries: the
/// signature is the base64 HMAC-SHA256, keyed by the secret, of `"<id>.<timestamp>.<body>"`, sent
/// as `webhook-signature: v1,<signature>` beside `webhook-id` and `webhook-timestamp` (seconds
/// since 1970).
///
/// ```swift
/// let signer = try WebhookSigner(secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
/// let headers = signer.headers(id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: 1614265330, body: Array(#"{"test": 2432232314}"#.utf8))
/// // headers["webhook-signature"] == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
/// ```
public struct WebhookSigner: Sendable {
    private let key: SymmetricKey

    /// The shortest and longest secret, in bytes after decoding.
    public static let secretBytes = 24...64

    /// - Parameter secret: `whsec_` followed by the base64 of 24 to 64 random bytes (make one
    ///   with `echo "whsec_$(openssl rand -base64 32)"`).
    /// - Throws: ``WebhookConfigurationError`` naming what is wrong with the secret (never the secret).
    public init(secret: String) throws {
        guard secret.hasPrefix("whsec_") else {
            throw WebhookConfigurationError(
                "the webhook secret must start with 'whsec_' followed by base64 (make one with: echo \"whsec_$(openssl rand -base64 32)\")")
        }
        guard let bytes = Data(base64Encoded: String(secret.dropFirst(6))) else {
            throw WebhookConfigurationError("the webhook secret after 'whsec_' is not base64 (make one with: echo \"whsec_$(openssl rand -base64 32)\")")
        }
        guard Self.secretBytes.contains(bytes.count) else {
            throw WebhookConfigurationError(
                "the webhook secret decodes to \(bytes.count) bytes; use \(Self.secretBytes.lowerBound) to \(Self.secretBytes.upperBound) random bytes")
        }
        key = SymmetricKey(data: bytes)
    }

    /// The signature of one request: `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`.
    public func signature(id: String, timestamp: Int64, body: [UInt8]) -> String {
        var hmac = HMAC<SHA256>(key: key)
        hmac.update(data: Array("\(id).\(timestamp).".utf8))
        hmac.update(data: body)
        return "v1," + Data(hmac.finalize()).base64EncodedString()
    }

    /// The three headers of one request, signed now (every attempt is signed afresh).
    public func headers(id: String, timestamp: Int64, body: [UInt8]) -> [String: String] {
        ["webhook-id": id, "webhook-timestamp": String(timestamp), "webhook-signature": signature(id: id, timestamp: timestamp, body: body)]
    }

    /// Whether `signatureHeader` (one or more space-separated `v1,<signature>`) signs the request,
    /// and `timestamp` is within `tolerance` of `now`: what a receiver checks.
    public func verify(
        id: String, timestamp: Int64, body: [UInt8], signatureHeader: String, now: Date = Date(), tolerance: TimeInterval = 300
    ) -> Bool {
        guard abs(now.timeIntervalSince1970 - Double(timestamp)) <= tolerance else { return false }
        let expected = Array(signature(id: id, timestamp: timestamp, body: body).utf8)
        return signatureHeader.split(separator: " ").contains { candidate in
            // Compared in constant time for equal lengths.
            let given = Array(candidate.utf8)
            guard given.count == expected.count else { return false }
            return zip(given, expected).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
        }
    }
}

/// A webhook observer's entry in config cannot work (its URL, its secret, its options).
public struct WebhookConfigurationError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
