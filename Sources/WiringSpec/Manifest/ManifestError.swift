// The one error type of manifest loading, validation and planning. Every problem a user can cause
// becomes one line that names the file, the line (when known), the key path, what was expected,
// what was found and, when a valid name is close by edit distance, a suggestion:
//   experiments/x.yaml:12: network.ops.3: expected one of none, ..., got 'sep_conv_9x9'; did you mean 'sep_conv_5x5'?

/// Where a manifest value was written: a file and line, or the command line.
public struct SourceLocation: Codable, Hashable, Sendable, CustomStringConvertible {
    /// The file as the user named it (or as an include resolved it), or `<command line>`.
    public var file: String
    /// 1-based line, nil where none applies (command-line overrides, defaults).
    public var line: Int?

    /// A location in `file`, optionally at `line`.
    public init(file: String, line: Int? = nil) {
        self.file = file
        self.line = line
    }

    /// Values given as `key.path=value` arguments.
    public static let commandLine = SourceLocation(file: "<command line>")

    /// `file:line`, or `file` alone.
    public var description: String { line.map { "\(file):\($0)" } ?? file }
}

/// A manifest that cannot be read, parsed or turned into runs. Thrown before any work starts.
public enum ManifestError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A value (or a missing or unknown key) does not fit the schema.
    /// - `keyPath`: dotted path with list indices (`phases.0.epochs`), usable as an override.
    /// - `expected`: what would have been valid, starting with "expected".
    /// - `got`: the offending value as written (`'sep_conv_9x9'`, `7`, `nothing`).
    /// - `suggestion`: the closest valid name, if one is close.
    case invalid(SourceLocation, keyPath: String, expected: String, got: String, suggestion: String? = nil)
    /// The file does not exist or cannot be read.
    case unreadable(SourceLocation, path: String, reason: String)
    /// The text is not valid YAML.
    case syntax(SourceLocation, problem: String)

    /// One line: `<file>:<line>: <key.path>: <expected>, got <value>; did you mean '<closest>'?`
    public var description: String {
        switch self {
        case let .invalid(location, keyPath, expected, got, suggestion):
            let hint = suggestion.map { "; did you mean '\($0)'?" } ?? ""
            let path = keyPath.isEmpty ? "" : "\(keyPath): "
            return "\(location): \(path)\(expected), got \(got)\(hint)"
        case let .unreadable(location, path, reason):
            return "\(location): expected a readable manifest file, got '\(path)' (\(reason))"
        case let .syntax(location, problem):
            return "\(location): expected valid YAML, got \(problem)"
        }
    }
}
