import AsyncDash
import Foundation
import HTTPTypes
import Hummingbird

/// The list page, the detail page (and modal), sign-in, static files.
extension Dashboard {
    func addPageRoutes(to router: Router<BasicRequestContext>, _ routes: RouteTable) {
        router.get(routes, "\(prefix)") { request, _ in try await self.listPage(request) }
        router.get(routes, "\(prefix)/-/static/{file}") { _, context in
            guard let name = context.parameters.get("file"), let file = self.staticFiles.files[name] else {
                return Response(status: .notFound)
            }
            return Response(status: .ok, headers: [.contentType: file.contentType, .cacheControl: "public, max-age=300"],
                            body: .init(byteBuffer: ByteBuffer(bytes: file.bytes)))
        }
        router.get(routes, "\(prefix)/-/login") { request, _ in
            var response = Reply.html(self.templates.render("login", self.pageContext(request, title: "Sign in", identity: self.auth.identify(request))))
            self.ensureCSRFCookie(request, &response)
            return response
        }
        router.post(routes, "\(prefix)/-/login") { request, _ in
            var request = request
            let form = try await request.form()
            let identity = self.auth.identify(request)
            guard self.auth.csrfPasses(request, identity: identity, formToken: form["csrf"]) else {
                return self.errorPage(request, .forbidden, "Sign-in refused", "The form had expired; load the sign-in page again.")
            }
            guard let token = form["token"], self.auth.role(for: token) > .none else {
                return self.errorPage(request, .unauthorized, "Sign-in failed", "That token is not valid.")
            }
            var response = Reply.redirect("\(self.prefix)/")
            response.setCookie(Cookie(name: DashboardAuth.tokenCookie, value: token, path: "/", httpOnly: true, sameSite: .strict))
            return response
        }
        router.post(routes, "\(prefix)/-/logout") { request, _ in
            var request = request
            let form = try await request.form()
            guard self.auth.csrfPasses(request, identity: self.auth.identify(request), formToken: form["csrf"]) else {
                return self.errorPage(request, .forbidden, "Refused", "The form had expired; reload the page.")
            }
            var response = Reply.redirect("\(self.prefix)/-/login")
            response.setCookie(Cookie(name: DashboardAuth.tokenCookie, value: "", maxAge: 0, path: "/", httpOnly: true, sameSite: .strict))
            return response
        }
        router.get(routes, "\(prefix)/{task}") { request, context in
            guard let name = self.taskParameter(context) else { return Response(status: .notFound) }
            return try await self.detailPage(request, name: name)
        }
    }

    /// The 401 answer of a JSON route when the request may not read (`nil`: it may).
    func refusalUnlessReader(_ request: Request) -> Response? {
        auth.identify(request).role >= .read ? nil : Reply.jsonError(.unauthorized, "a token is required: send Authorization: Bearer TOKEN")
    }

    /// Sends unauthenticated page requests to the sign-in page.
    func requireReader(_ request: Request) -> (DashboardAuth.Identity, Response?) {
        let identity = auth.identify(request)
        if identity.role >= .read { return (identity, nil) }
        if request.wantsJSON { return (identity, refusalUnlessReader(request)) }
        return (identity, Reply.redirect("\(prefix)/-/login"))
    }

