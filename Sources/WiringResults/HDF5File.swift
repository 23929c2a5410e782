// An open HDF5 file: read-only for fixtures and earlier results, or a new file for results. A new file is built in
// memory (HDF5's core driver) and reaches the disk only in `commit()`: its bytes are written to a partial name of
// its own (`<name>.<pid>-<random>.partial`, created exclusively, so two processes writing the same result never
// share or truncate each other's file), synced, and renamed into place (atomic within a folder on POSIX). So a crash
// never leaves a file that looks finished, and a full disk is a write(2) error that Swift reports and cleans up,
// never a failed flush inside libhdf5 (which can leave the library in a state that crashes at exit).

import CHDF5
import Foundation

/// An HDF5 file opened for reading, or being written.
///
/// Groups, datasets and attributes are reached through `root` (or `group(_:)`, `dataset(_:)`); attributes of the file
/// itself are the root group's attributes, as in h5py. Those objects are light values (file + path) that open the
/// HDF5 object for each call, so nothing has to be closed by hand. The file closes when the last reference goes.
///
/// ```swift
/// let file = try HDF5File(creating: "results/run.h5")           // in memory until commit()
/// try file.root.setAttribute("method", "DSNAS")
/// try file.root.write("outputs/edge_cost", costs, shape: [cells, edges], dimensions: ["cell", "edge"])
/// try file.commit()                                                // now results/run.h5 exists
/// let logits = try HDF5File(reading: path).dataset("/arch0/outputs/logits").read(Float.self)
/// ```
///
/// Every HDF5 call runs under one process-wide lock, so files and their objects may be used from several threads;
/// the calls themselves do not run in parallel.
public final class HDF5File: @unchecked Sendable {  // `id` is read and written only under HDF5Library.lock
    /// How the file was opened.
    public enum Mode: Sendable {
        /// Opened read-only by `init(reading:)`.
        case reading
        /// Created by `init(creating:)`; it becomes visible under `path` on `commit()`.
        case writing
    }

    /// The file's path as the caller gave it (for a new file: the final name, not the `.partial` one).
    public let path: String
    /// Reading or writing.
    public let mode: Mode
    /// The HDF5 file id, or -1 once closed.
    var id: hid_t = -1
    /// How the file's end-to-end seal was found when it was opened (`.absent` for a file being written).
    public let seal: FileSeal

    /// Where a new file is written until `commit()`: `path` + "." + a name of this writer + ".partial"
    /// (`path` itself for a file opened for reading).
    public let partialPath: String

