// Datasets: shape, stored type, storage layout and reading. Numbers are converted on read by HDF5 itself (the
// memory type says what Swift wants), with the strict conversion callback from the shim so out-of-range values throw
// instead of clamping. gzip/shuffle filters are undone by HDF5 transparently.

import CHDF5

/// A dataset in an HDF5 file.
public struct HDF5Dataset: HDF5Object {
    /// The file that holds the dataset.
    public let file: HDF5File
    /// The dataset's absolute path.
    public let path: String

    init(file: HDF5File, path: String) {
        self.file = file
        self.path = HDF5Path.normalize(path)
    }

    /// The dataset's shape, outermost first; `[]` for a scalar dataset.
    /// - Throws: `ResultsError` if the dataset cannot be opened.
    public var shape: [Int] {
        get throws {
            try withOpenDataset("shape") { dataset in
                let space = try site.check(H5Dget_space(dataset), "H5Dget_space")
                defer { H5Sclose(space) }
                return try HDF5Library.shape(ofSpace: space, site)
            }
        }
    }

    /// What the file stores, e.g. `float32` or `string(12)`.
    /// - Throws: `ResultsError` if the dataset cannot be opened.
    public var storedType: HDF5StoredType {
        get throws {
            try withOpenDataset("type") { dataset in
                let type = try site.check(H5Dget_type(dataset), "H5Dget_type")
                defer { H5Tclose(type) }
                return HDF5StoredType(typeID: type)
            }
        }
    }

    /// Reads the whole dataset as `T`, converting from the stored numeric type.
    ///
    /// Any integer or float converts to `Float`/`Double` (float64 → Float rounds); integers convert to any integer
    /// type whose range holds every value.
    /// - Throws: `ResultsError.typeMismatch` for strings, for floats read as integers and for integer values out
    ///   of `T`'s range; `.notFound`/`.wrongKind`/`.hdf5` otherwise.
    public func read<T: HDF5Element>(_ type: T.Type = T.self) throws -> HDF5Array<T> {
        try withOpenDataset("read") { dataset in
            let (stored, shape) = try storedTypeAndShape(dataset)
            guard stored.canBeRead(as: T.hdf5Kind) else {
                throw ResultsError.typeMismatch(file: file.path, path: path, stored: "\(stored)", requested: T.hdf5Kind.name)
            }
            var values = [T](repeating: 0, count: shape.reduce(1, *))
            guard !values.isEmpty else { return HDF5Array(shape: shape, values: values) }
            let transfer = try site.check(H5Pcreate(wl_h5p_dataset_xfer()), "H5Pcreate")
            defer { H5Pclose(transfer) }
            try site.check(wl_set_strict_conversion(transfer), "H5Pset_type_conv_cb")
            let status = values.withUnsafeMutableBytes {
                H5Dread(dataset, T.hdf5Kind.memoryType, wl_h5s_all(), wl_h5s_all(), transfer, $0.baseAddress)
            }
            if status < 0, case .integer = stored, T.hdf5Kind.isInteger {
                // The strict conversion callback aborted: some value does not fit the requested integer type.
                throw ResultsError.typeMismatch(file: file.path, path: path, stored: "\(stored) with values out of range",
                                                requested: T.hdf5Kind.name)
            }
            try site.check(status, "H5Dread")
            return HDF5Array(shape: shape, values: values)
        }
    }

    /// Reads a dataset that holds exactly one value (a scalar dataset or a one-element array).
    /// - Throws: `ResultsError.shapeMismatch` if it holds another number of values; as `read(_:)` otherwise.
    public func readScalar<T: HDF5Element>(_ type: T.Type = T.self) throws -> T {
        let array = try read(T.self)
        guard array.count == 1 else {
            throw ResultsError.shapeMismatch(file: file.path, path: path,
                                             problem: "shape \(array.shape) holds \(array.count) values, not one")
        }
        return array.values[0]
    }

