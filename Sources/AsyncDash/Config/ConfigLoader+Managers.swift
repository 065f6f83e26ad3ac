import Yams

extension ConfigLoader {
    /// Keys of a manager's configuration (inside `config:` or inline).
    static let managerConfigKeys = ["record_model_path", "field_map", "formatters", "observers", "create_defaults"]

    static func readDefaultManager(_ node: Node, into config: inout AsyncDashConfig, reader: inout YAMLReader) {
        guard let members = reader.mapping(node, "ASYNC_MANAGER_DEFAULT") else { return }
        var declaration = ManagerDeclaration(name: Located("ASYNC_MANAGER_DEFAULT", at: reader.location(node)))
        declaration.base = config.defaultManager.base
        for (key, keyNode, value) in members {
            readManagerMember(key, keyNode, value, baseKey: "manager_class", what: "ASYNC_MANAGER_DEFAULT", into: &declaration, reader: &reader)
        }
        config.defaultManager = declaration
    }

    static func readManagers(_ node: Node, into config: inout AsyncDashConfig, reader: inout YAMLReader) {
        guard let entries = reader.mapping(node, "MANAGERS") else { return }
        for (name, nameNode, value) in entries {
            guard let dotted = reader.dottedName(nameNode, "a MANAGERS name") else { continue }
            var declaration = ManagerDeclaration(name: dotted)
            guard let members = reader.mapping(value, "MANAGERS.\(name)") else { continue }
            for (key, keyNode, member) in members {
                readManagerMember(key, keyNode, member, baseKey: "base", what: "MANAGERS.\(name)", into: &declaration, reader: &reader)
            }
            if declaration.base == nil {
                reader.error("MANAGERS.\(name) needs a base: the dotted name of a registered manager (e.g. asyncdash.ModelTrackingAsyncManager)", at: nameNode)
            }
            config.managers.append(declaration)
        }
    }

    /// One member of a manager declaration: its base (`manager_class` or `base`), `fallback`,
    /// `config`, or a manager-config key written inline.
    private static func readManagerMember(
        _ key: String, _ keyNode: Node, _ value: Node, baseKey: String, what: String,
        into declaration: inout ManagerDeclaration, reader: inout YAMLReader
    ) {
        switch key {
        case baseKey: declaration.base = reader.dottedName(value, "\(what).\(key)")
        case "fallback": declaration.fallback = reader.dottedName(value, "\(what).fallback")
        case "config": readManagerConfig(value, what: "\(what).config", into: &declaration, reader: &reader)
        default:
            if managerConfigKeys.contains(key) {
                readManagerConfigKey(key, value, what: what, into: &declaration, reader: &reader)
            } else {
                reader.unknownKey(key, at: keyNode, in: what, valid: [baseKey, "fallback", "config"] + managerConfigKeys)
            }
        }
    }

    private static func readManagerConfig(_ node: Node, what: String, into declaration: inout ManagerDeclaration, reader: inout YAMLReader) {
        guard let members = reader.mapping(node, what) else { return }
        for (key, keyNode, value) in members {
            if managerConfigKeys.contains(key) {
                readManagerConfigKey(key, value, what: what, into: &declaration, reader: &reader)
            } else {
                reader.unknownKey(key, at: keyNode, in: what, valid: managerConfigKeys)
            }
        }
    }

    private static func readManagerConfigKey(_ key: String, _ node: Node, what: String, into declaration: inout ManagerDeclaration, reader: inout YAMLReader) {
        let path = "\(what).\(key)"
        switch key {
        case "record_model_path":
            declaration.recordModelPath = reader.dottedName(node, path)
        case "field_map":
            guard let members = reader.mapping(node, path) else { return }
            for (field, fieldNode, column) in members {
                let target: Located<String>?
                if case .scalar = column, column.tagName == .null {
                    target = Located("", at: reader.location(column))
                } else {
                    target = reader.string(column, "\(path).\(field)")
                }
                if let target { declaration.fieldMap.append((Located(field, at: reader.location(fieldNode)), target)) }
            }
        case "formatters":
            guard let members = reader.mapping(node, path) else { return }
            for (slotName, slotNode, value) in members {
                guard let slot = FormatterSlot(rawValue: slotName) else {
                    reader.unknownKey(slotName, at: slotNode, in: path, valid: FormatterSlot.allCases.map(\.rawValue))
                    continue
                }
                if let component = readComponent(value, what: "\(path).\(slotName)", defaultType: slot.builtinName, reader: &reader) {
                    declaration.formatters[slot] = component
                }
            }
        case "observers":
            guard case .sequence(let items) = node else {
                reader.error("\(path) must be a list of observer entries ({type: …, events: […]}), got \(reader.describe(node))", at: node)
                return
            }
            for (index, item) in items.enumerated() {
                if let observer = readObserver(item, what: "\(path)[\(index)]", reader: &reader) { declaration.observers.append(observer) }
            }
        case "create_defaults":
            guard let members = reader.mapping(node, path) else { return }
            for (column, columnNode, value) in members {
                declaration.createDefaults.append((Located(column, at: reader.location(columnNode)), reader.json(value)))
            }
        default:
            break
        }
    }

