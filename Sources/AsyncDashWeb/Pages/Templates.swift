import Foundation
import Mustache

/// The dashboard's Mustache templates: the built-in ones shipped as resources, each replaced by a
/// file of the same name in `DASHBOARD.templates` when there is one (the seed's "customise formats").
///
/// Templates: `head`, `foot` (every page), `list` (with `rows`, the live-refreshed part), `detail`
/// (with `task`, also the modal's content), `cell` (one value), `login`, `error`.
struct Templates: Sendable {
    static let names = ["head", "foot", "cell", "list", "rows", "detail", "task", "login", "error"]
    let library: MustacheLibrary

    /// - Throws: ``TemplateError`` naming the file that does not parse, or a missing built-in.
    init(overrides directory: String?) throws(TemplateError) {
        var library = MustacheLibrary()
        for name in Self.names {
            var source: (text: String, path: String)?
            if let directory {
                let path = URL(fileURLWithPath: directory).appendingPathComponent("\(name).mustache").path
                if let text = try? String(contentsOfFile: path, encoding: .utf8) { source = (text, path) }
            }
            if source == nil {
                guard let url = Bundle.module.url(forResource: name, withExtension: "mustache", subdirectory: "Resources/templates"),
                    let text = try? String(contentsOf: url, encoding: .utf8)
                else { throw TemplateError(path: "Resources/templates/\(name).mustache", reason: "the built-in template is missing from the bundle") }
                source = (text, url.path)
            }
            guard let source else { continue }
            do {
                library.register(try MustacheTemplate(string: source.text), named: name)
            } catch {
                throw TemplateError(path: source.path, reason: "\(error)")
            }
        }
        if let directory {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw TemplateError(path: directory, reason: "DASHBOARD.templates names no folder")
            }
        }
        self.library = library
    }

    func render(_ name: String, _ context: [String: Any]) -> String {
        library.render(context, withTemplate: name) ?? ""
    }
}

/// A template that could not be loaded.
public struct TemplateError: Error, CustomStringConvertible, Sendable {
    public var path: String
    public var reason: String
    public var description: String { "template \(path): \(reason)" }
}

/// Static files (`dashboard.css`, `dashboard.js`), read once.
struct StaticFiles: Sendable {
    let files: [String: (contentType: String, bytes: [UInt8])]

    init() throws(TemplateError) {
        var files: [String: (String, [UInt8])] = [:]
        for (name, type) in [("dashboard.css", "text/css; charset=utf-8"), ("dashboard.js", "text/javascript; charset=utf-8")] {
            let base = (name as NSString).deletingPathExtension
            let ext = (name as NSString).pathExtension
            guard let url = Bundle.module.url(forResource: base, withExtension: ext, subdirectory: "Resources/static"),
                let data = try? Data(contentsOf: url)
            else { throw TemplateError(path: "Resources/static/\(name)", reason: "missing from the bundle") }
            files[name] = (type, Array(data))
        }
        self.files = files
    }
}
