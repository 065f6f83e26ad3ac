import Logging
import Synchronization

/// Logging to stderr, so stdout stays machine-readable.
///
/// ``bootstrap()`` installs a `StreamLogHandler.standardError` factory once per process; the
/// level of each new logger is read from ``level`` when the logger is made, so commands set the
/// level (from `--log-level` or `$ASYNCDASH_LOG_LEVEL`) before they make loggers.
public enum CLILogging {
    private static let currentLevel = Mutex<Logger.Level>(.notice)
    private static let bootstrapped = Mutex<Bool>(false)

    /// The level given to loggers made from now on.
    public static var level: Logger.Level {
        get { currentLevel.withLock { $0 } }
        set { currentLevel.withLock { $0 = newValue } }
    }

    /// Installs the stderr handler; later calls do nothing.
    public static func bootstrap() {
        let first = bootstrapped.withLock { done -> Bool in
            defer { done = true }
            return !done
        }
        guard first else { return }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = CLILogging.level
            return handler
        }
    }

    /// A logger for the command line, at the current level.
    public static func logger(_ label: String = "asyncdash") -> Logger {
        var logger = Logger(label: label)
        logger.logLevel = level
        return logger
    }
}