    /// `{type: dotted.name, option: value…}`, or a bare dotted name.
    static func readComponent(_ node: Node, what: String, defaultType: String?, reserved: Set<String> = [], reader: inout YAMLReader) -> ComponentDeclaration? {
        let location = reader.location(node)
        if case .scalar = node {
            guard let type = reader.dottedName(node, what) else { return nil }
            return ComponentDeclaration(type: type, options: [:], optionLocations: [:], location: location)
        }
        guard let members = reader.mapping(node, what) else { return nil }
        var type: Located<String>? = defaultType.map { Located($0, at: location) }
        var options: [String: JSONValue] = [:]
        var locations: [String: SourceLocation] = [:]
        var ok = true
        for (key, keyNode, value) in members {
            if key == "type" {
                type = reader.dottedName(value, "\(what).type")
                if type == nil { ok = false }
            } else if reserved.contains(key) {
                continue
            } else if isSecretKey(key) {
                reader.error("\(what).\(key): secrets come only from the environment; write \(key)_env: VARIABLE_NAME instead", at: keyNode)
                ok = false
            } else {
                options[key] = reader.json(value)
                locations[key] = reader.location(keyNode)
            }
        }
        guard ok, let type else {
            if ok { reader.error("\(what) needs a type: the dotted name of a registered component", at: node) }
            return nil
        }
        return ComponentDeclaration(type: type, options: options, optionLocations: locations, location: location)
    }

    private static func readObserver(_ node: Node, what: String, reader: inout YAMLReader) -> ObserverDeclaration? {
        guard case .mapping = node else {
            reader.error("\(what) must be a mapping like {type: asyncdash.observers.log, events: [fail]}, got \(reader.describe(node))", at: node)
            return nil
        }
        // Read the component, then `events` and `timeout_ms` even when the component is bad, so
        // every mistake of the entry is reported in one run.
        let component = readComponent(
            node, what: what, defaultType: nil, reserved: ["name", "events", "timeout_ms", "durable", "buffer", "max_attempts", "max_age_s", "concurrency"], reader: &reader)
        var observer = ObserverDeclaration(component: component ?? ComponentDeclaration(
            type: Located("", at: reader.location(node)), options: [:], optionLocations: [:], location: reader.location(node)))
        if let eventsNode = node["events"] {
            if let names = reader.stringList(eventsNode, "\(what).events") {
                var kinds = Set<LifecycleEventKind>()
                for name in names {
                    if let kind = LifecycleEventKind(parsing: name.value) {
                        kinds.insert(kind)
                    } else {
                        let valid = LifecycleEventKind.allCases.map(\.rawValue)
                        reader.error("'\(name.value)' is not a lifecycle event\(Suggest.didYouMean(name.value, in: valid)); valid events: \(valid.joined(separator: ", "))", at: name.location)
                    }
                }
                observer.events = kinds
            }
        }
        if let nameNode = node["name"], let name = reader.string(nameNode, "\(what).name") {
            if name.value.isEmpty || name.value.count > 100 || name.value.contains("/") || name.value.contains(where: \.isNewline) {
                reader.error("\(what).name must be 1 to 100 characters without '/' or line breaks, got '\(name.value.cutForMessage())'", at: nameNode)
            } else {
                observer.name = name
            }
        }
        if let timeoutNode = node["timeout_ms"] {
            if timeoutNode.tagName == .int, let ms = timeoutNode.int, ms > 0 {
                observer.timeout = .milliseconds(ms)
            } else {
                reader.error("\(what).timeout_ms must be a whole number of milliseconds above 0, got \(reader.describe(timeoutNode))", at: timeoutNode)
            }
        }
        readDelivery(node, what: what, into: &observer, reader: &reader)
        return component == nil ? nil : observer
    }

