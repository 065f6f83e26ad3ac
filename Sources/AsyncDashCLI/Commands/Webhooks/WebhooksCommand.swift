import ArgumentParser
import AsyncDash
import Foundation

/// `asyncdash webhooks list|retry|replay|purge`: inspect and re-send the events a durable
/// observer (by default the webhook observer) has in the store's outbox.
struct WebhooksCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "webhooks",
        abstract: "Inspect and re-send webhook deliveries (the outbox of a durable observer).",
        subcommands: [WebhooksListCommand.self, WebhooksRetryCommand.self, WebhooksReplayCommand.self, WebhooksPurgeCommand.self]
    )

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        throw CLIError.usage("missing a webhooks command: list, retry, replay or purge; see 'asyncdash webhooks --help'")
    }

    /// The most entries one command reads.
    static let readLimit = 1_000_000
}

/// Which outbox entries a `webhooks` command acts on.
struct WebhookSelection: ParsableArguments {
    @Option(help: "The durable observer whose deliveries to act on: its name in config (name:), which is its dotted type unless given.")
    var observer = "asyncdash.observers.webhook"

    @Option(help: "Only this task's events.")
    var task: String?

    @Option(help: "Only events queued at or after this time (ISO 8601, e.g. 2026-11-30T10:00:00Z).")
    var since: String?

    @Option(help: "Only events queued before this time (ISO 8601).")
    var until: String?

    @Option(name: .customLong("id"), help: "Only these entries (repeat the option for several).")
    var ids: [Int64] = []

    /// The entries in `states` that the options select, oldest first.
    func entries(_ outbox: any OutboxStore, states: Set<OutboxState>) async throws -> [OutboxEntry] {
        let since = try Self.time(since, option: "--since")
        let until = try Self.time(until, option: "--until")
        if let since, let until, until <= since {
            throw CLIError.usage("--until \(ISO8601.format(until)) is not after --since \(ISO8601.format(since))")
        }
        let suffix = "/" + observer
        let wanted = Set(ids)
        return try await outbox.entries(consumer: nil, states: states, limit: WebhooksCommand.readLimit).filter { entry in
            guard entry.message.consumer.hasSuffix(suffix) else { return false }
            if !wanted.isEmpty, !wanted.contains(entry.id) { return false }
            if let task, entry.message.event["task_name"]?.stringValue != task { return false }
            if let since, entry.message.createdAt < since { return false }
            if let until, entry.message.createdAt >= until { return false }
            return true
        }
    }

    var selectsSomething: Bool { task != nil || since != nil || until != nil || !ids.isEmpty }

    static func time(_ text: String?, option: String) throws -> Date? {
        guard let text else { return nil }
        guard let date = ISO8601.parse(text) else {
            throw CLIError.usage("\(option) '\(text.cutForMessage())' is not an ISO 8601 time; e.g. 2026-11-30T10:00:00Z")
        }
        return date
    }
}

/// `asyncdash webhooks list`: the observer's entries with their state, attempts and last error.
struct WebhooksListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List webhook deliveries: pending, dead and delivered.")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var selection: WebhookSelection

    @Option(help: "Only entries in this state: pending, delivered, dead (default: all).")
    var state: String?

    @Option(help: "At most this many entries, the newest (1 to 100000).")
    var limit = 100

    @Flag(help: "Print the entries as a JSON array.")
    var json = false

    func run() async throws {
        guard (1...100_000).contains(limit) else { throw CLIError.usage("--limit must be 1 to 100000, not \(limit)") }
        var states: Set<OutboxState> = []
        if let state {
            guard let parsed = OutboxState(rawValue: state) else {
                throw CLIError.usage("--state '\(state.cutForMessage())' is not pending, delivered or dead")
            }
            states = [parsed]
        }
        let runtime = try await CLIRuntime(global)
        let stores = try await runtime.openStores()
        let entries = Array(try await selection.entries(stores.outbox, states: states).suffix(limit))
        if json {
            Output.line(JSONValue.array(entries.map(Self.object)).prettyJSONText)
            return
        }
        guard !entries.isEmpty else {
            Output.line("no deliveries of \(selection.observer)\(selection.selectsSomething ? " match" : "")")
            return
        }
        let rows = entries.map { entry in
            [
                String(entry.id), entry.state.rawValue, String(entry.attempts), entry.message.event["task_name"]?.stringValue ?? "?",
                entry.message.event["event"]?.stringValue ?? "?", ISO8601.format(entry.message.createdAt),
                (entry.lastError ?? "").cutForMessage(60),
            ]
        }
        for line in Output.table(header: ["ID", "STATE", "ATTEMPTS", "TASK", "EVENT", "QUEUED", "LAST ERROR"], rows: rows) { Output.line(line) }
    }

    static func object(_ entry: OutboxEntry) -> JSONValue {
        var object: [String: JSONValue] = [
            "id": .int(Int(entry.id)), "consumer": .string(entry.message.consumer), "state": .string(entry.state.rawValue),
            "attempts": .int(entry.attempts), "queued_at": .string(ISO8601.format(entry.message.createdAt)),
            "next_attempt_at": .string(ISO8601.format(entry.nextAttemptAt)), "event": entry.message.event,
        ]
        if let eventID = entry.message.eventID { object["event_id"] = .string(eventID) }
        if let error = entry.lastError { object["last_error"] = .string(error) }
        if let delivered = entry.deliveredAt { object["delivered_at"] = .string(ISO8601.format(delivered)) }
        return .object(object)
    }
}

/// `asyncdash webhooks retry`: sends dead-lettered events again (attempts start afresh).
struct WebhooksRetryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retry", abstract: "Send dead-lettered webhook events again (all, or those --id/--task/--since select).")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var selection: WebhookSelection

    func run() async throws {
        let stores = try await CLIRuntime(global).openStores()
        let dead = try await selection.entries(stores.outbox, states: [.dead])
        let count = try await stores.outbox.requeue(dead.map(\.id))
        Output.line("\(count) dead \(count == 1 ? "event" : "events") of \(selection.observer) queued again; a running serve or worker sends \(count == 1 ? "it" : "them")")
    }
}

/// `asyncdash webhooks replay`: sends delivered (and dead) events again, with their ids.
struct WebhooksReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Send a task's events, or those of a time range, again with their ids (delivered ones are kept for the retention time).")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var selection: WebhookSelection

    func run() async throws {
        guard selection.selectsSomething else {
            throw CLIError.usage("say what to replay: --task NAME, --since/--until TIME or --id N")
        }
        let stores = try await CLIRuntime(global).openStores()
        let entries = try await selection.entries(stores.outbox, states: [.delivered, .dead])
        let count = try await stores.outbox.requeue(entries.map(\.id))
        Output.line("\(count) \(count == 1 ? "event" : "events") of \(selection.observer) queued again with \(count == 1 ? "its id" : "their ids"); a running serve or worker sends \(count == 1 ? "it" : "them")")
    }
}

/// `asyncdash webhooks purge`: removes dead-lettered events for good.
struct WebhooksPurgeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "purge", abstract: "Remove dead-lettered webhook events for good (all, or those --id/--task/--since select).")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var selection: WebhookSelection

    func run() async throws {
        let stores = try await CLIRuntime(global).openStores()
        let dead = try await selection.entries(stores.outbox, states: [.dead])
        let count = try await stores.outbox.removeDead(dead.map(\.id))
        Output.line("\(count) dead \(count == 1 ? "event" : "events") of \(selection.observer) removed")
    }
}
