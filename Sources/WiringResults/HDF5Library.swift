// Internal plumbing over the C library: one lock around every sequence of HDF5 calls, checked calls that turn a
// negative return into a ResultsError, and the small conversions (paths, types, dataspaces, strings) that the
// public files share. Nothing here is public, so no hid_t leaves this module.

import CHDF5
import Foundation

/// Access to the HDF5 C library.
enum HDF5Library {
    /// HDF5 keeps process-wide state (the id table, caches, the error stack), and many builds (Homebrew's, for one)
    /// are not thread-safe. swift-testing and the experiment runner call in from several threads, so every sequence of
    /// HDF5 calls runs under this lock. It is recursive because one public call may make another.
    static let lock = NSRecursiveLock()

    /// Runs `body` with the library lock held and HDF5's error printing switched off for this thread.
    static func run<R>(_ body: () throws -> R) rethrows -> R {
        lock.lock()
        defer { lock.unlock() }
        // The auto-print setting is per thread in a thread-safe build, so it is set on every entry, not once.
        _ = wl_silence_errors()
        return try body()
    }

    /// The innermost (most specific) message on this thread's HDF5 error stack, or "" if the stack is empty.
    static func innermostError() -> String {
        var buffer = [CChar](repeating: 0, count: 512)
        guard wl_innermost_error(&buffer, buffer.count) != 0 else { return "" }
        return decodeCString(buffer)
    }

    /// Decodes a NUL-terminated (or NUL-padded) C buffer as UTF-8.
    static func decodeCString(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Reads a name through the usual HDF5 two-call protocol: the first call (nil buffer) returns the length.
    static func readName(_ site: HDF5Site, _ operation: String, _ call: (UnsafeMutablePointer<CChar>?, Int) -> Int)
        throws -> String
    {
        let length = try site.check(call(nil, 0), operation)
        var buffer = [CChar](repeating: 0, count: length + 1)
        try site.check(buffer.withUnsafeMutableBufferPointer { call($0.baseAddress, $0.count) }, operation)
        return decodeCString(buffer)
    }
}

// MARK: - Checked calls

/// Where an HDF5 call happens (the file as the user named it and the HDF5 path), so a failure names both.
struct HDF5Site {
    let file: String
    let path: String

    /// Returns `result`, or throws `ResultsError.hdf5` naming `operation` when HDF5 signalled failure (< 0).
    @discardableResult
    func check<I: BinaryInteger>(_ result: I, _ operation: String) throws -> I {
        if result < 0 {
            throw ResultsError.hdf5(file: file, path: path, operation: operation, detail: HDF5Library.innermostError())
        }
        return result
    }

    /// The same place, for an attribute of the object here.
    func attribute(_ name: String) -> HDF5Site { HDF5Site(file: file, path: "\(path)@\(name)") }
}

// MARK: - Paths

/// HDF5 path arithmetic. Objects keep absolute paths; names may be relative ("outputs/logits") or absolute.
enum HDF5Path {
    /// `name` resolved against the group at `base`.
    static func join(_ base: String, _ name: String) -> String {
        if name.hasPrefix("/") { return normalize(name) }
        return normalize(base == "/" ? "/" + name : base + "/" + name)
    }

    /// Collapses repeated and trailing slashes and `.` components: "/a//b/./" → "/a/b".
    static func normalize(_ path: String) -> String {
        "/" + components(path).joined(separator: "/")
    }

    /// The non-empty components of a path.
    static func components(_ path: String) -> [String] {
        path.split(separator: "/").map(String.init).filter { $0 != "." }
    }

    /// The group that holds `path` ("/" for a top-level member).
    static func parent(_ path: String) -> String {
        normalize(components(path).dropLast().joined(separator: "/"))
    }

    /// The last component ("/" for the root).
    static func lastComponent(_ path: String) -> String { components(path).last ?? "/" }
}

// MARK: - Object lookup

extension HDF5Library {
    /// Kind of the object at absolute `path`, or nil if no link leads there.
    static func kind(of path: String, in fileID: hid_t) -> HDF5Member.Kind? {
        var prefix = ""
        // H5Lexists fails rather than returning 0 when an intermediate group is missing, so walk the path.
        for component in HDF5Path.components(path) {
            prefix += "/" + component
            if H5Lexists(fileID, prefix, wl_h5p_default()) <= 0 { return nil }
        }
        let object = H5Oopen(fileID, path, wl_h5p_default())
        guard object >= 0 else { return .other }  // e.g. a dangling soft link
        defer { H5Oclose(object) }
        return memberKind(H5Iget_type(object))
    }

    /// Maps an HDF5 identifier type to the member kinds WiringResults distinguishes.
    static func memberKind(_ type: H5I_type_t) -> HDF5Member.Kind {
        if type == H5I_GROUP { return .group }
        if type == H5I_DATASET { return .dataset }
        return .other
    }
}

// MARK: - Element types

extension HDF5ElementKind {
    /// The in-memory type: what a Swift array of this element holds.
    var memoryType: hid_t {
        switch self {
        case .float32: return wl_h5t_native_float()
        case .float64: return wl_h5t_native_double()
        case .int8: return wl_h5t_native_int8()
        case .int32: return wl_h5t_native_int32()
        case .int64: return wl_h5t_native_int64()
        }
    }

    /// The type stored in files: little-endian standard types, as numpy and h5py write on every platform.
    var fileType: hid_t {
        switch self {
        case .float32: return wl_h5t_ieee_f32le()
        case .float64: return wl_h5t_ieee_f64le()
        case .int8: return wl_h5t_std_i8le()
        case .int32: return wl_h5t_std_i32le()
        case .int64: return wl_h5t_std_i64le()
        }
    }