    /// Reads a string dataset (fixed-length like the fixtures' `op_names`, or variable-length as h5py writes `str`).
    /// Trailing NUL padding is removed.
    /// - Throws: `ResultsError.typeMismatch` if the dataset does not hold strings.
    public func readStrings() throws -> HDF5Array<String> {
        try withOpenDataset("read strings") { dataset in
            let type = try site.check(H5Dget_type(dataset), "H5Dget_type")
            defer { H5Tclose(type) }
            let stored = HDF5StoredType(typeID: type)
            guard case .string = stored else {
                throw ResultsError.typeMismatch(file: file.path, path: path, stored: "\(stored)", requested: "string")
            }
            let space = try site.check(H5Dget_space(dataset), "H5Dget_space")
            defer { H5Sclose(space) }
            let shape = try HDF5Library.shape(ofSpace: space, site)
            let strings = try HDF5Library.readStrings(fileType: type, count: shape.reduce(1, *), space: space, site) {
                H5Dread(dataset, $0, wl_h5s_all(), wl_h5s_all(), wl_h5p_default(), $1)
            }
            return HDF5Array(shape: shape, values: strings)
        }
    }

    /// How the dataset is laid out on disk (used by tests to check the compression policy).
    var storage: HDF5Storage {
        get throws {
            try withOpenDataset("storage") { dataset in
                let plist = try site.check(H5Dget_create_plist(dataset), "H5Dget_create_plist")
                defer { H5Pclose(plist) }
                guard H5Pget_layout(plist) == H5D_CHUNKED else { return HDF5Storage(chunks: nil, filters: []) }
                let rank = Int(try site.check(H5Pget_chunk(plist, 0, nil), "H5Pget_chunk"))
                var chunks = [hsize_t](repeating: 0, count: rank)
                try site.check(H5Pget_chunk(plist, Int32(rank), &chunks), "H5Pget_chunk")
                let filterCount = try site.check(H5Pget_nfilters(plist), "H5Pget_nfilters")
                let filters = (0..<UInt32(filterCount)).map { index -> String in
                    var flags: UInt32 = 0
                    var valueCount = 0
                    var name = [CChar](repeating: 0, count: 64)
                    var config: UInt32 = 0
                    let filter = H5Pget_filter2(plist, index, &flags, &valueCount, nil, name.count, &name, &config)
                    if filter == H5Z_FILTER_DEFLATE { return "deflate" }
                    if filter == H5Z_FILTER_SHUFFLE { return "shuffle" }
                    if filter == H5Z_FILTER_FLETCHER32 { return "fletcher32" }
                    return "filter \(filter)"
                }
                return HDF5Storage(chunks: chunks.map { Int($0) }, filters: filters)
            }
        }
    }

    /// Opens the dataset for the duration of `body`, under the library lock.
    func withOpenDataset<R>(_ operation: String, _ body: (hid_t) throws -> R) throws -> R {
        try HDF5Library.run {
            let fileID = try file.openID(operation)
            try Self.requireKind(.dataset, file: file, path: path)
            let dataset = try site.check(H5Dopen2(fileID, path, wl_h5p_default()), "H5Dopen2")
            defer { H5Dclose(dataset) }
            return try body(dataset)
        }
    }

    /// The stored type and shape of an open dataset.
    private func storedTypeAndShape(_ dataset: hid_t) throws -> (HDF5StoredType, [Int]) {
        let type = try site.check(H5Dget_type(dataset), "H5Dget_type")
        defer { H5Tclose(type) }
        let space = try site.check(H5Dget_space(dataset), "H5Dget_space")
        defer { H5Sclose(space) }
        return (HDF5StoredType(typeID: type), try HDF5Library.shape(ofSpace: space, site))
    }
}

/// A dataset's on-disk layout: contiguous (`chunks == nil`) or chunked, with its filter pipeline in order.
struct HDF5Storage: Equatable {
    /// The chunk shape, or nil for contiguous (and compact) storage.
    let chunks: [Int]?
    /// Filter names in pipeline order: "shuffle", "deflate", or "filter <id>" for anything else.
    let filters: [String]
}
