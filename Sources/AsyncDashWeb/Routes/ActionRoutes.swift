import AsyncDash
import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// Admin actions: cancel, retry, clean up one task, run clean-up. Each needs the admin role and,
/// from a browser, the CSRF token; each is written to the audit log (who, what, when, outcome).
extension Dashboard {
    func addActionRoutes(to router: Router<BasicRequestContext>, _ routes: RouteTable) {
        for action in ["cancel", "retry", "cleanup"] {
            router.post(routes, "\(prefix)/{task}/\(action)") { request, context in
                guard let name = self.taskParameter(context) else { return Response(status: .notFound) }
                return try await self.perform(action, task: name, request: request)
            }
        }
        router.post(routes, "\(prefix)/-/cleanup") { request, _ in
            try await self.perform("run-cleanup", task: nil, request: request)
        }
    }

    /// The outcome of an action: words for people, and whether it did anything.
    struct ActionOutcome {
        var status: HTTPResponse.Status = .ok
        var text: String
        /// Task name → what to record for it (empty: the text, under the task acted on).
        var audit: [(task: String, outcome: String)]
        var redirectTask: String?
    }

    func perform(_ action: String, task: String?, request: Request) async throws -> Response {
        var request = request
        let identity = auth.identify(request)
        let form = request.headers[.contentType]?.hasPrefix("application/x-www-form-urlencoded") == true ? try await request.form() : [:]
        guard identity.role == .admin else {
            let status: HTTPResponse.Status = identity.role == .none ? .unauthorized : .forbidden
            return respond(request, status, "\(action) needs the admin token", task: task)
        }
        guard auth.csrfPasses(request, identity: identity, formToken: form["csrf"]) else {
            return respond(request, .forbidden, "\(action) refused: the form's CSRF token is missing or does not match; reload the page and try again", task: task)
        }
        guard allowsActions else {
            return respond(request, .conflict, "actions are not offered on this dashboard: the queue in this process runs another manager's tasks; "
                            + "act from that manager's dashboard", task: task)
        }
        var outcome: ActionOutcome
        do {
            outcome = try await run(action, task: task)
        } catch {
            outcome = ActionOutcome(status: .internalServerError, text: "\(action) failed: \(error)", audit: [])
        }
        // Every outcome is recorded: refusals and failures too (a clean-up run under the task name "*").
        if outcome.audit.isEmpty { outcome.audit = [(task ?? "*", outcome.text)] }
        if task == nil, outcome.status.code < 400 { outcome.audit.append(("*", outcome.text)) }
        let now = Date()
        var unrecorded: [String] = []
        for entry in outcome.audit {
            do {
                try await audit.append(AuditEntry(taskName: entry.task, action: action, actor: identity.actor, at: now, outcome: entry.outcome))
            } catch {
                logger.error("an action could not be recorded", metadata: ["task": "\(entry.task)", "action": "\(action)", "error": "\(error)"])
                unrecorded.append("\(entry.task): \(error)")
            }
        }
        if !unrecorded.isEmpty {
            return respond(request, .internalServerError, outcome.text + " — but it could not be recorded in the audit log (" + unrecorded.joined(separator: "; ") + ")", task: task)
        }
        return respond(request, outcome.status, outcome.text, task: outcome.redirectTask ?? task)
    }

