#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CAsyncDashPlugin
import Foundation
import Logging

/// What one run-time plugin registered (`PLUGINS` in config): for `check-config` and logs.
public struct LoadedPlugin: Sendable, Hashable, Codable {
    /// The library's path, as loaded.
    public var path: String
    /// The observer types it registered (dotted names).
    public var observers: [String]
    /// The formatter types it registered.
    public var formatters: [String]

    public init(path: String, observers: [String], formatters: [String]) {
        self.path = path
        self.observers = observers
        self.formatters = formatters
    }
}

/// A plugin library that could not be loaded: the file, and why.
public struct PluginLoadError: Error, CustomStringConvertible, Sendable, Hashable {
    public var path: String
    public var message: String

    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }

    public var description: String { "plugin '\(path)': \(message)" }
}

/// Loads run-time plugins: shared libraries with the C entry point of `asyncdash_plugin.h`
/// (`asyncdash_plugin_register_v1`), whose observers and formatters go into a ``Registry``.
public enum PluginLibrary {
    /// The entry point of ABI version ``abiVersion``.
    public static let entryPoint = "asyncdash_plugin_register_v1"
    /// The ABI version this host speaks.
    public static let abiVersion = UInt32(ASYNCDASH_PLUGIN_ABI_VERSION)

    /// A `PLUGINS` entry's path: itself when absolute, else taken from the folder of `configFile`.
    public static func path(_ path: String, configFile: String) -> String {
        guard !path.hasPrefix("/") else { return path }
        let folder = URL(fileURLWithPath: configFile).deletingLastPathComponent()
        return folder.appendingPathComponent(path).standardizedFileURL.path
    }

    /// Loads the library at `path` and registers what it registers into `registry`, stamped
    /// with the origin `plugin <path>`.
    ///
    /// - Throws: ``PluginLoadError`` for a file that is missing or not a shared library, one
    ///   without the entry point or built for another ABI version, an entry point that refused,
    ///   or a name that is not dotted or is taken. Nothing is registered then.
    public static func load(_ path: String, into registry: inout Registry, logger: Logger) throws(PluginLoadError) -> LoadedPlugin {
        func fail(_ message: String) -> PluginLoadError { PluginLoadError(path: path, message: message) }
        guard FileManager.default.fileExists(atPath: path) else {
            throw fail("no such file; give the path of the plugin's shared library (.so), absolute or from the config file's folder")
        }
        guard let handle = dlopen(path, RTLD_NOW | RTLD_LOCAL) else {
            let reason = dlerror().map { String(cString: $0) } ?? "unknown reason"
            throw fail("cannot be loaded as a shared library: \(reason)")
        }
        guard let symbol = dlsym(handle, entryPoint) else {
            for version in 2...9 where dlsym(handle, "asyncdash_plugin_register_v\(version)") != nil {
                dlclose(handle)
                throw fail("it is built for plugin ABI version \(version); this AsyncDash speaks version \(abiVersion) (rebuild the plugin against this version's asyncdash_plugin.h)")
            }
            dlclose(handle)
            throw fail("it has no entry point \(entryPoint); is it an AsyncDash plugin? (see the article 'Writing a notification plugin')")
        }
        typealias Entry = @convention(c) (UnsafePointer<asyncdash_host_v1>?) -> Int32
        let register = unsafeBitCast(symbol, to: Entry.self)
        let collector = PluginRegistrations(path: path, logger: logger, isTaken: { [registry] in registry.kind(of: $0) != nil })
        let status = withExtendedLifetime(collector) {
            var host = asyncdash_host_v1(
                abi_version: abiVersion, host: Unmanaged.passUnretained(collector).toOpaque(),
                register_observer: PluginRegistrations.registerObserver, register_formatter: PluginRegistrations.registerFormatter,
                log: PluginRegistrations.log)
            return withUnsafePointer(to: &host) { register($0) }
        }
        // The library stays loaded (never dlclose'd) from here on: its code may be running.
        if status != 0 {
            throw fail("its entry point refused to load (status \(status))\(collector.refusals.isEmpty ? "" : ": " + collector.refusals.joined(separator: "; "))")
        }
        if !collector.refusals.isEmpty {
            throw fail(collector.refusals.joined(separator: "; "))
        }
        let origin = "plugin \(path)"
        registry.register(from: origin) { registry in
            for entry in collector.observers {
                registry.register(observer: entry.name) { options in try PluginObserver.make(entry, options: options, plugin: path) }
            }
            for entry in collector.formatters {
                registry.register(formatter: entry.name) { options in try PluginFormatter.make(entry, options: options, plugin: path) }
            }
        }
        return LoadedPlugin(path: path, observers: collector.observers.map(\.name), formatters: collector.formatters.map(\.name))
    }
}