    func listPage(_ request: Request) async throws -> Response {
        let (identity, refusal) = requireReader(request)
        if let refusal { return refusal }
        let parameters = request.parameters
        let list: ListRequest
        do {
            list = try ListRequest(parameters: parameters, data: data)
        } catch {
            return errorPage(request, .badRequest, "Bad filter", error.description)
        }
        let query: RecordPageQuery
        do {
            query = try list.query(data, limit: settings.pageSize)
        } catch {
            return errorPage(request, .badRequest, "Bad page link", error.description)
        }
        async let pageRead = data.records.page(data.model, query: query)
        async let countsRead = data.statusCounts()
        let (page, counts) = try await (pageRead, countsRead)
        let now = Date()
        var context = pageContext(request, title: "Tasks", identity: identity)
        context.merge(rowsContext(page, list: list, now: now)) { $1 }
        let total = counts.values.reduce(0, +)
        var countItems: [[String: Any]] = [[
            "status": "all", "label": "All", "icon": "∑", "count": total, "current": list.status == nil, "filterable": true,
            "href": link(list, status: .some(nil)),
        ]]
        for status in TaskStatus.allCases.map(\.rawValue) + counts.keys.filter({ TaskStatus(parsing: $0) == nil }).sorted() {
            countItems.append([
                "status": CellView.cssToken(status), "label": status, "icon": CellView.icon(status), "count": counts[status] ?? 0,
                "current": list.status == status, "href": link(list, status: .some(status)),
                // Only the built-in statuses are filters (`?status=` refuses others).
                "filterable": TaskStatus(parsing: status) != nil,
            ])
        }
        context["counts"] = countItems
        context["search"] = list.search ?? ""
        context["statusOptions"] = [["value": "", "label": "any", "selected": list.status == nil]]
            + TaskStatus.allCases.map { ["value": $0.rawValue, "label": $0.rawValue, "selected": list.status == $0.rawValue] as [String: Any] }
        let sortLabels = ["updated": "last update", "created": "creation", "name": "task name"]
        context["sortOptions"] = data.sorts.map { ["value": $0.name, "label": sortLabels[$0.name] ?? $0.name, "selected": list.sort == $0.name] as [String: Any] }
        context["orderOptions"] = [
            ["value": "desc", "label": "newest / Z first", "selected": list.descending],
            ["value": "asc", "label": "oldest / A first", "selected": !list.descending],
        ]
        context["streamURL"] = "\(prefix)/-/stream"
        context["fragmentURL"] = "\(prefix)/?" + PathEncoding.query(list.filterParameters + [("fragment", "rows")] + positionParameters(list))
        // Rows are refreshed in place only where new tasks land: the first page.
        context["follow"] = list.after == nil && list.before == nil && !list.last
        if parameters["fragment"] == "rows" {
            return Reply.html(templates.render("rows", context))
        }
        var response = Reply.html(templates.render("list", context))
        ensureCSRFCookie(request, &response)
        return response
    }

    func positionParameters(_ list: ListRequest) -> [(String, String)] {
        if let after = list.after { return [("after", after)] }
        if let before = list.before { return [("before", before)] }
        return list.last ? [("page", "last")] : []
    }

    /// The list link with another status filter (`nil`: all) and the other filters kept, first page.
    func link(_ list: ListRequest, status: String?? = .none) -> String {
        var copy = list
        if case .some(let status) = status { copy.status = status }
        let query = PathEncoding.query(copy.filterParameters)
        return "\(prefix)/" + (query.isEmpty ? "" : "?" + query)
    }

    func rowsContext(_ page: RecordPage, list: ListRequest, now: Date) -> [String: Any] {
        let cells = CellView(data: data, prefix: prefix, now: now)
        let key = data.model.keyColumn
        let statusColumn = data.column("status")
        var context: [String: Any] = [
            "columns": settings.fields.map { ["label": cells.label($0)] },
            "rows": page.records.map { record -> [String: Any] in
                [
                    "name": record[key].text ?? "",
                    "status": CellView.cssToken(statusColumn.flatMap { record[$0].text } ?? ""),
                    "cells": settings.fields.map { cells.cell($0, of: record) },
                ]
            },
            "hasRecords": !page.records.isEmpty,
        ]
        if page.records.isEmpty {
            let filtered = list.status != nil || list.search != nil
            context["emptyMessage"] = filtered ? "No task matches these filters." : "No tasks yet."
            context["emptyHint"] = filtered ? "Clear the search or choose another status." : "Tasks appear here as soon as they are launched."
        }
        let base = "\(prefix)/?"
        let filters = list.filterParameters
        if page.hasPrevious {
            context["firstHref"] = base + PathEncoding.query(filters)
            if let cursor = page.firstCursor { context["previousHref"] = base + PathEncoding.query(filters + [("before", cursor.token)]) }
        }
        if page.hasNext {
            if let cursor = page.lastCursor { context["nextHref"] = base + PathEncoding.query(filters + [("after", cursor.token)]) }
            context["lastHref"] = base + PathEncoding.query(filters + [("page", "last")])
        }
        return context
    }

