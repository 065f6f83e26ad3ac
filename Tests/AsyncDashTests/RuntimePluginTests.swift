import AsyncDash
import AsyncDashSQLite
import AsyncDashTesting
import Foundation
import Sample
import Testing

/// Run-time plugins (issue 10): shared libraries built by the test with the system C compiler
/// against `asyncdash_plugin.h`, loaded through `PLUGINS` in config.
@Suite("Run-time plugins (C ABI)")
struct RuntimePluginTests {
    static let header = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Sources/CAsyncDashPlugin/include").path

    /// A plugin in C: `ctest.observers.file` appends each event's JSON to the file of option
    /// `path` and answers with the status of option `status` (0, 1 or 2); `ctest.formatters.upper`
    /// upper-cases a string.
    static let pluginSource = #"""
        #include <stdio.h>
        #include <stdlib.h>
        #include <string.h>
        #include <ctype.h>
        #include "asyncdash_plugin.h"

        typedef struct { char path[1024]; int status; } file_observer;

        static void say(asyncdash_buffer *b, const char *text) {
            size_t n = strlen(text); if (n > b->capacity) n = b->capacity;
            memcpy(b->bytes, text, n); b->length = n;
        }
        /* A tiny reader of {"path":"…","status":N}: enough for the test's options. */
        static int read_options(const char *json, file_observer *o) {
            const char *p = strstr(json, "\"path\":\"");
            if (!p) return 1;
            p += 8; size_t i = 0;
            while (*p && *p != '"' && i < sizeof(o->path) - 1) o->path[i++] = *p++;
            o->path[i] = 0;
            const char *s = strstr(json, "\"status\":");
            o->status = s ? atoi(s + 9) : 0;
            return 0;
        }
        static int32_t observe(void *instance, const char *event, size_t length, asyncdash_buffer *message) {
            file_observer *o = instance;
            FILE *f = fopen(o->path, "a");
            if (!f) { say(message, "cannot open the file"); return ASYNCDASH_RETRY_LATER; }
            fwrite(event, 1, length, f); fputc('\n', f); fclose(f);
            if (o->status != 0) say(message, "told to fail");
            return o->status;
        }
        static void release(void *instance) { free(instance); }
        static int32_t make_file(void *context, const char *options, size_t length, asyncdash_observer_v1 *out, asyncdash_buffer *message) {
            file_observer *o = calloc(1, sizeof *o);
            if (read_options(options, o) != 0) { free(o); say(message, "option 'path' is required"); return 1; }
            out->instance = o; out->observe = observe; out->release = release;
            return 0;
        }
        static int32_t upper(void *instance, const char *value, size_t length, asyncdash_buffer *output) {
            if (length + 1 > output->capacity) return 1;
            for (size_t i = 0; i < length; i++) output->bytes[i] = (char)toupper((unsigned char)value[i]);
            output->length = length;
            return 0;
        }
        static int32_t make_upper(void *context, const char *options, size_t length, asyncdash_formatter_v1 *out, asyncdash_buffer *message) {
            out->instance = NULL; out->format = upper; out->release = NULL;
            return 0;
        }
        int32_t asyncdash_plugin_register_v1(const asyncdash_host_v1 *host) {
            if (host->abi_version != ASYNCDASH_PLUGIN_ABI_VERSION) return 1;
            host->log(host->host, ASYNCDASH_LOG_INFO, "ctest plugin loading");
            if (host->register_observer(host->host, "ctest.observers.file", make_file, NULL) != 0) return 2;
            if (host->register_formatter(host->host, "ctest.formatters.upper", make_upper, NULL) != 0) return 3;
            return 0;
        }
        """#

    /// Compiles `source` into a shared library in a fresh folder; returns its path.
    static func build(_ source: String, name: String = "libctest.so") async throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("plugin-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let file = folder.appendingPathComponent("plugin.c")
        try source.write(to: file, atomically: true, encoding: .utf8)
        let library = folder.appendingPathComponent(name).path
        let compiler = Process()
        compiler.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        compiler.arguments = ["cc", "-shared", "-fPIC", "-O0", "-I", header, "-o", library, file.path]
        try compiler.run()
        // Waited for with sleeps, never a blocking wait on the cooperative pool (2 threads here).
        while compiler.isRunning { try await Task.sleep(for: .milliseconds(20)) }
        compiler.waitUntilExit()
        try #require(compiler.terminationStatus == 0, "cc could not build the test plugin")
        return library
    }

    static func config(plugins: [String], observers: String = "", formatters: String = "") -> String {
        """
        PLUGINS: [\(plugins.map { "\"\($0)\"" }.joined(separator: ", "))]
        ASYNC_MANAGER_DEFAULT:
          manager_class: sample.async_manager.SampleAsyncManager
          config:
            record_model_path: sample.AsyncTaskRecord
        \(formatters)
        \(observers)
        """
    }

    @Test func aPluginsObserverGetsEveryEventAndItsStatusBecomesTheDelivery() async throws {
        let library = try await Self.build(Self.pluginSource)
        let folder = URL(fileURLWithPath: library).deletingLastPathComponent()
        let delivered = folder.appendingPathComponent("delivered.jsonl").path
        let refused = folder.appendingPathComponent("refused.jsonl").path
        let resolved = try ConfigResolver.parse(Self.config(plugins: [library], observers: """
                observers:
                  - type: ctest.observers.file
                    path: \(delivered)
                    durable: true
                  - type: ctest.observers.file
                    name: refusing
                    path: \(refused)
                    status: 2
                    durable: true
            """), file: "config.yaml", registry: testRegistry())
        #expect(resolved.plugins == [LoadedPlugin(path: library, observers: ["ctest.observers.file"], formatters: ["ctest.formatters.upper"])])
        #expect(resolved.registry.origin(of: "ctest.observers.file") == "plugin \(library)")
        let stores = try await StoreSet.sqlite(path: folder.appendingPathComponent("store.sqlite").path)
        let manager = try await resolved.makeManager(stores: stores)
        try await manager.runTask(SampleTasks.updateItems, args: ["count": 2], taskName: "t1")
        let dispatcher = OutboxDispatcher(managers: [manager])
        while try await dispatcher.deliverDue() > 0 {}
        let lines = try String(contentsOfFile: delivered, encoding: .utf8).split(separator: "\n")
        #expect(lines.compactMap { try? JSONValue(parsing: String($0))["event"]?.stringValue } == ["create", "progress", "progress", "complete", "cleanup"])
        let dead = try await stores.outbox.entries(consumer: nil, states: [.dead], limit: 10)
        #expect(dead.count == 5, "the second instance gives up on every event at once")
        #expect(dead.first?.lastError?.contains("gave up: told to fail") == true, "\(dead.first?.lastError ?? "")")
    }

    @Test func aPluginsFormatterFormatsTheUserLabel() async throws {
        let library = try await Self.build(Self.pluginSource)
        let resolved = try ConfigResolver.parse(Self.config(plugins: [library], formatters: """
                formatters:
                  user: ctest.formatters.upper
            """), file: "config.yaml", registry: testRegistry())
        let manager = try #require(try await resolved.makeManager(stores: StoreSet.memory()) as? ModelTrackingAsyncManager)
        try await manager.stores.records.prepare(manager.recordModel)
        await manager.emit(LifecycleEvent(.create, task: "t1", user: "ada"))
        let record = try await manager.record(for: "t1")
        #expect(record?["user_label"] == .text("ADA"), "the plugin upper-cased the user: \(String(describing: record))")
    }

    @Test func eachBrokenPluginIsAConfigErrorNamingTheFile() async throws {
        let noEntry = try await Self.build("int something(void) { return 1; }", name: "libnoentry.so")
        let futureABI = try await Self.build(
            "#include <stdint.h>\nint32_t asyncdash_plugin_register_v2(const void *host) { return 0; }", name: "libfuture.so")
        let refusing = try await Self.build(
            "#include \"asyncdash_plugin.h\"\nint32_t asyncdash_plugin_register_v1(const asyncdash_host_v1 *h) { h->log(h->host, 3, \"no licence\"); return 7; }",
            name: "librefusing.so")
        let badName = try await Self.build("""
            #include "asyncdash_plugin.h"
            static int32_t make(void *c, const char *o, size_t l, asyncdash_observer_v1 *out, asyncdash_buffer *m) { return 1; }
            int32_t asyncdash_plugin_register_v1(const asyncdash_host_v1 *h) {
                h->register_observer(h->host, "not dotted", make, 0);
                h->register_observer(h->host, "asyncdash.observers.log", make, 0);
                return 0;
            }
            """, name: "libbadname.so")
        let notALibrary = FileManager.default.temporaryDirectory.appendingPathComponent("not-a-library-\(UUID().uuidString.prefix(6)).so").path
        try "hello".write(toFile: notALibrary, atomically: true, encoding: .utf8)
        do {
            _ = try ConfigResolver.parse(
                Self.config(plugins: ["/no/such/libx.so", notALibrary, noEntry, futureABI, refusing, badName]), file: "config.yaml", registry: testRegistry())
            Issue.record("expected a config error")
        } catch {
            let text = error.description
            #expect(text.contains("config.yaml:1"), "\(text)")
            #expect(text.contains("plugin '/no/such/libx.so': no such file"), "\(text)")
            #expect(text.contains("plugin '\(notALibrary)': cannot be loaded as a shared library"), "\(text)")
            #expect(text.contains("plugin '\(noEntry)': it has no entry point asyncdash_plugin_register_v1"), "\(text)")
            #expect(text.contains("plugin '\(futureABI)': it is built for plugin ABI version 2; this AsyncDash speaks version 1"), "\(text)")
            #expect(text.contains("plugin '\(refusing)': its entry point refused to load (status 7)"), "\(text)")
            #expect(text.contains("'not dotted' is not a dotted name"), "\(text)")
            #expect(text.contains("'asyncdash.observers.log' is already registered"), "\(text)")
        }
    }

    @Test func aRelativePathIsTakenFromTheConfigFilesFolder() {
        #expect(PluginLibrary.path("plugins/libx.so", configFile: "/etc/asyncdash/config.yaml") == "/etc/asyncdash/plugins/libx.so")
        #expect(PluginLibrary.path("/opt/libx.so", configFile: "/etc/asyncdash/config.yaml") == "/opt/libx.so")
    }
}
