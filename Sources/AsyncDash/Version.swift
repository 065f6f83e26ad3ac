/// The version of AsyncDash: what `asyncdash --version` prints and the dashboard's footer shows.
public enum AsyncDashVersion {
    /// Semantic versioning; before 1.0.0, a minor version may change public API.
    public static let current = "0.9.0"
}
