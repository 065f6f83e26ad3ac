import Logging

extension ResolutionState {
    /// Resolves one manager declaration down its `base` chain and checks everything it names.
    mutating func resolveManager(_ declaration: ManagerDeclaration) -> ResolvedManager? {
        let isDefault = declaration.name.value == "ASYNC_MANAGER_DEFAULT"
        let what = isDefault ? "ASYNC_MANAGER_DEFAULT" : "MANAGERS.\(declaration.name.value)"
        if !isDefault, let kind = registry.kind(of: declaration.name.value) {
            error("\(what): '\(declaration.name.value)' is already a registered \(kind.rawValue); a config-declared manager needs a new name", at: declaration.name.location)
            return nil
        }
        guard let (entry, layers, fallbackReason) = resolveChain(declaration, what: what) else {
            // The base is unknown, but the names this declaration writes can still be checked, so
            // that every mistake is reported in one run.
            checkNamesOnly(declaration, what: what)
            return nil
        }

        // Merge the layers, from the one nearest the registered class to the declaration itself.
        var recordModelPath: Located<String>?
        var fieldMap: [(field: Located<String>, column: Located<String>)] = []
        var formatterDeclarations: [FormatterSlot: ComponentDeclaration] = [:]
        var observerDeclarations: [(String, ObserverDeclaration)] = []
        var createDefaults: [(column: Located<String>, value: JSONValue)] = []
        for layer in layers.reversed() {
            if let path = layer.recordModelPath { recordModelPath = path }
            fieldMap.removeAll { entry in layer.fieldMap.contains { $0.field.value == entry.field.value } }
            fieldMap += layer.fieldMap
            formatterDeclarations.merge(layer.formatters) { _, new in new }
            observerDeclarations += layer.observers.map { (layer.name.value, $0) }
            createDefaults.removeAll { entry in layer.createDefaults.contains { $0.column.value == entry.column.value } }
            createDefaults += layer.createDefaults
        }
        let name = isDefault ? (declaration.base?.value ?? AsyncDashConfig.defaultManagerClass) : declaration.name.value
        var resolved = ResolvedManager(
            name: name, chain: (isDefault ? [] : [declaration.name.value]) + layers.dropFirst().map(\.name.value) + [entry.name],
            entry: entry, fallbackReason: fallbackReason, recordModel: nil,
            fieldMap: Dictionary(fieldMap.map { ($0.field.value, $0.column.value) }, uniquingKeysWith: { _, last in last }),
            effectiveFieldMap: nil, formatters: FormatterSet(), formatterNames: [:], observers: [],
            createDefaults: Dictionary(createDefaults.map { ($0.column.value, $0.value) }, uniquingKeysWith: { _, last in last })
        )
        let before = diagnostics.count

        if entry.isModelTracking {
            checkRecordModel(&resolved, entry: entry, path: recordModelPath, fieldMap: fieldMap, createDefaults: createDefaults, what: what, declaration: declaration)
            if let model = resolved.recordModel, let map = resolved.effectiveFieldMap {
                declaredRecords[declaration.name.value] = DeclaredRecords(model: model, fieldMap: map)
            }
        } else {
            let trackingOnly: [(String, SourceLocation?)] = [
                ("record_model_path", recordModelPath?.location), ("field_map", fieldMap.first?.field.location),
                ("create_defaults", createDefaults.first?.column.location), ("formatters", formatterDeclarations.values.first?.location),
            ]
            for (key, location) in trackingOnly {
                if let location {
                    error("\(what).\(key) only applies to managers based on asyncdash.ModelTrackingAsyncManager; '\(entry.name)' is not one", at: location)
                }
            }
        }
        for (slot, component) in formatterDeclarations.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
            let factoryName = component.type
            do {
                let factory = try registry.formatterFactory(named: factoryName.value)
                if let formatter = build(component, what: "\(what).formatters.\(slot.rawValue)", factory: factory) {
                    resolved.formatters[slot] = formatter
                    resolved.formatterNames[slot] = factoryName.value
                }
            } catch {
                unresolved(error, what: "\(what).formatters.\(slot.rawValue)", at: factoryName.location)
            }
        }
        var durableNames: [String: SourceLocation] = [:]
        for (owner, observer) in observerDeclarations {
            let type = observer.component.type
            let name = observer.name?.value ?? type.value
            if observer.delivery.isDurable {
                let at = observer.name?.location ?? type.location
                if let first = durableNames[name] {
                    error(
                        "\(what): two durable observers are named '\(name)' (the first at \(first)); give each a distinct 'name:' — "
                            + "it names the observer's queue in the outbox, and one queue cannot serve two observers", at: at)
                    continue
                }
                durableNames[name] = at
            }
            let ownerWhat = owner == "ASYNC_MANAGER_DEFAULT" ? owner : "MANAGERS.\(owner)"
            do {
                let factory = try registry.observerFactory(named: type.value)
                if let built = build(observer.component, what: "\(ownerWhat).observers", factory: factory) {
                    if built is any OutboxObserver, !observer.delivery.isDurable {
                        error(
                            "\(ownerWhat).observers: \(type.value) delivers from the store's outbox only, so that sending never holds up a task "
                                + "and nothing is lost when a process stops: add 'durable: true' to its entry", at: type.location)
                        continue
                    }
                    resolved.observers.append(ObserverRegistration(
                        name: name, observer: built, kinds: observer.events, timeout: observer.timeout, delivery: observer.delivery))
                }
            } catch {
                unresolved(error, what: "\(ownerWhat).observers", at: type.location)
            }
        }
        guard diagnostics.count == before else { return nil }