    func run(_ action: String, task: String?) async throws -> ActionOutcome {
        let manager = data.manager
        switch (action, task) {
        case ("cancel", let name?):
            guard let queue else { return ActionOutcome(status: .conflict, text: "no task queue runs in this process, so nothing can be cancelled here", audit: []) }
            if try await data.snapshot(name)?.finished == true {
                return ActionOutcome(status: .conflict, text: "\(name) has already finished; there is nothing to cancel", audit: [])
            }
            let known = await manager.cancel(name, queue: queue)
            let text = known ? "cancel requested for \(name)" : "the queue does not know \(name) (already finished or never queued here)"
            return ActionOutcome(status: known ? .ok : .conflict, text: text, audit: [(name, text)])
        case ("retry", let name?):
            guard let queue else { return ActionOutcome(status: .conflict, text: "no task queue runs in this process, so nothing can be retried here", audit: []) }
            guard let (record, snapshot) = try await data.recordAndSnapshot(name) else {
                return ActionOutcome(status: .notFound, text: "no task named \(name)", audit: [])
            }
            guard snapshot.finished else { return ActionOutcome(status: .conflict, text: "\(name) has not finished; only finished tasks can be retried", audit: []) }
            let plan = retryPlan(record)
            guard let function = plan.function else {
                return ActionOutcome(status: .conflict, text: "the record of \(name) does not name its task function, so it cannot be retried", audit: [])
            }
            if let reason = argumentsNotOriginal(plan.args) {
                return ActionOutcome(status: .conflict, text: "\(name) cannot be retried: \(reason)", audit: [])
            }
            let newName = "\(name)-retry-\(DashboardAuth.randomToken().prefix(6))"
            do {
                try await manager.launchAsyncTask(function, args: plan.args, taskName: newName, locking: plan.locks, user: plan.user, queue: queue)
            } catch let error as AsyncDashError where error.code == .conflict {
                return ActionOutcome(status: .conflict, text: "retry refused: \(error.message)", audit: [(name, "retry refused: \(error.message)")])
            }
            return ActionOutcome(text: "relaunched \(name) as \(newName)", audit: [(name, "relaunched as \(newName)"), (newName, "retry of \(name)")], redirectTask: newName)
        case ("cleanup", let name?):
            let summary = try await manager.cleanupTask(name, queue: queue)
            if let cleaned = summary.cleaned[name] {
                let text = "cleaned up \(name) (\(cleaned.reason)): \(cleaned.conflictLockKeys) lock(s), \(cleaned.progressEntries) progress entr(y/ies) released"
                return ActionOutcome(text: text, audit: [(name, text)])
            }
            let reason = summary.skipped[name] ?? "nothing to do"
            return ActionOutcome(status: .conflict, text: "\(name) was not cleaned up: \(reason)", audit: [(name, "skipped: \(reason)")])
        case ("run-cleanup", nil):
            let summary = try await manager.cleanupCompletedTasks(queue: queue)
            return ActionOutcome(text: summary.humanReadable, audit: summary.cleaned.map { ($0.key, "cleaned by run-cleanup (\($0.value.reason))") })
        default:
            return ActionOutcome(status: .notFound, text: "unknown action \(action)", audit: [])
        }
    }

    /// What a retry relaunches: the function, its arguments, its locks and user, from the record.
    func retryPlan(_ record: Record) -> (function: String?, args: JSONValue, locks: [ObjectRef], user: JSONValue?) {
        func value(_ logical: String) -> RecordValue { data.column(logical).map { record[$0] } ?? .null }
        func json(_ logical: String) -> JSONValue? {
            let raw = value(logical)
            if case .text(let text) = raw { return try? JSONValue(parsing: text) }
            return raw.isNull ? nil : raw.json
        }
        let args = json("kwargs") ?? json("args") ?? .object([:])
        let locks = (json("locks")?.arrayValue ?? []).compactMap { $0.stringValue.flatMap { try? ObjectRef(parsing: $0) } }
        let user = value("user").text.flatMap { $0.isEmpty ? nil : JSONValue.string($0) }
        return (value("function").text, args, locks, user)
    }

    /// Why the arguments on a record may not be the ones the task ran with, if they may not:
    /// they went through a payload formatter. The built-in one only changes members it redacts,
    /// so arguments without such members are the originals; any other formatter is not trusted.
    func argumentsNotOriginal(_ args: JSONValue) -> String? {
        guard let formatter = data.manager.context.formatters.payload else { return nil }
        guard let builtin = formatter as? PayloadFormatter else {
            return "its arguments were stored through a custom payload formatter, so they may not be the originals"
        }
        func redacted(_ value: JSONValue) -> Bool {
            switch value {
            case .object(let members): members.contains { builtin.redact.contains($0.key.lowercased()) || redacted($0.value) }
            case .array(let items): items.contains(where: redacted)
            default: false
            }
        }
        return redacted(args) ? "its stored arguments have redacted members (\(builtin.redact.sorted().joined(separator: ", "))), so they are not the originals" : nil
    }

    /// JSON for API clients; for browsers, back to the task (or the list) with the outcome shown.
    func respond(_ request: Request, _ status: HTTPResponse.Status, _ text: String, task: String?) -> Response {
        if request.wantsJSON || auth.identify(request).viaHeader {
            return status.code < 400 ? Reply.json(["outcome": .string(text)], status: status) : Reply.jsonError(status, text)
        }
        if status.code >= 400 && status != .conflict {
            return errorPage(request, status, "Action refused", text)
        }
        let target = task.map { "\(prefix)/\(PathEncoding.segment($0))/" } ?? "\(prefix)/"
        let shown = String(text.prefix(300))
        issuedFlashes.issue(shown)
        return Reply.redirect(target + "?" + PathEncoding.query([("done", shown)]))
    }
}
