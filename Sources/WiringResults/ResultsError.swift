// The one error type of WiringResults. Every message is a single line naming the file, the HDF5 path and the
// operation, because these errors reach the user unchanged (HDF5's own multi-line error stack is switched off).

/// Something went wrong while reading or writing an HDF5 results or fixture file.
///
/// `description` is one line: the file, the HDF5 path inside it (when there is one), the problem, the operation
/// in parentheses and the fix, e.g.
/// `results/x.h5: not an HDF5 file (cannot open); check the path or re-run the experiment`.
/// An attribute is named as `<object path>@<attribute name>`, e.g. `/arch0/config@op_names`.
public enum ResultsError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The file does not exist.
    case fileNotFound(file: String)
    /// The file exists but is not HDF5 (a foreign file, random bytes, an empty file or a folder).
    case notHDF5(file: String)
    /// The file (or its folder) could not be created, written or renamed into place.
    case cannotCreate(file: String, reason: String)
    /// No group, dataset or attribute at `path`.
    case notFound(file: String, path: String)
    /// `path` exists but is the wrong kind of object, e.g. a group where a dataset was asked for.
    case wrongKind(file: String, path: String, expected: String, found: String)
    /// The stored type cannot be read as the requested Swift type (strings as numbers, floats as integers).
    case typeMismatch(file: String, path: String, stored: String, requested: String)
    /// A write whose value count does not match its shape, or a read of a scalar from several values.
    case shapeMismatch(file: String, path: String, problem: String)
    /// A group, dataset or dimension scale with that name already exists where a new one was to be created.
    case alreadyExists(file: String, path: String)
    /// The file was already committed, discarded or closed, or was opened read-only for a write.
    case notWritable(file: String, operation: String)
    /// A sealed file whose bytes do not match its seal (`FileSeal`): changed, truncated or extended after it was
    /// written. `detail` says which check failed.
    case damaged(file: String, detail: String)
    /// An HDF5 call returned a failure code. `operation` is the C function, `detail` HDF5's own innermost message.
    case hdf5(file: String, path: String, operation: String, detail: String)

    /// The one-line message shown to the user.
    public var description: String {
        switch self {
        case let .fileNotFound(file):
            return "\(file): no such file (cannot open); check the path or re-run the experiment"
        case let .notHDF5(file):
            return "\(file): not an HDF5 file (cannot open); check the path or re-run the experiment"
        case let .cannotCreate(file, reason):
            return "\(file): cannot write the file (\(reason)); check that its folder exists and is writable"
        case let .notFound(file, path):
            return "\(file): \(path): no such group, dataset or attribute (open); list the file with 'h5ls -r \(file)'"
        case let .wrongKind(file, path, expected, found):
            return "\(file): \(path): is a \(found), not a \(expected) (open); check the path"
        case let .typeMismatch(file, path, stored, requested):
            return "\(file): \(path): stored as \(stored), cannot be read as \(requested) (read); read it as the stored type"
        case let .shapeMismatch(file, path, problem):
            return "\(file): \(path): \(problem) (shape); check the shape"
        case let .alreadyExists(file, path):
            return "\(file): \(path): already exists (create); choose another name"
        case let .notWritable(file, operation):
            return "\(file): the file is closed or read-only (\(operation)); open it with HDF5File(creating:) and write before commit()"
        case let .damaged(file, detail):
            return "\(file): damaged, its bytes do not match its seal (\(detail)); delete it and re-run the experiment"
        case let .hdf5(file, path, operation, detail):
            let what = detail.isEmpty ? "HDF5 call failed" : "HDF5 call failed: \(detail)"
            return "\(file): \(path): \(what) (\(operation)); the file may be damaged or incomplete (or the disk full); re-run the experiment"
        }
    }
}