        // Build it once on throw-away memory stores, so the class's own checks run now.
        let context = resolved.context(settings: config.settings, stores: .memory(), registry: registry, logger: logger, diagnostics: ManagerDiagnostics())
        do {
            _ = try entry.makeManager(context)
        } catch {
            self.error("\(what): \(entry.name) cannot be built: \(error)", at: declaration.base?.location ?? declaration.name.location)
            return nil
        }
        return resolved
    }

    /// Checks the formatter and observer names `declaration` writes itself (when its base chain
    /// did not resolve, so nothing can be built).
    private mutating func checkNamesOnly(_ declaration: ManagerDeclaration, what: String) {
        for (slot, component) in declaration.formatters.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
            do {
                let factory = try registry.formatterFactory(named: component.type.value)
                _ = build(component, what: "\(what).formatters.\(slot.rawValue)", factory: factory)
            } catch {
                unresolved(error, what: "\(what).formatters.\(slot.rawValue)", at: component.type.location)
            }
        }
        for observer in declaration.observers {
            do {
                let factory = try registry.observerFactory(named: observer.component.type.value)
                _ = build(observer.component, what: "\(what).observers", factory: factory)
            } catch {
                unresolved(error, what: "\(what).observers", at: observer.component.type.location)
            }
        }
    }

    /// Follows `base` through `MANAGERS` to a registered class. Returns the class and the
    /// declarations passed, most derived first.
    private mutating func resolveChain(
        _ declaration: ManagerDeclaration, what: String
    ) -> (Registry.ManagerEntry, [ManagerDeclaration], String?)? {
        var layers = [declaration]
        var current = declaration
        let declared = Dictionary(config.managers.map { ($0.name.value, $0) }, uniquingKeysWith: { first, _ in first })
        while true {
            guard let base = current.base else { return nil }  // reported by the loader
            if let entry = registry.managers[base.value] { return (entry, layers, nil) }
            if let next = declared[base.value] {
                if layers.contains(where: { $0.name.value == next.name.value }) {
                    error("\(what): the base chain loops back to '\(base.value)' (\(layers.map(\.name.value).joined(separator: " → ")) → \(base.value))", at: base.location)
                    return nil
                }
                layers.append(next)
                current = next
                continue
            }
            let lookupError: RegistryError
            do {
                _ = try registry.manager(named: base.value)
                return nil
            } catch {
                lookupError = error
            }
            if let fallback = layers.lazy.compactMap(\.fallback).first {
                guard let entry = registry.managers[fallback.value] else {
                    do { _ = try registry.manager(named: fallback.value) } catch { unresolved(error, what: "\(what).fallback", at: fallback.location) }
                    return nil
                }
                let reason = "\(lookupError); using fallback '\(fallback.value)' as the config asks"
                logger.warning("manager fallback", metadata: ["declaration": "\(what)", "reason": "\(reason)", "at": "\(base.location)"])
                return (entry, layers, reason)
            }
            unresolved(lookupError, what: current.name.value == "ASYNC_MANAGER_DEFAULT" ? "\(what).manager_class" : "\(what).base",
                       extraCandidates: Array(declared.keys), at: base.location)
            return nil
        }
    }

    private mutating func checkRecordModel(
        _ resolved: inout ResolvedManager,
        entry: Registry.ManagerEntry,
        path: Located<String>?,
        fieldMap: [(field: Located<String>, column: Located<String>)],
        createDefaults: [(column: Located<String>, value: JSONValue)],
        what: String,
        declaration: ManagerDeclaration
    ) {
        guard let modelName = path?.value ?? entry.classRecordModelPath else {
            error("\(what): \(entry.name) is a ModelTrackingAsyncManager and needs a record model; set record_model_path (e.g. sample.AsyncTaskRecord)",
                  at: declaration.base?.location ?? declaration.name.location)
            return
        }
        let model: RecordModel
        do {
            model = try registry.recordModel(named: modelName)
        } catch {
            unresolved(error, what: path == nil ? "\(entry.name).recordModelPath" : "\(what).record_model_path",
                       at: path?.location ?? declaration.base?.location ?? declaration.name.location)
            return
        }
        resolved.recordModel = model
        for (column, _) in createDefaults where model.column(column.value) == nil {
            error("\(what).create_defaults: '\(column.value)' is not a column of record model '\(model.name)'\(Suggest.didYouMean(column.value, in: model.columns.map(\.name)))",
                  at: column.location)
        }
        // Check each config entry on its own first, so every bad entry gets its own line.
        var ok = true
        for (field, column) in fieldMap {
            do {
                _ = try FieldMap(model: model, overrides: [field.value: column.value])
            } catch let mapError as FieldMapError {
                ok = false
                let location = mapError.reason == .unknownField ? field.location : column.location
                error("\(what).\(mapError.description)", at: location)
            } catch {
                ok = false
            }
        }
        guard ok else { return }
        do {
            resolved.effectiveFieldMap = try FieldMap(model: model, overrides: entry.classFieldMap.merging(resolved.fieldMap) { _, c in c })
        } catch {
            self.error("\(what): \(error)", at: fieldMap.first?.field.location ?? declaration.name.location)
        }
    }
}
