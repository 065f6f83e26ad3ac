import CAsyncDashPlugin
import Dispatch
import Foundation
import Synchronization

/// An observer instance of a run-time plugin: each event's JSON goes to the plugin's `observe`
/// on a serial queue of its own (so one instance's calls never overlap and never run on the
/// async executor's threads); its status becomes a delivery, a retry or a give-up.
final class PluginObserver: LifecycleObserver, @unchecked Sendable {
    // @unchecked: `observer` and `message` are touched only on `queue`, one call at a time.
    private let observer: asyncdash_observer_v1
    private let message = PluginBuffer(capacity: 4_096)
    private let queue: DispatchQueue
    let name: String
    let plugin: String

    private init(observer: asyncdash_observer_v1, name: String, plugin: String) {
        self.observer = observer
        self.name = name
        self.plugin = plugin
        queue = DispatchQueue(label: "asyncdash.plugin.\(name)")
    }

    deinit {
        if let release = observer.release { release(observer.instance) }
    }

    /// Makes an instance through the plugin's `make` with the entry's options as JSON.
    static func make(_ entry: PluginRegistrations.Entry<asyncdash_make_observer_v1>, options: ComponentOptions, plugin: String) throws -> PluginObserver {
        let made = try PluginBuffer.make(asyncdash_observer_v1(), options: options, plugin: plugin) { entry.make(entry.context, $0, $1, $2, $3) }
        guard made.observe != nil else {
            if let release = made.release { release(made.instance) }
            throw OptionError(key: "type", message: "the plugin (\(plugin)) made an observer without an observe function")
        }
        return PluginObserver(observer: made, name: entry.name, plugin: plugin)
    }

    func observe(_ event: LifecycleEvent) async throws {
        let json = event.json.jsonText
        let (status, reason) = await withCheckedContinuation { (continuation: CheckedContinuation<(Int32, String), Never>) in
            queue.async { [self] in
                message.reset()
                guard let observe = observer.observe else { return continuation.resume(returning: (ASYNCDASH_GIVE_UP, "no observe function")) }
                let status = json.withCString { text in observe(observer.instance, text, strlen(text), &message.raw) }
                continuation.resume(returning: (status, message.text))
            }
        }
        switch status {
        case ASYNCDASH_DELIVERED: return
        case ASYNCDASH_GIVE_UP: throw DeliveryFailure.giveUp("\(name) (plugin \(plugin)) gave up: \(reason.isEmpty ? "no reason given" : reason)")
        default: throw DeliveryFailure.retry("\(name) (plugin \(plugin)) failed (status \(status)): \(reason.isEmpty ? "no reason given" : reason)")
        }
    }
}

/// A formatter instance of a run-time plugin: called inline, one call at a time per instance.
final class PluginFormatter: FieldFormatter, @unchecked Sendable {
    // @unchecked: `formatter` and `output` are touched only under `lock`.
    private let formatter: asyncdash_formatter_v1
    private let output = PluginBuffer(capacity: 65_536)
    private let lock = Mutex(())
    let name: String

    private init(formatter: asyncdash_formatter_v1, name: String) {
        self.formatter = formatter
        self.name = name
    }

    deinit {
        if let release = formatter.release { release(formatter.instance) }
    }

    static func make(_ entry: PluginRegistrations.Entry<asyncdash_make_formatter_v1>, options: ComponentOptions, plugin: String) throws -> PluginFormatter {
        let made = try PluginBuffer.make(asyncdash_formatter_v1(), options: options, plugin: plugin) { entry.make(entry.context, $0, $1, $2, $3) }
        guard made.format != nil else {
            if let release = made.release { release(made.instance) }
            throw OptionError(key: "type", message: "the plugin (\(plugin)) made a formatter without a format function")
        }
        return PluginFormatter(formatter: made, name: entry.name)
    }

    /// The plugin's JSON for `value`; `value` itself when the plugin fails or writes no JSON.
    func format(_ value: JSONValue?) -> JSONValue? {
        let json = (value ?? .null).jsonText
        return lock.withLock { _ in
            output.reset()
            guard let format = formatter.format else { return value }
            let status = json.withCString { text in format(formatter.instance, text, strlen(text), &output.raw) }
            guard status == 0, let parsed = try? JSONValue(parsing: output.text) else { return value }
            return parsed == .null ? nil : parsed
        }
    }
}

extension PluginBuffer {
    /// Calls a plugin's `make` function with a config entry's options as JSON text; returns what
    /// it made, or throws its reason as an option error of the entry.
    static func make<Made>(
        _ empty: Made, options: ComponentOptions, plugin: String,
        _ call: (UnsafePointer<CChar>, Int, UnsafeMutablePointer<Made>, UnsafeMutablePointer<asyncdash_buffer>) -> Int32
    ) throws -> Made {
        let json = JSONValue.object(options.values).jsonText
        let message = PluginBuffer(capacity: 4_096)
        var made = empty
        let status = json.withCString { text in call(text, strlen(text), &made, &message.raw) }
        guard status == 0 else {
            throw OptionError(key: "type", message: "the plugin (\(plugin)) refused the options: \(message.text.isEmpty ? "status \(status)" : message.text)")
        }
        return made
    }
}
