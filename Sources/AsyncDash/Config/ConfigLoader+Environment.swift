import Foundation

extension ConfigLoader {
    /// The prefix of environment variables that override scalar keys.
    public static let environmentPrefix = "ASYNCDASH_"

    /// Applies `ASYNCDASH_<KEY>` overrides of scalar keys; bad values are diagnostics naming the variable.
    static func applyEnvironment(_ environment: [String: String], to config: inout AsyncDashConfig, reader: inout YAMLReader) {
        // A misspelt override would be silently ignored; report names close to a real one.
        for variable in environment.keys.sorted() where variable.hasPrefix(environmentPrefix) {
            let key = String(variable.dropFirst(environmentPrefix.count))
            guard !scalarKeys.contains(key) else { continue }
            if let closest = scalarKeys.first(where: { Suggest.distance(key, $0) <= 2 }) {
                reader.error("\(variable) is not a setting (did you mean \(environmentPrefix)\(closest)?); it is ignored until renamed", at: .environment(variable))
            }
        }
        for key in scalarKeys {
            let variable = environmentPrefix + key
            guard let raw = environment[variable] else { continue }
            let location = SourceLocation.environment(variable)
            let text = raw.trimmingCharacters(in: .whitespaces)
            switch key {
            case "ASYNC_ENABLED":
                switch text.lowercased() {
                case "true", "1", "yes": config.settings.asyncEnabled = true
                case "false", "0", "no": config.settings.asyncEnabled = false
                default: reader.error("\(variable)='\(raw)' must be true or false", at: location)
                }
            case "STORE":
                config.store = Located(text, at: location)
            case "QUEUE":
                if queueKinds.contains(text) {
                    config.queue = Located(text, at: location)
                    config.queueWritten = true
                } else {
                    reader.error("\(variable)='\(raw)' is not a queue kind; valid: \(queueKinds.joined(separator: ", "))", at: location)
                }
            default:
                let range = SettingRanges.seconds[key].map { " (\($0.bounds))" } ?? ""
                if let seconds = Int(text), SettingRanges.problem(key, seconds) == nil {
                    setSeconds(key, seconds, in: &config.settings)
                } else {
                    reader.error("\(variable)='\(YAMLReader.cut(raw))' must be a whole number of seconds\(range)", at: location)
                }
            }
        }
    }
}
