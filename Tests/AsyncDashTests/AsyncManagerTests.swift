import AsyncDash
import AsyncDashTesting
import Foundation
import Sample
import Testing

@Suite("AsyncManager: progress, locks, active set, safe emission")
struct AsyncManagerTests {
    private func baseManager(_ backend: Backend, clock: any AsyncDashClock = SystemClock(), observers: [ObserverRegistration] = []) async throws -> AsyncManager {
        try AsyncManager(context: ManagerContext(name: "asyncdash.AsyncManager", stores: await backend.makeStores(clock: clock), observers: ObserverChain(observers)))
    }

    @Test(arguments: Backend.allCases)
    func updateProgressWithAnEmptyTaskNameIsATypedError(_ backend: Backend) async throws {
        let manager = try await baseManager(backend)
        await #expect {
            try await manager.updateProgress("", .text("x"))
        } throws: { error in
            (error as? AsyncDashError)?.code == .invalidTaskName
        }
        await #expect {
            _ = try await manager.getProgress("  ")
        } throws: { error in
            (error as? AsyncDashError)?.code == .invalidTaskName
        }
    }

    @Test(arguments: Backend.allCases)
    func progressIsStoredEmittedAndExpiresAfterItsTTL(_ backend: Backend) async throws {
        let clock = ManualClock()
        let recorder = RecordingObserver()
        let manager = try await baseManager(backend, clock: clock, observers: [.init(name: "recorder", observer: recorder)])
        try await manager.updateProgress("t1", .text("reading"))
        #expect(try await manager.getProgress("t1") == .text("reading"))
        #expect(await manager.flushObservers(timeout: .seconds(120)), "observers still busy after 120 s")
        #expect(recorder.events.map(\.kind) == [.progress])
        #expect(recorder.events.first?.message == "reading")
        clock.advance(by: manager.settings.progressTTL + .seconds(1))
        #expect(try await manager.getProgress("t1") == nil)
    }

    @Test(arguments: Backend.allCases)
    func reservingLocksIsAllOrNothingAndTheConflictNamesTheHolder(_ backend: Backend) async throws {
        let manager = try await baseManager(backend)
        try await manager.reserveConflictLocks(for: "a", objects: ObjectRef.many(model: "book", ids: [1, 2]))
        await #expect {
            try await manager.reserveConflictLocks(for: "b", objects: ObjectRef.many(model: "book", ids: [2, 3]))
        } throws: { error in
            guard let error = error as? AsyncDashError, error.code == .conflict else { return false }
            return error.lockedObjects == [LockedObject(object: ObjectRef(model: "book", id: "2"), heldBy: "a")]
        }
        // book:3 was not taken by the failed reservation.
        #expect(try await manager.checkConflict([ObjectRef(model: "book", id: "3")]).isEmpty)
        let conflicts = try await manager.checkConflict(ObjectRef.many(model: "book", ids: [1, 2, 3]))
        #expect(conflicts.map(\.object.lockKey) == ["book:1", "book:2"])
        #expect(conflicts.allSatisfy { $0.heldBy == "a" })
    }

    @Test(arguments: Backend.allCases)
    func releaseIsIdempotentAndFreesTheObjects(_ backend: Backend) async throws {
        let manager = try await baseManager(backend)
        try await manager.reserveConflictLocks(for: "a", objects: ObjectRef.many(model: "book", ids: [1, 2]))
        #expect(try await manager.releaseConflictLocks(for: "a").sorted() == ["book:1", "book:2"])
        #expect(try await manager.releaseConflictLocks(for: "a") == [])
        try await manager.reserveConflictLocks(for: "b", objects: ObjectRef.many(model: "book", ids: [1]))
        #expect(try await manager.releaseConflictLocks(for: "a") == [])
        #expect(try await manager.checkConflict([ObjectRef(model: "book", id: "1")]).map(\.heldBy) == ["b"])
    }

    @Test(arguments: Backend.allCases)
    func locksExpireOnlyByTTL(_ backend: Backend) async throws {
        let clock = ManualClock()
        let manager = try await baseManager(backend, clock: clock)
        try await manager.reserveConflictLocks(for: "a", objects: ObjectRef.many(model: "row", ids: 0..<500))
        clock.advance(by: manager.settings.conflictTTL - .seconds(1))
        #expect(try await manager.checkConflict(ObjectRef.many(model: "row", ids: 0..<500)).count == 500)
        clock.advance(by: .seconds(2))
        #expect(try await manager.checkConflict(ObjectRef.many(model: "row", ids: 0..<500)).isEmpty)
        try await manager.reserveConflictLocks(for: "b", objects: ObjectRef.many(model: "row", ids: [7]))
    }

    @Test(arguments: Backend.allCases)
    func activeSetRegistrationIsIdempotent(_ backend: Backend) async throws {
        let manager = try await baseManager(backend)
        try await manager.registerActiveTask("t1")
        try await manager.registerActiveTask("t1")
        try await manager.registerActiveTask("t2")
        #expect(try await manager.activeTasks() == ["t1", "t2"])
        #expect(try await manager.unregisterActiveTask("t1"))
        #expect(try await manager.unregisterActiveTask("t1") == false)
        #expect(try await manager.activeTasks() == ["t2"])
    }

    @Test(arguments: Backend.allCases)
    func aThousandConcurrentActiveRegistrationsAreAllKept(_ backend: Backend) async throws {
        let manager = try await baseManager(backend)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<1000 {
                group.addTask { try await manager.registerActiveTask("task-\(i)") }
            }
            try await group.waitForAll()
        }
        #expect(try await manager.activeTasks().count == 1000)
    }

    @Test(arguments: Backend.allCases)
    func opposingReservationsHaveExactlyOneWinnerInTenThousandTrials(_ backend: Backend) async throws {
        let manager = try await baseManager(backend)
        var bothWon = 0
        var noneWon = 0
        for trial in 0..<10_000 {
            let first = ObjectRef.many(model: "t\(trial)", ids: [1, 2, 3])
            let second = Array(first.reversed())
            async let a = Self.tryReserve(manager, "a\(trial)", first)
            async let b = Self.tryReserve(manager, "b\(trial)", second)
            let (wonA, wonB) = try await (a, b)
            if wonA && wonB { bothWon += 1 }
            if !wonA && !wonB { noneWon += 1 }
        }
        #expect(bothWon == 0)
        #expect(noneWon == 0)
    }

    private static func tryReserve(_ manager: AsyncManager, _ task: String, _ objects: [ObjectRef]) async throws -> Bool {
        do {
            try await manager.reserveConflictLocks(for: task, objects: objects)
            return true
        } catch let error as AsyncDashError where error.code == .conflict {
            return false
        }
    }

    @Test(arguments: Backend.allCases)
    func aThrowingHookIsCountedAndDeadLetteredNeverPropagated(_ backend: Backend) async throws {
        final class BrokenManager: AsyncManager, @unchecked Sendable {
            struct Broken: Error {}
            override func asyncTaskLifecycle(_ event: LifecycleEvent) async throws { throw Broken() }
        }
        let recorder = RecordingObserver()
        let manager = try await BrokenManager(context: ManagerContext(
            name: "broken", stores: backend.makeStores(), observers: ObserverChain([.init(name: "recorder", observer: recorder)])
        ))
        let outcome = await manager.emit(LifecycleEvent(.fail, task: "t1", message: "boom"))
        #expect(outcome.hookError != nil)
        #expect(await manager.flushObservers(timeout: .seconds(120)), "observers still busy after 120 s")
        #expect(recorder.events.count == 1)  // observers still run
        #expect(await manager.diagnostics.snapshot.hookFailures == 1)
        let letters = try await manager.stores.coordination.deadLetters()
        #expect(letters.count == 1)
        #expect(letters.first?.taskName == "t1")
        #expect(letters.first?.event["message"] == "boom")
        await #expect(throws: BrokenManager.Broken.self) {
            try await manager.emitOrThrow(LifecycleEvent(.fail, task: "t2"))
        }
    }

    @Test
    func objectReferencesParseAndRejectMalformedText() throws {
        #expect(try ObjectRef(parsing: "book:42") == ObjectRef(model: "book", id: "42"))
        #expect(try ObjectRef(parsing: "app.book:a:b") == ObjectRef(model: "app.book", id: "a:b"))
        for bad in ["book", ":1", "book:", ""] {
            #expect(throws: AsyncDashError.self) { try ObjectRef(parsing: bad) }
        }
    }
}
