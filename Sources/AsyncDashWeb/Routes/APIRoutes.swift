import AsyncDash
import Foundation
import HTTPTypes
import Hummingbird

/// The JSON API and its OpenAPI document.
extension Dashboard {
    func addAPIRoutes(to router: Router<BasicRequestContext>, _ routes: RouteTable) {
        router.get(routes, "/api/openapi.json") { request, _ in
            if let refusal = self.refusalUnlessReader(request) { return refusal }
            return Reply.json(OpenAPIDocument.document(self.settings))
        }
        router.get(routes, "/api/tasks") { request, _ in
            if let refusal = self.refusalUnlessReader(request) { return refusal }
            let parameters = request.parameters
            let list: ListRequest
            var query: RecordPageQuery
            do {
                list = try ListRequest(parameters: parameters, data: self.data)
                var limit = self.settings.pageSize
                if let text = parameters["limit"], !text.isEmpty {
                    guard let value = Int(text), (1...500).contains(value) else {
                        throw DashboardInputError(parameter: "limit", value: text, valid: ["a whole number from 1 to 500"])
                    }
                    limit = value
                }
                query = try list.query(self.data, limit: limit)
            } catch let error as DashboardInputError {
                return Reply.jsonError(.badRequest, error.description, ["parameter": .string(error.parameter)])
            }
            async let pageRead = self.data.records.page(self.data.model, query: query)
            async let countsRead = self.data.statusCounts()
            let (page, counts) = try await (pageRead, countsRead)
            var body: [String: JSONValue] = [
                "tasks": .array(page.records.map(\.json)),
                "counts": .object(counts.mapValues { .int($0) }),
                "has_next": .bool(page.hasNext), "has_previous": .bool(page.hasPrevious),
            ]
            if page.hasNext, let cursor = page.lastCursor { body["next"] = .string(cursor.token) }
            if page.hasPrevious, let cursor = page.firstCursor { body["previous"] = .string(cursor.token) }
            return Reply.json(.object(body))
        }
        router.get(routes, "/api/tasks/{task}") { request, context in
            if let refusal = self.refusalUnlessReader(request) { return refusal }
            guard let name = self.taskParameter(context) else { return Reply.jsonError(.notFound, "no task name") }
            guard let (record, snapshot) = try await self.data.recordAndSnapshot(name) else {
                return Reply.jsonError(.notFound, "no task named '\(name)' has a record", ["task_name": .string(name)])
            }
            let actions = try await self.audit.entries(forTask: name, limit: 50)
            return Reply.json([
                "task": record.json, "live": snapshot.json, "actions": .array(actions.map(\.json)),
            ])
        }
    }
}