/// What a plugin's entry point registers, collected during the call (the host table's `host`).
final class PluginRegistrations {
    /// One registered type: its name, its `make` function and the plugin's context for it.
    struct Entry<Make>: @unchecked Sendable {
        // @unchecked: a C function pointer and an opaque pointer the plugin owns and keeps valid
        // for the process's life (the ABI's rule); the host only passes it back.
        var name: String
        var make: Make
        var context: UnsafeMutableRawPointer?
    }

    let path: String
    let logger: Logger
    let isTaken: (String) -> Bool
    var observers: [Entry<asyncdash_make_observer_v1>] = []
    var formatters: [Entry<asyncdash_make_formatter_v1>] = []
    var refusals: [String] = []

    init(path: String, logger: Logger, isTaken: @escaping (String) -> Bool) {
        self.path = path
        self.logger = logger
        self.isTaken = isTaken
    }

    /// Whether `name` can be registered; otherwise the refusal is noted.
    func accept(_ name: String) -> Bool {
        guard Self.isDottedName(name) else {
            refusals.append("'\(name.cutForMessage())' is not a dotted name like acme.observers.pager")
            return false
        }
        guard !isTaken(name), !observers.contains(where: { $0.name == name }), !formatters.contains(where: { $0.name == name }) else {
            refusals.append("'\(name)' is already registered")
            return false
        }
        return true
    }

    /// `part.part[.part…]`, each part letters, digits and `_` (not starting with a digit), at most 200 characters.
    static func isDottedName(_ name: String) -> Bool {
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        guard name.count <= 200, parts.count >= 2 else { return false }
        return parts.allSatisfy { part in
            guard let first = part.unicodeScalars.first, !("0"..."9").contains(first) else { return false }
            return part.unicodeScalars.allSatisfy { $0.properties.isAlphabetic && $0.isASCII || ("0"..."9").contains($0) || $0 == "_" }
        }
    }

    static func from(_ host: UnsafeMutableRawPointer?) -> PluginRegistrations? {
        host.map { Unmanaged<PluginRegistrations>.fromOpaque($0).takeUnretainedValue() }
    }

    /// The checked name of a registration the plugin asked for, or `nil` (refusal noted).
    static func accepted(_ host: UnsafeMutableRawPointer?, _ name: UnsafePointer<CChar>?) -> (PluginRegistrations, String)? {
        guard let collector = from(host), let name else { return nil }
        let text = String(cString: name)
        return collector.accept(text) ? (collector, text) : nil
    }

    static let registerObserver: @convention(c) (UnsafeMutableRawPointer?, UnsafePointer<CChar>?, asyncdash_make_observer_v1?, UnsafeMutableRawPointer?) -> Int32 = {
        host, name, make, context in
        guard let make, let (collector, text) = accepted(host, name) else { return 1 }
        collector.observers.append(Entry(name: text, make: make, context: context))
        return 0
    }

    static let registerFormatter: @convention(c) (UnsafeMutableRawPointer?, UnsafePointer<CChar>?, asyncdash_make_formatter_v1?, UnsafeMutableRawPointer?) -> Int32 = {
        host, name, make, context in
        guard let make, let (collector, text) = accepted(host, name) else { return 1 }
        collector.formatters.append(Entry(name: text, make: make, context: context))
        return 0
    }

    static let log: @convention(c) (UnsafeMutableRawPointer?, Int32, UnsafePointer<CChar>?) -> Void = { host, level, message in
        guard let collector = from(host), let message else { return }
        let levels: [Logger.Level] = [.debug, .info, .warning, .error]
        let text = String(String(cString: message).prefix(4_096))
        collector.logger.log(level: levels[Int(min(max(level, 0), 3))], "\(text)", metadata: ["plugin": "\(collector.path)"])
    }
}

/// A host-owned buffer for a plugin to write into (`asyncdash_buffer`).
final class PluginBuffer {
    let capacity: Int
    let bytes: UnsafeMutablePointer<CChar>
    var raw = asyncdash_buffer()

    init(capacity: Int) {
        self.capacity = capacity
        bytes = .allocate(capacity: capacity)
        raw = asyncdash_buffer(bytes: bytes, capacity: capacity, length: 0)
    }

    deinit { bytes.deallocate() }

    /// Resets the length before a call.
    func reset() { raw = asyncdash_buffer(bytes: bytes, capacity: capacity, length: 0) }

    /// What the plugin wrote (its length clamped to the capacity), as text.
    var text: String {
        let length = min(raw.length, capacity)
        return String(decoding: UnsafeRawBufferPointer(start: bytes, count: length), as: UTF8.self)
    }
}
