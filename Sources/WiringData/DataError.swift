// The one error type of WiringData. Every message is a single line that names the file (or the
// data set) and says how to fix the problem, because these errors reach the user unchanged.

/// Something a user can fix went wrong while finding, reading or slicing a data set.
///
/// `description` is one line: the path, the problem and the fix, e.g.
/// `/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz: not found; install it with
/// 'apt-get install dataset-fashion-mnist' or set data.root`.
public enum DataError: Error, CustomStringConvertible, Equatable, Sendable {
    /// A file the data set needs does not exist. `fix` says where to get it or which setting to change.
    case notFound(path: String, fix: String)
    /// A file exists but could not be read (permissions, an I/O error, a directory in its place).
    case unreadable(path: String, reason: String)
    /// A file was read but its content is not what the format promises (bad magic, truncated, bad label).
    case corrupt(path: String, problem: String, fix: String)
    /// A request on a loaded data set makes no sense (a subset larger than the data, a bad split fraction,
    /// a saved loader position from another data set). `subject` names the data set or setting.
    case invalidRequest(subject: String, problem: String)

    /// The one-line message shown to the user: path, problem, fix.
    public var description: String {
        switch self {
        case let .notFound(path, fix): return "\(path): not found; \(fix)"
        case let .unreadable(path, reason): return "\(path): cannot be read (\(reason)); check its permissions"
        case let .corrupt(path, problem, fix): return "\(path): \(problem); \(fix)"
        case let .invalidRequest(subject, problem): return "\(subject): \(problem)"
        }
    }
}
