import AsyncDash
import AsyncDashSQLite
import AsyncDashWebhooks
import Testing

/// `asyncdash.observers.webhook` in config: every mistake is one error at its place.
@Suite("Webhook observer in config")
struct WebhookConfigTests {
    static let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

    var registry: Registry {
        var registry = Registry.standard
        registry.registerSQLite()
        registry.registerWebhooks()
        return registry
    }

    func errors(_ entry: String, environment: [String: String] = ["HOOK_SECRET": secret, "SLACK_URL": "https://hooks.slack.example/services/T0/B0/x"]) -> [String] {
        let text = """
            ASYNC_MANAGER_DEFAULT:
              manager_class: asyncdash.AsyncManager
              config:
                observers:
            \(entry.split(separator: "\n").map { "      " + $0 }.joined(separator: "\n"))
            """
        do {
            _ = try ConfigResolver.parse(text, file: "config.yaml", registry: registry, environment: environment)
            return []
        } catch {
            return error.diagnostics.map(\.description)
        }
    }

    @Test func aGoodEntryResolves() {
        #expect(errors("""
            - type: asyncdash.observers.webhook
              durable: true
              events: [complete, fail]
              url: https://hooks.example.com/asyncdash
              secret_env: HOOK_SECRET
              statuses: [failed, success]
            """) == [])
        #expect(errors("""
            - type: asyncdash.observers.webhook
              name: slack
              durable: true
              url_env: SLACK_URL
              format: slack
            - type: asyncdash.observers.webhook
              name: own
              durable: true
              url: https://hooks.example.com/own
              template: '{"who": "{{task_name}}", "what": "{{summary}}", "took": "{{duration}}"}'
            """) == [], "a chat's webhook needs no secret; a template of one's own")
    }

    @Test(arguments: [
        ("durable: true\n  url: https://h.example/x\n  secret: whsec_abc", "secrets come only from the environment; write secret_env"),
        ("durable: true\n  url: https://h.example/x\n  secret_env: UNSET_HOOK_SECRET", "names environment variable UNSET_HOOK_SECRET, which is not set"),
        ("url: https://h.example/x\n  secret_env: HOOK_SECRET", "delivers from the store's outbox only"),
        ("durable: true\n  url: ftp://h.example/x\n  secret_env: HOOK_SECRET", "is not an http:// or https:// URL with a host"),
        ("durable: true\n  url: https://h.example/x\n  secret_env: HOOK_SECRET\n  statuses: [faild]", "'faild' is not a task status (did you mean 'failed'?)"),
        ("durable: true\n  url: https://h.example/x\n  secret_env: HOOK_SECRET\n  retries: 3", "retries"),
        ("durable: true\n  secret_env: HOOK_SECRET", "missing required option 'url'"),
        ("durable: true\n  url: https://h.example/x", "secret_env is required: receivers of the standard body verify its signature"),
        ("durable: true\n  url: https://h.example/x\n  url_env: SLACK_URL\n  format: slack", "give url or url_env, not both"),
        ("durable: true\n  url_env: UNSET_SLACK_URL\n  format: slack", "names environment variable UNSET_SLACK_URL, which is not set"),
        ("durable: true\n  url_env: SLACK_URL\n  format: slak", "format 'slak' is unknown (did you mean 'slack'?); valid formats: standard, slack, teams, template"),
        ("durable: true\n  url_env: SLACK_URL\n  format: template", "format: template needs a template"),
        ("durable: true\n  url_env: SLACK_URL\n  format: slack\n  template: '{}'", "template is for format: template, not format: slack"),
        ("durable: true\n  url_env: SLACK_URL\n  template: '{\"text\": \"{{sumary}}\"}'", "template field '{{sumary}}' is unknown (did you mean 'summary'?)"),
        ("durable: true\n  url_env: SLACK_URL\n  template: '{\"text\": {{summary}}}'", "template is not JSON once filled in"),
        ("durable: true\n  url_env: SLACK_URL\n  template: '{\"text\": \"{{summary\"}'", "template has a '{{' with no '}}' after it"),
    ])
    func aMistakeIsOneErrorAtItsPlace(_ options: String, _ expected: String) {
        let found = errors("- type: asyncdash.observers.webhook\n  " + options)
        #expect(found.count == 1, "\(found)")
        #expect(found.first?.contains(expected) == true, "\(found)")
        #expect(found.first?.hasPrefix("config.yaml:") == true, "\(found)")
        #expect(found.first?.contains("whsec_abc") == false, "the secret is never echoed")
    }

    @Test func aSecretThatIsNotAStandardWebhooksSecretIsAnError() {
        let found = errors(
            "- type: asyncdash.observers.webhook\n  durable: true\n  url: https://h.example/x\n  secret_env: HOOK_SECRET",
            environment: ["HOOK_SECRET": "hunter2"])
        #expect(found.count == 1 && found.first?.contains("must start with 'whsec_'") == true, "\(found)")
        #expect(found.first?.contains("hunter2") == false)
    }
}
