import AsyncDash
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// Posts lifecycle events to an HTTP endpoint, signed as Standard Webhooks says
/// (``WebhookSigner``): `asyncdash.observers.webhook` in config.
///
/// It delivers from the store's outbox only (`durable: true`), so posting never holds up a task,
/// and an event emitted by any process is sent by a running `serve` or `worker`, also after a
/// crash. Each attempt is signed afresh; `webhook-id` is the event's id, the same on every retry
/// and replay, so a receiver drops duplicates by it. The body is
/// `{"type": "task.<event>", "timestamp": "…", "data": <the event as JSON>}`, or a template's
/// (``WebhookBody``: `format: slack`, `teams`, or `template:` of your own).
///
/// What an answer means: 2xx delivered; 408, 429, 5xx, a time-out or a refused connection is
/// tried again with the entry's backoff and jitter (no sooner than a `Retry-After` says, up to an
/// hour) until `max_attempts`, then dead-lettered; any other answer (a 4xx such as 400, 401, 404,
/// or a redirect, which is not followed) is dead-lettered at once — sending it again would not help.
///
/// ```yaml
/// observers:
///   - type: asyncdash.observers.webhook
///     durable: true
///     max_attempts: 10
///     events: [complete, fail]
///     url: https://hooks.example.com/asyncdash
///     secret_env: ASYNCDASH_WEBHOOK_SECRET   # whsec_… from the environment, never the file
///     statuses: [failed]                     # optional: only events with these statuses
/// ```
public struct WebhookObserver: OutboxObserver {
    /// Where events are posted.
    public let url: String
    /// Only events with one of these statuses are posted (`nil`: all); the others count as delivered.
    public let statuses: Set<TaskStatus>?
    /// What is posted: the Standard Webhooks body, or a template (Slack, Teams, your own).
    public let body: WebhookBody
    /// Signs each request when there is a secret (always for the standard body).
    let signer: WebhookSigner?
    let client: HTTPClient
    /// How long one request may take at most (the entry's `timeout_ms` usually cuts it first).
    static let requestDeadline: TimeAmount = .seconds(300)
    /// How much of an error answer's body is kept for the outbox's `last_error`.
    static let keptErrorBody = 512

    /// - Parameters:
    ///   - url: An `http://` or `https://` URL with a host.
    ///   - secret: `whsec_…` (``WebhookSigner/init(secret:)``): required for the standard body;
    ///     with a template, requests are signed only when it is given (a chat's URL is its secret).
    ///   - body: What is posted (default: the Standard Webhooks body).
    ///   - client: The HTTP client (default: one per process that never follows redirects).
    /// - Throws: ``WebhookConfigurationError`` for a URL or secret that cannot work.
    public init(
        url: String, secret: String?, statuses: Set<TaskStatus>? = nil, body: WebhookBody = .standard, client: HTTPClient? = nil
    ) throws {
        guard let parsed = URL(string: url), let scheme = parsed.scheme?.lowercased(), ["http", "https"].contains(scheme),
              let host = parsed.host, !host.isEmpty
        else {
            throw WebhookConfigurationError("url '\(url.cutForMessage(200))' is not an http:// or https:// URL with a host")
        }
        self.url = url
        self.statuses = statuses
        self.body = body
        if let secret {
            self.signer = try WebhookSigner(secret: secret)
        } else if body.isStandard {
            throw WebhookConfigurationError("secret_env is required: receivers of the standard body verify its signature (a chat's body, format: slack or teams, needs none)")
        } else {
            self.signer = nil
        }
        self.client = client ?? webhookHTTPClient
    }

    public func deliver(_ event: LifecycleEvent, _ delivery: OutboxDelivery) async throws {
        if let statuses {
            guard let status = event.status ?? event.kind.impliedStatus, statuses.contains(status) else { return }
        }
        let body = self.body.render(event, eventID: delivery.eventID)
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "content-type", value: "application/json")
        request.headers.add(name: "user-agent", value: "AsyncDash-Webhooks/1")
        for (name, value) in signer?.headers(id: delivery.eventID, timestamp: Int64(Date().timeIntervalSince1970), body: body) ?? [:] {
            request.headers.add(name: name, value: value)
        }
        request.body = .bytes(ByteBuffer(bytes: body))
        let response: HTTPClientResponse
        do {
            response = try await client.execute(request, timeout: Self.requestDeadline)
        } catch {
            throw DeliveryFailure.retry("POST \(url): \(error)")
        }
        let code = Int(response.status.code)
        // Read a little of the answer (for the error message) and drop the rest.
        var kept: [UInt8] = []
        do {
            for try await chunk in response.body where kept.count < Self.keptErrorBody {
                kept += chunk.readableBytesView.prefix(Self.keptErrorBody - kept.count)
            }
        } catch {
            if (200..<300).contains(code) { return }  // accepted; a broken answer body changes nothing
        }
        if let failure = Self.failure(status: code, retryAfter: response.headers.first(name: "retry-after"), body: kept, url: url) {
            throw failure
        }
    }

    /// The standard request body: `{"type": "task.<event>", "timestamp": "…", "data": <event>}`.
    static func body(of event: LifecycleEvent) -> [UInt8] {
        WebhookBody.standard.render(event, eventID: "")
    }

    /// What an answer means: `nil` when delivered (2xx), else a failure to retry (408, 429, 5xx;
    /// no sooner than `retryAfter`) or to give up on (anything else).
    static func failure(status: Int, retryAfter: String?, body: [UInt8], url: String, now: Date = Date()) -> DeliveryFailure? {
        if (200..<300).contains(status) { return nil }
        var reason = "POST \(url): HTTP \(status)"
        let text = String(decoding: body, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if !text.isEmpty { reason += ": " + text.cutForMessage(200) }
        if status == 408 || status == 429 || (500..<600).contains(status) {
            return .retry(reason, notBefore: retryAfter.flatMap { parseRetryAfter($0, now: now) })
        }
        if (300..<400).contains(status) { reason += " (redirects are not followed: configure the final URL)" }
        return .giveUp(reason)
    }

    /// A `Retry-After` value: whole seconds, or an HTTP date; `nil` when it is neither.
    static func parseRetryAfter(_ value: String, now: Date) -> Duration? {
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        if let seconds = Int(trimmed), seconds >= 0 { return .seconds(min(seconds, 86_400)) }
        guard trimmed.count <= 64 else { return nil }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: trimmed) else { return nil }
        return .seconds(max(0, min(date.timeIntervalSince(now), 86_400)))
    }
}

/// The HTTP client of every webhook observer in this process: redirects are never followed (a
/// POST must not silently become a GET elsewhere), up to 64 connections per host (the most a
/// webhook's `concurrency` asks for; each uses as many as it has requests in flight), and a refused
/// connection fails the attempt at once (retried later from the outbox, instead of the client
/// retrying until the attempt's time runs out). Created on first use and kept for the life of
/// the process, like `HTTPClient.shared`.
let webhookHTTPClient: HTTPClient = {
    var pool = HTTPClient.Configuration.ConnectionPool(
        idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: ObserverDelivery.concurrencyRange.upperBound)
    pool.retryConnectionEstablishment = false
    return HTTPClient(
        eventLoopGroup: HTTPClient.defaultEventLoopGroup,
        configuration: HTTPClient.Configuration(
            redirectConfiguration: .disallow, timeout: .init(connect: .seconds(10)), connectionPool: pool, decompression: .disabled))
}()