    /// `durable: true` (with `max_attempts`), or a best-effort `buffer` size.
    private static func readDelivery(_ node: Node, what: String, into observer: inout ObserverDeclaration, reader: inout YAMLReader) {
        var durable = false
        if let durableNode = node["durable"] {
            if durableNode.tagName == .bool, let value = durableNode.bool {
                durable = value
            } else {
                reader.error("\(what).durable must be true or false, got \(reader.describe(durableNode))", at: durableNode)
            }
        }
        func count(_ key: String, _ range: ClosedRange<Int>) -> Int? {
            guard let valueNode = node[key] else { return nil }
            guard valueNode.tagName == .int, let value = valueNode.int, range.contains(value) else {
                reader.error("\(what).\(key) must be a whole number from \(range.lowerBound) to \(range.upperBound), got \(reader.describe(valueNode))", at: valueNode)
                return nil
            }
            return value
        }
        let buffer = count("buffer", ObserverDelivery.bufferRange)
        let attempts = count("max_attempts", ObserverDelivery.maxAttemptsRange)
        let maxAge = count("max_age_s", ObserverDelivery.maxAgeSecondsRange)
        let concurrency = count("concurrency", ObserverDelivery.concurrencyRange)
        if durable {
            if let bufferNode = node["buffer"] {
                reader.error("\(what).buffer applies to best-effort observers; a durable one keeps every event in the outbox (remove buffer, or durable)", at: bufferNode)
            }
            observer.delivery = .durable(
                maxAttempts: attempts ?? ObserverDelivery.defaultMaxAttempts, maxAge: maxAge.map { .seconds($0) } ?? ObserverDelivery.defaultMaxAge,
                concurrency: concurrency ?? ObserverDelivery.defaultConcurrency)
        } else {
            for key in ["max_attempts", "max_age_s", "concurrency"] {
                if let keyNode = node[key] { reader.error("\(what).\(key) applies to durable observers (durable: true)", at: keyNode) }
            }
            observer.delivery = .bestEffort(buffer: buffer ?? ObserverDelivery.defaultBuffer)
        }
    }

    static func readModels(_ node: Node, into config: inout AsyncDashConfig, reader: inout YAMLReader) {
        guard let entries = reader.mapping(node, "MODELS") else { return }
        for (name, nameNode, value) in entries {
            guard let dotted = reader.dottedName(nameNode, "a MODELS name"), let members = reader.mapping(value, "MODELS.\(name)") else { continue }
            var table: Located<String>?
            var key: Located<String>?
            var columns: [(name: Located<String>, type: ColumnType)] = []
            for (member, memberNode, memberValue) in members {
                switch member {
                case "table": table = reader.string(memberValue, "MODELS.\(name).table")
                case "key": key = reader.string(memberValue, "MODELS.\(name).key")
                case "columns":
                    guard let columnEntries = reader.mapping(memberValue, "MODELS.\(name).columns") else { continue }
                    for (column, columnNode, typeNode) in columnEntries {
                        guard let typeName = reader.string(typeNode, "MODELS.\(name).columns.\(column)") else { continue }
                        guard let type = ColumnType(rawValue: typeName.value) else {
                            let valid = ColumnType.allCases.map(\.rawValue)
                            reader.error("'\(typeName.value)' is not a column type\(Suggest.didYouMean(typeName.value, in: valid)); valid types: \(valid.joined(separator: ", "))", at: typeNode)
                            continue
                        }
                        columns.append((Located(column, at: reader.location(columnNode)), type))
                    }
                default:
                    reader.unknownKey(member, at: memberNode, in: "MODELS.\(name)", valid: ["table", "key", "columns"])
                }
            }
            guard let table else {
                reader.error("MODELS.\(name) needs a table name", at: nameNode)
                continue
            }
            config.models.append(ModelDeclaration(name: dotted, table: table, key: key, columns: columns))
        }
    }
}