    /// Whether this is an integer kind.
    var isInteger: Bool { self == .int8 || self == .int32 || self == .int64 }
}

extension HDF5StoredType {
    /// Describes an open datatype.
    init(typeID: hid_t) {
        let size = H5Tget_size(typeID)
        let typeClass = H5Tget_class(typeID)
        if typeClass == H5T_INTEGER {
            self = .integer(bytes: size, signed: H5Tget_sign(typeID) == H5T_SGN_2)
        } else if typeClass == H5T_FLOAT {
            self = .float(bytes: size)
        } else if typeClass == H5T_STRING {
            self = .string(length: H5Tis_variable_str(typeID) > 0 ? nil : size)
        } else {
            let names: [(H5T_class_t, String)] = [
                (H5T_COMPOUND, "compound"), (H5T_ENUM, "enum"), (H5T_ARRAY, "array"), (H5T_VLEN, "vlen"),
                (H5T_OPAQUE, "opaque"), (H5T_REFERENCE, "reference"), (H5T_BITFIELD, "bitfield"), (H5T_TIME, "time"),
            ]
            self = .other(names.first { $0.0 == typeClass }?.1 ?? "unknown type")
        }
    }
}

// MARK: - Dataspaces

extension HDF5Library {
    /// The shape of an open dataspace: [] for a scalar, [0] for a null (empty) dataspace.
    static func shape(ofSpace space: hid_t, _ site: HDF5Site) throws -> [Int] {
        let spaceClass = H5Sget_simple_extent_type(space)
        if spaceClass == H5S_SCALAR { return [] }
        if spaceClass == H5S_NULL { return [0] }
        let rank = Int(try site.check(H5Sget_simple_extent_ndims(space), "H5Sget_simple_extent_ndims"))
        var dims = [hsize_t](repeating: 0, count: rank)
        try site.check(H5Sget_simple_extent_dims(space, &dims, nil), "H5Sget_simple_extent_dims")
        return dims.map { Int($0) }
    }

    /// Creates a dataspace: scalar for shape [], simple otherwise. The caller closes it.
    static func createSpace(shape: [Int], _ site: HDF5Site) throws -> hid_t {
        if shape.isEmpty { return try site.check(H5Screate(H5S_SCALAR), "H5Screate") }
        let dims = shape.map { hsize_t($0) }
        return try site.check(H5Screate_simple(Int32(dims.count), dims, nil), "H5Screate_simple")
    }
}

// MARK: - Strings

extension HDF5Library {
    /// Builds a variable-length UTF-8 string type, the netCDF-4 `string` type: netCDF-C (through 4.9.0), Octave and
    /// netCDF4-python mis-read fixed-length strings, while h5py, xarray, MATLAB and Julia read both. The caller closes it.
    static func variableStringType(_ site: HDF5Site) throws -> hid_t {
        let type = try site.check(H5Tcopy(wl_h5t_c_s1()), "H5Tcopy")
        do {
            try site.check(H5Tset_size(type, wl_h5t_variable()), "H5Tset_size")
            try site.check(H5Tset_cset(type, H5T_CSET_UTF8), "H5Tset_cset")
        } catch {
            H5Tclose(type)
            throw error
        }
        return type
    }

    /// Calls `body` with an array of NUL-terminated UTF-8 copies of `strings` (the buffer H5Dwrite and H5Awrite take
    /// for a variable-length string type); the copies live only during the call.
    static func withCStringPointers<R>(_ strings: [String], _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        let copies = strings.map { strdup($0) }
        defer { copies.forEach { free($0) } }
        let pointers: [UnsafeMutablePointer<CChar>?] = copies.isEmpty ? [nil] : copies
        return try pointers.withUnsafeBytes { try body($0) }
    }

    /// Reads `count` strings of the stored string type `fileType`, fixed-length or variable-length.
    ///
    /// - Parameters:
    ///   - read: performs H5Dread or H5Aread into the buffer with the given memory type.
    ///   - space: the object's dataspace, needed to free variable-length strings.
    static func readStrings(fileType: hid_t, count: Int, space: hid_t, _ site: HDF5Site,
                            read: (hid_t, UnsafeMutableRawPointer) -> herr_t) throws -> [String]
    {
        guard count > 0 else { return [] }
        let memoryType = try site.check(H5Tcopy(wl_h5t_c_s1()), "H5Tcopy")
        defer { H5Tclose(memoryType) }
        // Keep the stored character set: HDF5 refuses to convert between ASCII and UTF-8.
        try site.check(H5Tset_cset(memoryType, H5Tget_cset(fileType)), "H5Tset_cset")
        if H5Tis_variable_str(fileType) > 0 {
            try site.check(H5Tset_size(memoryType, wl_h5t_variable()), "H5Tset_size")
            var pointers = [UnsafeMutablePointer<CChar>?](repeating: nil, count: count)
            _ = try pointers.withUnsafeMutableBytes { try site.check(read(memoryType, $0.baseAddress!), "read strings") }
            let strings = pointers.map { $0.map { String(cString: $0) } ?? "" }
            _ = pointers.withUnsafeMutableBytes { wl_reclaim_variable_strings(memoryType, space, $0.baseAddress) }
            return strings
        }
        let width = H5Tget_size(fileType)
        try site.check(H5Tset_size(memoryType, width), "H5Tset_size")
        try site.check(H5Tset_strpad(memoryType, H5T_STR_NULLPAD), "H5Tset_strpad")
        var bytes = [UInt8](repeating: 0, count: count * width)
        _ = try bytes.withUnsafeMutableBytes { try site.check(read(memoryType, $0.baseAddress!), "read strings") }
        return (0..<count).map { i in
            let slot = bytes[(i * width)..<((i + 1) * width)]
            return String(decoding: slot.prefix { $0 != 0 }, as: UTF8.self)
        }
    }
}
