import AsyncDash

/// The OpenAPI 3.1 document of the JSON API, served at `/api/openapi.json`.
enum OpenAPIDocument {
    static func document(_ settings: DashboardSettings) -> JSONValue {
        let listParameters: [JSONValue] = [
            parameter("status", "Only tasks with this status.", ["type": "string", "enum": .array(TaskStatus.allCases.map { .string($0.rawValue) })]),
            parameter("q", "Case-insensitive substring of the task name or the user.", ["type": "string", "maxLength": 200]),
            parameter("sort", "Sort by last update, creation or name.", ["type": "string", "enum": ["updated", "created", "name"], "default": "updated"]),
            parameter("order", "Sort direction.", ["type": "string", "enum": ["desc", "asc"], "default": "desc"]),
            parameter("after", "Cursor: the page after this one (`next` of a previous answer).", ["type": "string"]),
            parameter("before", "Cursor: the page before this one (`previous` of a previous answer).", ["type": "string"]),
            parameter("page", "`last` for the last page.", ["type": "string", "enum": ["last"]]),
            parameter("limit", "Page size.", ["type": "integer", "minimum": 1, "maximum": 500, "default": .int(settings.pageSize)]),
        ]
        let error: JSONValue = ["$ref": "#/components/schemas/Error"]
        func response(_ description: String, _ schema: JSONValue) -> JSONValue {
            ["description": .string(description), "content": ["application/json": ["schema": schema]]]
        }
        return [
            "openapi": "3.1.0",
            "info": ["title": "AsyncDash API", "version": "1.0.0",
                     "description": "Task records, live progress and actions of an AsyncDash dashboard. Send `Authorization: Bearer TOKEN` when tokens are configured."],
            "components": [
                "securitySchemes": ["bearer": ["type": "http", "scheme": "bearer"]],
                "schemas": [
                    "Error": ["type": "object", "required": ["error"], "properties": ["error": ["type": "string"]]],
                    "Task": ["type": "object", "description": "A record: its columns by name (the record model's).", "additionalProperties": true],
                    "Live": ["type": "object", "required": ["task_name", "status", "finished"], "properties": [
                        "task_name": ["type": "string"], "status": ["type": "string"], "message": ["type": "string"],
                        "progress": ["description": "Text, or {done, total, unit, message}."], "progress_text": ["type": "string"],
                        "percent": ["type": "integer"], "finished": ["type": "boolean"], "result": [:],
                        "updated_at": ["type": "string", "format": "date-time"], "attempts": ["type": "integer"],
                    ]],
                    "Action": ["type": "object", "properties": [
                        "task_name": ["type": "string"], "action": ["type": "string"], "actor": ["type": "string"],
                        "at": ["type": "string", "format": "date-time"], "outcome": ["type": "string"],
                    ]],
                ],
            ],
            "security": [["bearer": []]],
            "paths": [
                "/api/tasks": ["get": [
                    "summary": "List tasks (keyset pages)", "operationId": "listTasks", "parameters": .array(listParameters),
                    "responses": [
                        "200": response("A page of tasks", ["type": "object", "required": ["tasks", "counts", "has_next", "has_previous"], "properties": [
                            "tasks": ["type": "array", "items": ["$ref": "#/components/schemas/Task"]],
                            "counts": ["type": "object", "additionalProperties": ["type": "integer"]],
                            "has_next": ["type": "boolean"], "has_previous": ["type": "boolean"],
                            "next": ["type": "string"], "previous": ["type": "string"],
                        ]]),
                        "400": response("A parameter with a value that cannot be used", error),
                        "401": response("A token is required", error),
                    ],
                ]],
                "/api/tasks/{task}": ["get": [
                    "summary": "One task", "operationId": "getTask",
                    "parameters": [["name": "task", "in": "path", "required": true, "schema": ["type": "string"]]],
                    "responses": [
                        "200": response("The task's record, live state and actions taken", ["type": "object", "properties": [
                            "task": ["$ref": "#/components/schemas/Task"], "live": ["$ref": "#/components/schemas/Live"],
                            "actions": ["type": "array", "items": ["$ref": "#/components/schemas/Action"]],
                        ]]),
                        "401": response("A token is required", error),
                        "404": response("No such task", error),
                    ],
                ]],
                "/async/progress/": ["get": [
                    "summary": "Poll one task's progress (powercrud's contract)", "operationId": "pollProgress",
                    "parameters": [parameter("task_name", "The task.", ["type": "string"], required: true)],
                    "responses": [
                        "200": response("Pending or running", ["$ref": "#/components/schemas/Live"]),
                        "286": response("Finished: pollers stop", ["$ref": "#/components/schemas/Live"]),
                        "400": response("task_name is missing", error),
                        "401": response("A token is required", error),
                        "404": response("No such task", error),
                    ],
                ]],
            ],
        ]
    }

    static func parameter(_ name: String, _ description: String, _ schema: JSONValue, required: Bool = false) -> JSONValue {
        ["name": .string(name), "in": "query", "required": .bool(required), "description": .string(description), "schema": schema]
    }
}
