import AsyncDash
import Testing

@Suite("Typed task functions")
struct TypedTaskFunctionTests {
    struct Args: Codable, Sendable { var count: Int; var label: String? }
    struct Output: Codable, Sendable { var doubled: Int; var label: String }

    static let double = TaskFunction.typed("test.tasks.double") { (args: Args, _) in
        Output(doubled: args.count * 2, label: args.label ?? "none")
    }

    @Test func argumentsDecodeAndTheResultEncodes() async throws {
        let context = TaskContext(taskName: "t") { _ in }
        #expect(try await Self.double.run(["count": 21], context) == ["doubled": 42, "label": "none"])
    }

    @Test func badArgumentsFailWithAnErrorNamingTheFunctionAndTheArgument() async throws {
        let context = TaskContext(taskName: "t") { _ in }
        await #expect {
            _ = try await Self.double.run(["count": "many"], context)
        } throws: { error in
            "\(error)".contains("test.tasks.double") && "\(error)".contains("argument 'count'")
        }
        await #expect {
            _ = try await Self.double.run(["label": "x"], context)
        } throws: { error in
            "\(error)".contains("missing argument 'count'")
        }
    }

    @Test(arguments: Backend.allCases)
    func aTypedFunctionRunsThroughTheFullLifecycle(_ backend: Backend) async throws {
        let manager = try await makeSampleManager(backend)
        let run = try await manager.runTask(Self.double, args: ["count": 5], taskName: "typed")
        #expect(run.result == ["doubled": 10, "label": "none"])
        let failed = try await manager.runTask(Self.double, args: ["count": true], taskName: "typed-bad")
        #expect(failed.failure?.contains("argument 'count'") == true)
        #expect(try await manager.requireRecord("typed-bad")["status"] == .text("failed"))
    }
}
