import AsyncDash

extension Registry {
    /// Registers `asyncdash.observers.webhook` (``WebhookObserver``): options `url`, `secret_env`
    /// (the environment variable that holds the `whsec_…` secret) and `statuses`.
    public mutating func registerWebhooks() {
        register(from: "built-in (AsyncDashWebhooks)") { registry in
            registry.register(observer: "asyncdash.observers.webhook") { options in
                // A `secret` written in the file never gets here: the config loader refuses it.
                try options.allowOnly(["url", "secret_env", "statuses"])
                let url = try options.string("url")
                let secret = try options.secret("secret_env")
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
                    return try WebhookObserver(url: url, secret: secret, statuses: statuses)
                } catch let error as WebhookConfigurationError {
                    throw OptionError(key: error.description.hasPrefix("url") ? "url" : "secret_env", message: error.description)
                }
            }
        }
    }
}
