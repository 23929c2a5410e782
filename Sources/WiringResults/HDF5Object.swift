// What groups and datasets share: a file and an absolute path, attributes (HDF5Attribute.swift) and the internal
// helper that opens the HDF5 object for the length of one call.

import CHDF5

/// A group or dataset inside an `HDF5File`, named by its absolute HDF5 path. It can carry attributes.
public protocol HDF5Object: Sendable {
    /// The file that holds the object (kept open while the object value exists).
    var file: HDF5File { get }
    /// The absolute HDF5 path, e.g. "/arch0/outputs/logits"; "/" for the root group.
    var path: String { get }
}

extension HDF5Object {
    /// The last component of `path` ("/" for the root group).
    public var name: String { HDF5Path.lastComponent(path) }

    /// This object, for error messages.
    var site: HDF5Site { HDF5Site(file: file.path, path: path) }

    /// Opens the object (any kind) for the duration of `body`, under the library lock.
    /// - Throws: `ResultsError.notFound` if nothing is at `path`.
    func withOpenObject<R>(_ operation: String, _ body: (hid_t) throws -> R) throws -> R {
        try HDF5Library.run {
            let fileID = try file.openID(operation)
            guard HDF5Library.kind(of: path, in: fileID) != nil else {
                throw ResultsError.notFound(file: file.path, path: path)
            }
            let object = try site.check(H5Oopen(fileID, path, wl_h5p_default()), "H5Oopen")
            defer { H5Oclose(object) }
            return try body(object)
        }
    }

    /// Checks, under the lock, that the object at `path` is of `kind`.
    /// - Throws: `ResultsError.notFound` or `.wrongKind`.
    static func requireKind(_ kind: HDF5Member.Kind, file: HDF5File, path: String) throws {
        try HDF5Library.run {
            let fileID = try file.openID("open \(kind)")
            guard let found = HDF5Library.kind(of: path, in: fileID) else {
                throw ResultsError.notFound(file: file.path, path: path)
            }
            guard found == kind else {
                throw ResultsError.wrongKind(file: file.path, path: path, expected: "\(kind)", found: "\(found)")
            }
        }
    }
}
