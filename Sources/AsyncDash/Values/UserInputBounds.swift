extension Int {
    /// `value` rounded toward zero, clamped to `Int.min...Int.max`; 0 for NaN. For numbers that
    /// come from users or stored data, where `Int(_:)` would trap on ±∞, NaN or a value past the
    /// range (`1e300`).
    ///
    /// ```swift
    /// Int(saturating: 1e300)   // Int.max
    /// Int(saturating: -2.7)    // -2
    /// ```
    public init(saturating value: Double) {
        if value.isNaN {
            self = 0
        } else if value >= 9.223372036854775e18 {
            self = .max
        } else if value <= -9.223372036854775e18 {
            self = .min
        } else {
            self = Int(value)
        }
    }
}

extension String {
    /// This text as a message quotes it back: at most `limit` characters, then how long it was —
    /// so an error about a value of megabytes does not echo it.
    public func cutForMessage(_ limit: Int = 80) -> String {
        count > limit ? String(prefix(limit)) + "… (\(count) characters)" : self
    }
}
