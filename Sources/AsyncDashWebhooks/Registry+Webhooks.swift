import AsyncDash

extension Registry {
    /// Registers `asyncdash.observers.webhook` (``WebhookObserver``). Options: `url`, or `url_env`
    /// (the environment variable that holds it, for a chat's URL, which is its secret);
    /// `secret_env` (the environment variable that holds the `whsec_…` secret; required for the
    /// standard body); `statuses`; `format` (`standard`, `slack`, `teams` or `template`) and
    /// `template` (``WebhookBody/init(template:)``; implies `format: template`).
    public mutating func registerWebhooks() {
        register(from: "built-in (AsyncDashWebhooks)") { registry in
            registry.register(observer: "asyncdash.observers.webhook") { options in
                // A `secret` written in the file never gets here: the config loader refuses it.
                try options.allowOnly(["url", "url_env", "secret_env", "statuses", "format", "template"])
                let url: String
                switch (options.values["url"] != nil, options.values["url_env"] != nil) {
                case (true, true): throw OptionError(key: "url_env", message: "give url or url_env, not both")
                case (false, true): url = try options.secret("url_env")
                default: url = try options.string("url")
                }
                let secret = options.values["secret_env"] == nil ? nil : try options.secret("secret_env")
                let body = try Self.webhookBody(options)
                var statuses: Set<TaskStatus>?
                if options.values["statuses"] != nil {
                    let valid = TaskStatus.allCases.map(\.rawValue)
                    statuses = Set(try options.strings("statuses").map { name in
                        guard let status = TaskStatus(parsing: name) else {
                            throw OptionError(
                                key: "statuses",
                                message: "'\(name.cutForMessage())' is not a task status\(Suggest.didYouMean(name, in: valid)); valid statuses: \(valid.joined(separator: ", "))")
                        }
                        return status
                    })
                }
                do {
                    return try WebhookObserver(url: url, secret: secret, statuses: statuses, body: body)
                } catch let error as WebhookConfigurationError {
                    let key = ["url", "template", "secret_env"].first { error.description.hasPrefix($0) } ?? "secret_env"
                    throw OptionError(key: key == "url" && options.values["url_env"] != nil ? "url_env" : key, message: error.description)
                }
            }
        }
    }

    /// The body the `format` and `template` options ask for.
    static func webhookBody(_ options: ComponentOptions) throws -> WebhookBody {
        let formats = ["standard", "slack", "teams", "template"]
        let hasTemplate = options.values["template"] != nil
        let format = try options.string("format", default: hasTemplate ? "template" : "standard")
        switch format {
        case "standard", "slack", "teams":
            if hasTemplate { throw OptionError(key: "template", message: "template is for format: template, not format: \(format)") }
            return format == "slack" ? .slack : format == "teams" ? .teams : .standard
        case "template":
            guard hasTemplate else {
                throw OptionError(key: "format", message: "format: template needs a template, e.g. template: '{\"text\": \"{{summary}}\"}'")
            }
            do {
                return try WebhookBody(template: try options.string("template"))
            } catch let error as WebhookConfigurationError {
                throw OptionError(key: "template", message: error.description)
            }
        default:
            throw OptionError(
                key: "format",
                message: "format '\(format.cutForMessage())' is unknown\(Suggest.didYouMean(format, in: formats)); valid formats: \(formats.joined(separator: ", "))")
        }
    }
}
