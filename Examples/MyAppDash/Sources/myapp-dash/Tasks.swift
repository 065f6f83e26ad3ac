import AsyncDash

/// The app's task functions.
enum Tasks: RegistrationCatalog {
    /// The arguments of `myapp.tasks.resize_images`: `{"images": ["a.png", …], "width": 800, "delay_ms": 50}`.
    struct ResizeArguments: Codable, Sendable {
        var images: [String]
        var width: Int?
        var delayMs: Int?
        enum CodingKeys: String, CodingKey { case images, width, delayMs = "delay_ms" }
    }

    /// The result of `myapp.tasks.resize_images`.
    struct ResizeResult: Codable, Sendable {
        var resized: [String]
        var width: Int
    }

    /// `myapp.tasks.resize_images` — "resizes" each image (a sleep stands in for the work),
    /// reporting progress per image, and returns the names it resized.
    static let resizeImages = TaskFunction.typed("myapp.tasks.resize_images") { (args: ResizeArguments, context) in
        let width = args.width ?? 800
        var resized: [String] = []
        for (index, image) in args.images.enumerated() {
            if let delay = args.delayMs, delay > 0 { try await Task.sleep(for: .milliseconds(delay)) }
            resized.append("\(image)@\(width)w")
            try await context.progress(.structured(StructuredProgress(done: index + 1, total: args.images.count, unit: "images")))
        }
        return ResizeResult(resized: resized, width: width)
    }
}
