// Whole-file reads with DataError instead of Foundation's optional or NSError, so that a missing
// file carries the install hint of the data set that wanted it.
import Foundation

/// Reads all bytes of `path`.
/// - Throws: `DataError.notFound` with `missingFix` when nothing is there, `DataError.unreadable`
///   for a directory or a failed read.
func readWholeFile(_ path: String, missingFix: String) throws -> [UInt8] {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
        throw DataError.notFound(path: path, fix: missingFix)
    }
    if isDirectory.boolValue { throw DataError.unreadable(path: path, reason: "it is a directory") }
    guard let data = FileManager.default.contents(atPath: path) else {
        throw DataError.unreadable(path: path, reason: "the read failed")
    }
    return [UInt8](data)
}

/// Whether a regular file or a directory exists at `path`.
func pathExists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: path) }

/// Whether a file that is not a directory exists at `path`.
func fileExists(_ path: String) -> Bool {
    var isDirectory: ObjCBool = false
    return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && !isDirectory.boolValue
}

/// Whether a directory exists at `path`.
func directoryExists(_ path: String) -> Bool {
    var isDirectory: ObjCBool = false
    return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
}

/// `root` and `name` joined with exactly one slash.
func joinPath(_ root: String, _ name: String) -> String {
    if root.isEmpty { return name }
    return root.hasSuffix("/") ? root + name : root + "/" + name
}
