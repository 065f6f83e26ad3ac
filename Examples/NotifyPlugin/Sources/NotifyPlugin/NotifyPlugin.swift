import CAsyncDashPluginABI
import Foundation

// `example.observers.notify_file`: writes one line a person can read for each event —
// "2026-12-01T10:00:00Z import-42 fail: boom" — to the file of option `path`. A write that fails
// asks AsyncDash to try again later (a durable observer's event stays in the outbox until then).

/// One observer instance: the file it writes to.
final class NotifyFile {
    let path: String

    init(path: String) { self.path = path }

    /// Appends the event's line; returns the status for AsyncDash and a reason when it failed.
    func notify(_ event: [String: Any]) -> (Int32, String) {
        let time = event["timestamp"] as? String ?? "?"
        let task = event["task_name"] as? String ?? "?"
        let kind = event["event"] as? String ?? "?"
        let message = (event["message"] as? String).map { $0.isEmpty ? "" : ": \($0)" } ?? ""
        let line = "\(time) \(task) \(kind)\(message)\n"
        guard let file = fopen(path, "a") else {
            return (Int32(ASYNCDASH_RETRY_LATER), "cannot open \(path): \(String(cString: strerror(errno)))")
        }
        defer { fclose(file) }
        guard fputs(line, file) >= 0 else { return (Int32(ASYNCDASH_RETRY_LATER), "cannot write to \(path)") }
        return (Int32(ASYNCDASH_DELIVERED), "")
    }
}

/// Writes `text` into a host-owned buffer: at most its capacity.
func put(_ text: String, into buffer: UnsafeMutablePointer<asyncdash_buffer>?) {
    guard let buffer, let bytes = buffer.pointee.bytes else { return }
    let utf8 = Array(text.utf8.prefix(buffer.pointee.capacity))
    utf8.withUnsafeBufferPointer { source in
        source.baseAddress.map { UnsafeMutableRawPointer(bytes).copyMemory(from: $0, byteCount: utf8.count) }
    }
    buffer.pointee.length = utf8.count
}

/// A JSON object from the host's text, or `nil`.
func object(_ text: UnsafePointer<CChar>?, _ length: Int) -> [String: Any]? {
    guard let text else { return nil }
    let data = Data(bytes: text, count: length)
    return (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
}

let observe: @convention(c) (UnsafeMutableRawPointer?, UnsafePointer<CChar>?, Int, UnsafeMutablePointer<asyncdash_buffer>?) -> Int32 = {
    instance, event, length, message in
    guard let instance else { return Int32(ASYNCDASH_GIVE_UP) }
    let notifier = Unmanaged<NotifyFile>.fromOpaque(instance).takeUnretainedValue()
    guard let event = object(event, length) else {
        put("the event is not a JSON object", into: message)
        return Int32(ASYNCDASH_GIVE_UP)
    }
    let (status, reason) = notifier.notify(event)
    put(reason, into: message)
    return status
}

let release: @convention(c) (UnsafeMutableRawPointer?) -> Void = { instance in
    if let instance { Unmanaged<NotifyFile>.fromOpaque(instance).release() }
}

let makeNotifyFile: @convention(c) (
    UnsafeMutableRawPointer?, UnsafePointer<CChar>?, Int, UnsafeMutablePointer<asyncdash_observer_v1>?, UnsafeMutablePointer<asyncdash_buffer>?
) -> Int32 = { _, options, length, observer, message in
    guard let observer else { return 1 }
    guard let path = object(options, length)?["path"] as? String, !path.isEmpty else {
        put("option 'path' is required: the file to write the notifications to", into: message)
        return 1
    }
    observer.pointee = asyncdash_observer_v1(
        instance: Unmanaged.passRetained(NotifyFile(path: path)).toOpaque(), observe: observe, release: release)
    return 0
}

/// The entry point AsyncDash calls once when it loads the library.
@_cdecl("asyncdash_plugin_register_v1")
public func asyncdashPluginRegister(_ host: UnsafePointer<asyncdash_host_v1>?) -> Int32 {
    guard let host = host?.pointee, host.abi_version == UInt32(ASYNCDASH_PLUGIN_ABI_VERSION), let register = host.register_observer else { return 1 }
    host.log?(host.host, Int32(ASYNCDASH_LOG_INFO), "NotifyPlugin: registering example.observers.notify_file")
    return register(host.host, "example.observers.notify_file", makeNotifyFile, nil)
}