    func detailPage(_ request: Request, name: String) async throws -> Response {
        let (identity, refusal) = requireReader(request)
        if let refusal { return refusal }
        guard let (record, snapshot) = try await data.recordAndSnapshot(name) else {
            return errorPage(request, .notFound, "No such task", "There is no record of a task named “\(name)”. It may have been deleted.")
        }
        let now = Date()
        let cells = CellView(data: data, prefix: prefix, now: now)
        var context = pageContext(request, title: name, identity: identity)
        context["name"] = name
        context["status"] = CellView.cssToken(snapshot.status)
        context["icon"] = CellView.icon(snapshot.status)
        context["message"] = CellView.shown(snapshot.message)
        context["progressText"] = CellView.shown(snapshot.progressText)
        context["percent"] = Int(((snapshot.fraction ?? 0) * 100).rounded())
        context["hasPercent"] = snapshot.fraction != nil
        context["finished"] = snapshot.finished
        context["streamURL"] = "\(cells.taskHref(name))stream"
        context["pollURL"] = "/async/progress/?" + PathEncoding.query([("task_name", name)])
        context["actionBase"] = cells.taskHref(name).dropLast().description
        context["fields"] = settings.detailFields.map { cells.cell($0, of: record, snapshotFraction: snapshot.fraction) }
        context["allFields"] = data.model.columns.map { cells.cell($0.name, of: record) }
        context["canCancel"] = !snapshot.finished
        let retry = retryPlan(record)
        let retryBlocked = retry.function == nil ? "the record does not name its task function" : argumentsNotOriginal(retry.args)
        context["canRetry"] = snapshot.finished && retryBlocked == nil
        context["retryHint"] = retryBlocked ?? "only finished tasks can be retried"
        let entries = (try? await audit.entries(forTask: name, limit: 50)) ?? []
        context["audit"] = entries.map { entry -> [String: Any] in
            var item: [String: Any] = ["actor": entry.actor, "action": entry.action, "outcome": entry.outcome]
            item.merge(CellView.time(entry.at, now: now)) { $1 }
            return item
        }
        context["hasAudit"] = !entries.isEmpty
        if request.parameters["fragment"] == "modal" {
            return Reply.html(templates.render("task", context))
        }
        var response = Reply.html(templates.render("detail", context))
        ensureCSRFCookie(request, &response)
        return response
    }

    /// What every page's head and foot need.
    func pageContext(_ request: Request, title: String, identity: DashboardAuth.Identity) -> [String: Any] {
        let now = Date()
        var context: [String: Any] = [
            "title": title, "prefix": prefix, "csrf": csrfToken(request), "actor": identity.role == .none ? "" : identity.actor,
            "admin": identity.role == .admin, "actions": identity.role == .admin && allowsActions,
            "actionsElsewhere": identity.role == .admin && !allowsActions, "canLogout": !auth.open && identity.role > .none,
            "timezone": "UTC", "nowISO": ISO8601.format(now), "nowText": CellView.absolute(now),
        ]
        if let flash = request.parameters["done"], !flash.isEmpty, issuedFlashes.contains(flash) {
            context["flash"] = flash
        }
        return context
    }

    func errorPage(_ request: Request, _ status: HTTPResponse.Status, _ heading: String, _ message: String) -> Response {
        if request.wantsJSON { return Reply.jsonError(status, message) }
        var context = pageContext(request, title: heading, identity: auth.identify(request))
        context["heading"] = heading
        context["message"] = message
        return Reply.html(templates.render("error", context), status: status)
    }

    /// The CSRF token of this browser: its cookie's, or a new one that ``ensureCSRFCookie(_:_:)``
    /// then sets (the same value: it is derived once per request and kept in the request's context).
    func csrfToken(_ request: Request) -> String {
        if let existing = request.cookies[DashboardAuth.csrfCookie]?.value, existing.utf8.count >= 32 { return existing }
        return CSRFSeed.current ?? DashboardAuth.randomToken()
    }

    func ensureCSRFCookie(_ request: Request, _ response: inout Response) {
        if let existing = request.cookies[DashboardAuth.csrfCookie]?.value, existing.utf8.count >= 32 { return }
        guard let token = CSRFSeed.current else { return }
        response.setCookie(Cookie(name: DashboardAuth.csrfCookie, value: token, path: "/", httpOnly: true, sameSite: .strict))
    }
}

/// The new CSRF token of the request being answered, so the page's forms and its cookie agree.
enum CSRFSeed {
    @TaskLocal static var current: String?
}
