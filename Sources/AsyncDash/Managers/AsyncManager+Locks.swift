extension AsyncManager {
    /// Locks every object for `taskName`, all or nothing (TTL `CONFLICT_TTL`).
    ///
    /// - Throws: ``AsyncDashError`` with code ``AsyncDashError/Code/conflict`` listing the locked
    ///   objects and their holders; nothing is locked then.
    public func reserveConflictLocks(for taskName: String, objects: [ObjectRef]) async throws {
        try Self.validate(taskName: taskName)
        guard !objects.isEmpty else { return }
        let keys = Array(Set(objects.map(\.lockKey))).sorted()
        switch try await stores.coordination.reserveLocks(keys, owner: taskName, ttl: settings.conflictTTL) {
        case .reserved:
            return
        case .conflict(let held):
            let locked = try held.keys.sorted().map { LockedObject(object: try ObjectRef(parsing: $0), heldBy: held[$0] ?? "") }
            throw AsyncDashError(
                .conflict,
                value: taskName,
                message: "task '\(taskName)' conflicts with running work: \(locked.map(\.description).joined(separator: ", "))",
                lockedObjects: locked
            )
        }
    }

    /// The objects among `objects` that are locked, with their holders (empty: no conflict).
    public func checkConflict(_ objects: [ObjectRef]) async throws -> [LockedObject] {
        let held = try await stores.coordination.lockOwners(objects.map(\.lockKey))
        return objects.filter { held[$0.lockKey] != nil }.sorted().map { LockedObject(object: $0, heldBy: held[$0.lockKey] ?? "") }
    }

    /// Releases every lock `taskName` holds. Idempotent; returns the keys released.
    @discardableResult
    public func releaseConflictLocks(for taskName: String) async throws -> [String] {
        try Self.validate(taskName: taskName)
        return try await stores.coordination.releaseLocks(owner: taskName)
    }

    /// Adds `taskName` to the active set (idempotent).
    public func registerActiveTask(_ taskName: String) async throws {
        try Self.validate(taskName: taskName)
        try await stores.coordination.addActiveTask(taskName)
    }

    /// Removes `taskName` from the active set; returns whether it was there.
    @discardableResult
    public func unregisterActiveTask(_ taskName: String) async throws -> Bool {
        try await stores.coordination.removeActiveTask(taskName)
    }

    /// The active set, sorted.
    public func activeTasks() async throws -> [String] {
        try await stores.coordination.activeTasks()
    }
}
