import AsyncDash
import AsyncDashWeb
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// `DASHBOARD.templates`: files in the folder replace built-in templates of the same name.
@Suite("Template overrides")
struct TemplateOverrideTests {
    func folder(_ files: [String: String]) throws -> URL {
        let url = WebTestFiles.runDirectory.appendingPathComponent("templates-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        for (name, text) in files { try text.write(to: url.appendingPathComponent(name), atomically: true, encoding: .utf8) }
        return url
    }

    @Test("a foot.mustache in the folder replaces the built-in footer on every page; the others stay")
    func overrideReplacesOneTemplate() async throws {
        let directory = try folder(["foot.mustache": "</main><footer id=\"ops\">Ops dashboard · {{nowText}}</footer></body></html>\n"])
        let fixture = try await WebFixture { $0.templatesDirectory = directory.path }
        await fixture.emit(LifecycleEvent(.create, task: "t-<1>", status: .pending, message: "queued"))
        try await fixture.test { client in
            for uri in ["/async-dashboard/", "/async-dashboard/t-%3C1%3E/"] {
                try await client.execute(uri: uri, method: .get) { response in
                    let html = String(buffer: response.body)
                    #expect(response.status == .ok)
                    #expect(html.contains(#"<footer id="ops">Ops dashboard · "#), "\(uri)")
                    #expect(!html.contains("times in UTC"), "\(uri): the built-in footer is still there")
                    #expect(html.contains("t-&lt;1&gt;"), "\(uri): the built-in templates still render, escaped")
                }
            }
        }
    }

    @Test("a template that does not parse is an error naming its file; a folder that does not exist is an error")
    func brokenTemplatesAreReported() async throws {
        let directory = try folder(["rows.mustache": "{{#rows}} never closed"])
        let error = await #expect(throws: TemplateError.self) { _ = try await WebFixture { $0.templatesDirectory = directory.path } }
        #expect(error?.path.hasSuffix("rows.mustache") == true, "\(String(describing: error))")
        let missing = await #expect(throws: TemplateError.self) { _ = try await WebFixture { $0.templatesDirectory = "/nonexistent/templates" } }
        #expect(missing?.description.contains("names no folder") == true, "\(String(describing: missing))")
    }
}
