import AsyncDash
import Foundation
import Sample
import Testing

/// DESIGN §10 "Config wins": a formatter declared in config for a manager applies whatever its
/// class overrides (the sample manager overrides `formatUser` to write "Anonymous").
@Suite("Config precedence: config formatters win over class overrides")
struct ConfigPrecedenceTests {
    static var shippedConfig: String {
        get throws {
            let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            return try String(contentsOf: root.appendingPathComponent("config.yaml"), encoding: .utf8)
        }
    }

    func userLabel(config: String, user: JSONValue?) async throws -> RecordValue? {
        let resolved = try ConfigResolver.parse(config, file: "config.yaml", registry: testRegistry(), environment: ["ASYNCDASH_STORE": "memory", "ASYNCDASH_QUEUE": "inprocess"])
        let manager = try #require(try await resolved.makeManager(stores: try resolved.makeStores()) as? ModelTrackingAsyncManager)
        await manager.emit(LifecycleEvent(.create, task: "t1", message: "Task queued", user: user))
        return try await manager.record(for: "t1")?["user_label"]
    }

    @Test func theShippedDefaultManagerWithAConfigUserFormatterWritesWhatTheConfigSays() async throws {
        let shipped = try Self.shippedConfig
        #expect(shipped.contains("user: { anonymous: Anonymous }"), "the shipped config declares the user formatter")
        let edited = shipped.replacingOccurrences(of: "user: { anonymous: Anonymous }", with: "user: { anonymous: Nobody }")
        #expect(try await userLabel(config: edited, user: nil) == .text("Nobody"))
        #expect(try await userLabel(config: edited, user: ["username": "ada"]) == .text("ada"))
    }

    @Test func withoutAConfigFormatterTheClassOverrideApplies() async throws {
        let bare = """
            ASYNC_MANAGER_DEFAULT:
              manager_class: sample.async_manager.SampleAsyncManager
            """
        #expect(try await userLabel(config: bare, user: nil) == .text("Anonymous"))
    }

    @Test func aConfigFormatterOnAConfigSubclassWinsOverItsBaseClassOverride() async throws {
        let config = """
            ASYNC_MANAGER_DEFAULT:
              manager_class: app.Quiet
            MANAGERS:
              app.Quiet:
                base: sample.async_manager.SampleAsyncManager
                formatters:
                  user: { anonymous: "" }
            """
        #expect(try await userLabel(config: config, user: nil) == .text(""))
    }
}
