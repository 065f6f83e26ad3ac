import AsyncDash
@testable import AsyncDashWebhooks
import Foundation
import Testing

/// `format: slack | teams | template`: what the webhook posts instead of the standard body.
@Suite("Webhook body templates")
struct WebhookBodyTests {
    /// A failed run whose text would break JSON written naively.
    let failed = LifecycleEvent(
        .fail, task: "import-\"42\"", message: "timeout\nafter \\ 3 tries",
        extra: ["function": "shop.tasks.import_books", "duration_ms": 2_350])

    func json(_ body: WebhookBody, _ event: LifecycleEvent) throws -> JSONValue {
        try JSONValue(parsing: String(decoding: body.render(event, eventID: "msg_1"), as: UTF8.self))
    }

    @Test func slackGetsOneLineOfText() throws {
        let body = try json(.slack, failed)
        #expect(body == ["text": "❌ Task import-\"42\" (shop.tasks.import_books) failed after 2.35 s: timeout\nafter \\ 3 tries"])
        let done = try json(.slack, LifecycleEvent(.complete, task: "t1", extra: ["duration_ms": 120]))
        #expect(done["text"]?.stringValue == "✅ Task t1 completed in 120 ms")
        let progress = try json(.slack, LifecycleEvent(.progress, task: "t1", progress: .structured(StructuredProgress(done: 4, total: 10, unit: "rows"))))
        #expect(progress["text"]?.stringValue == "⏳ Task t1: 4/10 rows (40%)")
    }

    @Test func teamsGetsAnAdaptiveCardWithTheSummary() throws {
        let body = try json(.teams, failed)
        #expect(body["type"]?.stringValue == "message")
        let attachment = try #require(body["attachments"]?.arrayValue?.first)
        #expect(attachment["contentType"]?.stringValue == "application/vnd.microsoft.card.adaptive")
        #expect(attachment["content"]?["type"]?.stringValue == "AdaptiveCard")
        let text = attachment["content"]?["body"]?.arrayValue?.first?["text"]?.stringValue
        #expect(text?.hasPrefix("❌ Task import-\"42\" (shop.tasks.import_books) failed") == true, "\(body)")
    }

    @Test func aTemplateFillsEveryFieldEscaped() throws {
        let fields = WebhookBody.Field.allCases.map { "\"\($0.rawValue)\": \"{{ \($0.rawValue) }}\"" }.joined(separator: ", ")
        let body = try json(try WebhookBody(template: "{\(fields)}"), failed)
        #expect(body["event"] == "fail")
        #expect(body["type"] == "task.fail")
        #expect(body["task_name"] == "import-\"42\"")
        #expect(body["status"] == "failed")
        #expect(body["message"] == "timeout\nafter \\ 3 tries")
        #expect(body["progress"] == "")
        #expect(body["function"] == "shop.tasks.import_books")
        #expect(body["duration"] == "2.35 s")
        #expect(body["timestamp"]?.stringValue == ISO8601.format(failed.timestamp))
        #expect(body["event_id"] == "msg_1")
        #expect(body["summary"]?.stringValue?.hasPrefix("❌") == true)
    }

    @Test func theStandardBodyIsUnchanged() throws {
        let body = try json(.standard, failed)
        #expect(body["type"] == "task.fail")
        #expect(body["data"] == failed.json)
    }

    @Test func aTemplateThatCannotWorkIsRefusedNamingTheProblem() {
        func refusal(_ template: String) -> String {
            do {
                _ = try WebhookBody(template: template)
                return "accepted"
            } catch {
                return error.description
            }
        }
        #expect(refusal(#"{"text": "{{task}}"}"#).contains("template field '{{task}}' is unknown"))
        #expect(refusal(#"{"text": "{{task}}"}"#).contains("valid fields: event, type, task_name"))
        #expect(refusal(#"{"n": {{duration}}}"#).contains("is not JSON once filled in"))
        #expect(refusal(#"{"text": "{{summary"}"#).contains("with no '}}' after it"))
        #expect(refusal(String(repeating: "x", count: 20_000)).contains("at most 16384 are allowed"))
        #expect(refusal(#"{"text": "{{summary}}"}"#) == "accepted")
    }
}
