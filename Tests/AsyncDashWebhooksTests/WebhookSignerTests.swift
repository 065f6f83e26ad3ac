@testable import AsyncDashWebhooks
import AsyncDash
import Foundation
import Testing

@Suite("Webhook signing and answers")
struct WebhookSignerTests {
    /// The example of the Standard Webhooks specification: receivers' libraries accept what we send.
    @Test func theSignatureIsTheStandardWebhooksOne() throws {
        let signer = try WebhookSigner(secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
        let body = Array(#"{"test": 2432232314}"#.utf8)
        let headers = signer.headers(id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: 1614265330, body: body)
        #expect(headers["webhook-signature"] == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
        #expect(headers["webhook-id"] == "msg_p5jXN8AQM9LWM0D4loKWxJek")
        #expect(headers["webhook-timestamp"] == "1614265330")
        let at = Date(timeIntervalSince1970: 1614265330)
        let signature = try #require(headers["webhook-signature"])
        #expect(signer.verify(id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: 1614265330, body: body, signatureHeader: signature, now: at))
        #expect(signer.verify(id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: 1614265330, body: body, signatureHeader: "v1,bm90IGl0 " + signature, now: at))
        #expect(!signer.verify(id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: 1614265330, body: body + [32], signatureHeader: signature, now: at))
        #expect(!signer.verify(id: "msg_other", timestamp: 1614265330, body: body, signatureHeader: signature, now: at))
        #expect(!signer.verify(
            id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: 1614265330, body: body, signatureHeader: signature, now: at.addingTimeInterval(301)),
            "a timestamp older than 5 minutes is refused")
    }

    @Test(arguments: [
        ("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "must start with 'whsec_'"),
        ("whsec_not base64!", "is not base64"),
        ("whsec_c2hvcnQ=", "decodes to 5 bytes; use 24 to 64"),
    ])
    func aSecretThatCannotWorkIsAClearErrorThatNeverShowsIt(_ secret: String, _ expected: String) {
        let error = #expect(throws: WebhookConfigurationError.self) { try WebhookSigner(secret: secret) }
        #expect(error?.description.contains(expected) == true, "\(String(describing: error))")
        #expect(error?.description.contains(secret) == false)
    }

    @Test func answersAreDeliveredRetriedOrGivenUp() throws {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        func failure(_ status: Int, _ retryAfter: String? = nil) -> DeliveryFailure? {
            WebhookObserver.failure(status: status, retryAfter: retryAfter, body: Array("  nope \n".utf8), url: "http://h/x", now: now)
        }
        for status in [200, 201, 204, 299] { #expect(failure(status) == nil) }
        for status in [408, 429, 500, 502, 503, 599] { #expect(failure(status)?.next == .retry(notBefore: nil), "\(status)") }
        for status in [301, 400, 401, 403, 404, 410, 422] { #expect(failure(status)?.next == .giveUp, "\(status)") }
        #expect(failure(400)?.reason == "POST http://h/x: HTTP 400: nope")
        #expect(failure(302)?.reason.contains("redirects are not followed") == true)
        #expect(failure(429, "7")?.next == .retry(notBefore: .seconds(7)))
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        #expect(WebhookObserver.parseRetryAfter(formatter.string(from: now.addingTimeInterval(90)), now: now) == .seconds(90))
        #expect(WebhookObserver.parseRetryAfter(formatter.string(from: now.addingTimeInterval(-90)), now: now) == .seconds(0))
        #expect(failure(503, formatter.string(from: now.addingTimeInterval(864_000)))?.next == .retry(notBefore: .seconds(86_400)), "capped at a day")
        #expect(WebhookObserver.parseRetryAfter("99999999", now: now) == .seconds(86_400))
        #expect(WebhookObserver.parseRetryAfter("soon", now: now) == nil)
        #expect(WebhookObserver.parseRetryAfter("-5", now: now) == nil)
        #expect(WebhookObserver.parseRetryAfter(String(repeating: "9", count: 10_000), now: now) == nil)
    }

    @Test func theBodyIsTypeTimestampAndTheEvent() throws {
        let event = LifecycleEvent(.fail, task: "t1", message: "boom", timestamp: Date(timeIntervalSince1970: 1_800_000_000))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(WebhookObserver.body(of: event))) as? [String: Any])
        #expect(object["type"] as? String == "task.fail")
        #expect(object["timestamp"] as? String == ISO8601.format(event.timestamp))
        #expect((object["timestamp"] as? String)?.hasPrefix("2027-01-15T08:00:00") == true)
        #expect((object["data"] as? [String: Any])?["message"] as? String == "boom")
    }
}
