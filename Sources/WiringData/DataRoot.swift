// Where data sets live. One rule for every command, so a manifest, the environment and the
// default never disagree about which copy of CIFAR-10 a run used.
import Foundation

/// Resolves the data root folder.
public enum DataRoot {
    /// The environment variable that names the data root when the manifest does not.
    public static let environmentVariable = "WIRINGLAB_DATA"
    /// The root used when neither the manifest nor the environment names one (relative to the working directory).
    public static let fallback = "data"

    /// The data root: the manifest's `data.root` when set, else `$WIRINGLAB_DATA` when set and
    /// non-empty, else `fallback` (a data set's system folder, or `data`). A leading `~` or `~/` is
    /// expanded with `HOME`.
    /// - Parameters:
    ///   - configured: the manifest's `data.root`, or nil when the manifest leaves it out.
    ///   - fallback: the folder used when neither names one.
    ///   - environment: the process environment (a parameter so that tests can pass their own).
    public static func resolve(configured: String?, fallback: String = fallback,
                               environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        let chosen = [configured, environment[environmentVariable]]
            .compactMap { $0 }.first { !$0.isEmpty } ?? fallback
        return expandingHome(chosen, environment: environment)
    }

    /// `path` with a leading `~` or `~/` replaced by `HOME` (unchanged when `HOME` is not set).
    public static func expandingHome(_ path: String,
                                     environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let home = environment["HOME"] {
            if path == "~" { return home }
            if path.hasPrefix("~/") { return joinPath(home, String(path.dropFirst(2))) }
        }
        return path
    }
}
