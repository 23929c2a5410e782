// Why a run cannot go on: a checkpoint that belongs to another configuration, or a setting the
// runner cannot honour. Both are invalid input (exit 2), named in one line.

/// Why a run failed.
public enum RunError: Error, CustomStringConvertible {
    case checkpointMismatch(path: String)
    case unsupported(run: String, what: String)

    public var description: String {
        switch self {
        case let .checkpointMismatch(path):
            return "\(path): checkpoint of another configuration or precision; delete it to start the run afresh"
        case let .unsupported(run, what):
            return "run \(run): \(what)"
        }
    }
}
