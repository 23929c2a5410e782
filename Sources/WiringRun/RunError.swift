// Why a run cannot go on: a checkpoint that belongs to another configuration, or a setting the
// runner cannot honour. Both are invalid input (exit 2), named in one line.
import WiringSpec

/// Why a run failed.
public enum RunError: Error, CustomStringConvertible {
    case checkpointMismatch(path: String)
    /// A checkpoint that cannot be resumed from (damaged, unsealed); the runner moves it aside and goes on.
    case unusableCheckpoint(reason: String)
    case unsupported(run: String, what: String)
    /// The results folder or a file in it cannot be written (read-only, a file in the way, a full disk).
    case cannotWrite(path: String, reason: String)
    /// The data set holds fewer images than the manifest asks for.
    case dataTooSmall(key: String, asked: Int, available: Int, dataset: String)

    public var description: String {
        switch self {
        case let .checkpointMismatch(path):
            return "\(path): checkpoint of another configuration or precision; delete it to start the run afresh"
        case let .unusableCheckpoint(reason):
            return "checkpoint unusable: \(reason)"
        case let .unsupported(run, what):
            return "run \(run): \(what)"
        case let .cannotWrite(path, reason):
            return "\(path): cannot write (\(reason)); choose another results folder with --out or free space"
        case let .dataTooSmall(key, asked, available, dataset):
            return "\(key): expected at most the \(available) images of \(dataset), got \(asked); "
                + "lower \(key) or use the whole data set"
        }
    }
}

extension RunError: InvalidInput {}