    /// The partial files of earlier writers of `path` (crashed, or still writing): `path.*.partial`.
    public static func partialFiles(of path: String) -> [String] {
        let folder = (path as NSString).deletingLastPathComponent
        let name = (path as NSString).lastPathComponent
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.isEmpty ? "." : folder)) ?? []
        return names.filter { $0.hasPrefix(name + ".") && $0.hasSuffix(".partial") }
            .map { folder.isEmpty ? $0 : (folder as NSString).appendingPathComponent($0) }
    }

    /// Whether the file is still open (not yet committed, discarded or closed).
    public var isOpen: Bool { HDF5Library.run { id >= 0 } }

    /// Opens an existing file read-only.
    ///
    /// A file with a seal (every file WiringLab writes) is checked byte for byte before HDF5 parses it, and opened
    /// from the checked bytes; a file without one (h5py's, the reference fixtures) is opened as it is (`seal`).
    ///
    /// - Throws: `ResultsError.fileNotFound` if there is no file, `.notHDF5` for a folder or a foreign file,
    ///   `.damaged` if a sealed file's bytes do not match its seal, `.hdf5` if HDF5 cannot open it (an unsealed
    ///   file that is damaged or truncated).
    public init(reading path: String) throws {
        self.path = path
        partialPath = path
        mode = .reading
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
            throw ResultsError.fileNotFound(file: path)
        }
        guard !isFolder.boolValue else { throw ResultsError.notHDF5(file: path) }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw ResultsError.hdf5(file: path, path: "/", operation: "cannot open", detail: "permission denied")
        }
        // The seal is checked on the bytes themselves before HDF5 sees any of them, and a sealed file is then opened
        // from those same checked bytes (so nothing can change between the check and the parse).
        let bytes: [UInt8]
        do {
            defer { try? handle.close() }
            let head = [UInt8](try handle.read(upToCount: FileSeal.userBlockSize + 8) ?? Data())
            guard FileSeal.claimsASeal(head) else {
                bytes = []
                seal = .absent
                id = try HDF5File.openFromDisk(path)
                return
            }
            bytes = head + [UInt8](try handle.readToEnd() ?? Data())
        } catch let error as ResultsError {
            throw error
        } catch {
            throw ResultsError.hdf5(file: path, path: "/", operation: "read", detail: "\(error.localizedDescription)")
        }
        seal = try FileSeal.check(bytes, file: path)
        id = try HDF5Library.run {
            let site = HDF5Site(file: path, path: "/")
            var image = bytes
            // Flags 0: HDF5 copies the image and frees its copy when the file closes.
            return try image.withUnsafeMutableBytes {
                try site.check(H5LTopen_file_image($0.baseAddress, $0.count, 0), "H5LTopen_file_image")
            }
        }
    }

    /// Opens an unsealed file from disk, read-only.
    private static func openFromDisk(_ path: String) throws -> hid_t {
        try HDF5Library.run {
            let site = HDF5Site(file: path, path: "/")
            // H5Fis_hdf5 looks for the signature; a negative answer on a readable file means it is too short to have one.
            guard H5Fis_hdf5(path) > 0 else { throw ResultsError.notHDF5(file: path) }
            let access = try HDF5File.strongCloseAccessList(site)
            defer { H5Pclose(access) }
            return try site.check(H5Fopen(path, wl_h5f_acc_rdonly(), access), "H5Fopen")
        }
    }

    /// Creates a new file for writing, in memory. The folder is created if missing. Nothing appears on disk until
    /// `commit()`; an existing file under `path` stays untouched.
    ///
    /// - Throws: `ResultsError.cannotCreate` if the folder or the file cannot be created.
    public init(creating path: String) throws {
        self.path = path
        partialPath = path + ".\(getpid())-\(UInt32.random(in: 0...UInt32.max)).partial"
        mode = .writing
        seal = .absent
        let folder = (path as NSString).deletingLastPathComponent
        if !folder.isEmpty {
            do {
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            } catch {
                throw ResultsError.cannotCreate(file: path, reason: "cannot create folder \(folder)")
            }
        }
        let partial = partialPath
        id = try HDF5Library.run {
            let site = HDF5Site(file: path, path: "/")
            let access = try HDF5File.strongCloseAccessList(site)
            defer { H5Pclose(access) }
            // The core driver without a backing store: the file lives in memory, grown 1 MiB at a time.
            try site.check(H5Pset_fapl_core(access, 1 << 20, false), "H5Pset_fapl_core")
            // Room for the seal in front of the HDF5 data (the in-memory image starts after it; commit() prepends it).
            let creation = try site.check(H5Pcreate(wl_h5p_file_create()), "H5Pcreate")
            defer { H5Pclose(creation) }
            try site.check(H5Pset_userblock(creation, hsize_t(FileSeal.userBlockSize)), "H5Pset_userblock")
            let id = H5Fcreate(partial, wl_h5f_acc_excl(), creation, access)
            guard id >= 0 else {
                let detail = HDF5Library.innermostError()
                throw ResultsError.cannotCreate(file: path, reason: "H5Fcreate \(partial): \(detail)")
            }
            return id
        }
    }

    deinit {
        if id >= 0 { HDF5Library.run { _ = H5Fclose(id) } }
    }

    /// Creates the file at `path`, lets `fill` write its contents into the root group, and commits it; when
    /// `fill` or the commit throws, the file is discarded and nothing appears under `path`.
    public static func write(to path: String, _ fill: (HDF5Group) throws -> Void) throws {
        let file = try HDF5File(creating: path)
        do {
            try fill(file.root)
            try file.commit()
        } catch {
            file.discard()
            throw error
        }
    }

    /// The file's root group `/`.
    public var root: HDF5Group { HDF5Group(file: self, path: "/") }

    /// The group at `path` (absolute, or relative to the root).
    /// - Throws: `ResultsError.notFound` or `.wrongKind`.
    public func group(_ path: String) throws -> HDF5Group { try root.group(path) }

    /// The dataset at `path` (absolute, or relative to the root).
    /// - Throws: `ResultsError.notFound` or `.wrongKind`.
    public func dataset(_ path: String) throws -> HDF5Dataset { try root.dataset(path) }

    /// Finishes a new file: takes its image from memory, seals it (`FileSeal`: the digest of every byte, in the user
    /// block in front), writes it to a new partial file (created exclusively), syncs it to disk and renames it to `path`, replacing any file there. Only after this does the result exist
    /// under its real name. When the write fails (a full disk, a read-only folder), the partial file is deleted.
    ///
    /// - Throws: `ResultsError.notWritable` if the file was opened for reading or is already closed,
    ///   `.hdf5` if HDF5 cannot produce the image, `.cannotCreate` (with the system's reason, e.g. "No space left on
    ///   device") if writing, syncing or the rename fails.
    public func commit() throws {
        let image: [UInt8] = try HDF5Library.run {
            guard mode == .writing, id >= 0 else { throw ResultsError.notWritable(file: path, operation: "commit") }
            let site = HDF5Site(file: path, path: "/")
            defer { _ = H5Fclose(id); id = -1 }
            try site.check(H5Fflush(id, H5F_SCOPE_GLOBAL), "H5Fflush")
            let size = try site.check(H5Fget_file_image(id, nil, 0), "H5Fget_file_image")
            var bytes = [UInt8](repeating: 0, count: size)
            let copied = try bytes.withUnsafeMutableBytes {
                try site.check(H5Fget_file_image(id, $0.baseAddress, size), "H5Fget_file_image")
            }
            guard copied == size else {
                throw ResultsError.hdf5(file: path, path: "/", operation: "H5Fget_file_image",
                                        detail: "\(copied) of \(size) bytes")
            }
            return bytes
        }
        func failure(_ what: String) -> ResultsError {
            .cannotCreate(file: path, reason: "cannot \(what) \(partialPath): \(String(cString: strerror(errno)))")
        }
        let fd = open(partialPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw failure("create") }
        var written = 0
        let sealed = image.withUnsafeBytes { FileSeal.userBlock(sealing: $0) } + image
        let complete = sealed.withUnsafeBytes { buffer -> Bool in
            while written < buffer.count {
                let n = Foundation.write(fd, buffer.baseAddress! + written, buffer.count - written)
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { return false }
                written += n
            }
            return fsync(fd) == 0
        }
        let error = complete ? nil : failure(written < sealed.count ? "write" : "sync")
        if Foundation.close(fd) != 0 && error == nil {
            unlink(partialPath)
            throw failure("close")
        }
        if let error {
            unlink(partialPath)
            throw error
        }
        guard rename(partialPath, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(partialPath)
            throw ResultsError.cannotCreate(file: path, reason: "cannot rename \(partialPath) into place: \(reason)")
        }
    }

    /// Abandons a new file: drops it from memory (nothing of it is on disk). Does nothing after `commit()`.
    public func discard() {
        close()
    }

    /// Closes the file now instead of when the last reference goes. A new file that was not committed is dropped,
    /// exactly as after a crash.
    public func close() {
        HDF5Library.run {
            if id >= 0 { _ = H5Fclose(id) }
            id = -1
        }
    }

    /// The open file id, for an operation on this file.
    /// - Throws: `ResultsError.notWritable` when the file is closed.
    func openID(_ operation: String) throws -> hid_t {
        try HDF5Library.run {
            guard id >= 0 else { throw ResultsError.notWritable(file: path, operation: operation) }
            return id
        }
    }

    /// The open file id, for an operation that changes the file.
    /// - Throws: `ResultsError.notWritable` when the file is closed or read-only.
    func writableID(_ operation: String) throws -> hid_t {
        guard mode == .writing else { throw ResultsError.notWritable(file: path, operation: operation) }
        return try openID(operation)
    }

    /// A file-access property list with the strong close degree: H5Fclose then closes the file for real, even if an
    /// object id leaked, so `commit()` renames a complete file. The caller closes it.
    private static func strongCloseAccessList(_ site: HDF5Site) throws -> hid_t {
        let access = try site.check(H5Pcreate(wl_h5p_file_access()), "H5Pcreate")
        do {
            try site.check(H5Pset_fclose_degree(access, H5F_CLOSE_STRONG), "H5Pset_fclose_degree")
        } catch {
            H5Pclose(access)
            throw error
        }
        return access
    }
}
