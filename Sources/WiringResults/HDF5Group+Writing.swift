// Writing datasets into a group. Layout policy (the same as the fixtures'): fewer than 1024 values are stored
// contiguous, because a chunk index costs more than compression saves; larger datasets are chunked with shuffle +
// deflate and the Fletcher-32 checksum, filters every HDF5 reader (MATLAB, R, netCDF, h5py) has built in.

import CHDF5

extension HDF5Group {
    /// Datasets with at least this many values are chunked and compressed.
    static let compressionThreshold = 1024
    /// gzip level: 4 gets within a few percent of level 9 on float data at a fraction of the time.
    static let deflateLevel: UInt32 = 4
    /// Largest chunk in bytes: HDF5's default chunk cache is 1 MiB, and a chunk that fits is read once.
    static let maximumChunkBytes = 1 << 20

    /// Writes a numeric dataset.
    ///
    /// - Parameters:
    ///   - name: the dataset name, relative to this group or absolute; missing parent groups are created.
    ///   - values: the values in row-major order.
    ///   - shape: the shape; `nil` means one-dimensional `[values.count]`, `[]` a scalar.
    ///   - dimensions: optional names of the dimensions, one per axis. Each becomes an HDF5 dimension scale, a 1-D
    ///     dataset of that name in the dataset's own group (`write("steps/loss", ...)` uses `/steps/step`), so xarray and netCDF readers see named dimensions (not
    ///     `phony_dim_0`) and h5py's `ds.dims[i].label` gives the name. A scale that does not exist yet is created
    ///     holding 0, 1, ..., n-1 (int64); create it first with `createDimensionScale` to give it other values.
    /// - Returns: the new dataset.
    /// - Throws: `ResultsError.shapeMismatch` if the counts disagree, `.alreadyExists` if the name is taken,
    ///   `.notWritable` for a read-only or closed file, `.hdf5` if HDF5 fails.
    @discardableResult
    public func write<T: HDF5Element>(_ name: String, _ values: [T], shape: [Int]? = nil,
                                      dimensions: [String]? = nil) throws -> HDF5Dataset
    {
        let kind = T.hdf5Kind
        return try values.withUnsafeBytes { bytes in
            try createDataset(name, shape: shape ?? [values.count], count: values.count, dimensions: dimensions,
                              fileType: kind.fileType, memoryType: kind.memoryType, bytes: bytes,
                              elementBytes: MemoryLayout<T>.stride)
        }
    }

    /// Writes an `HDF5Array` as a dataset; see `write(_:_:shape:dimensions:)`.
    /// - Throws: as `write(_:_:shape:dimensions:)`.
    @discardableResult
    public func write<T: HDF5Element>(_ name: String, _ array: HDF5Array<T>, dimensions: [String]? = nil) throws
        -> HDF5Dataset
    {
        try write(name, array.values, shape: array.shape, dimensions: dimensions)
    }

    /// Writes a scalar dataset (shape `[]`), e.g. a loss.
    /// - Throws: as `write(_:_:shape:dimensions:)`.
    @discardableResult
    public func write<T: HDF5Element>(_ name: String, scalar value: T) throws -> HDF5Dataset {
        try write(name, [value], shape: [])
    }

    /// Writes a variable-length UTF-8 string dataset (netCDF-4's `string`; h5py reads it as `str`).
    ///
    /// - Parameters:
    ///   - shape: `nil` means one-dimensional `[strings.count]`.
    ///   - dimensions: dimension names, as for numeric datasets.
    /// - Throws: as `write(_:_:shape:dimensions:)`.
    @discardableResult
    public func write(_ name: String, strings: [String], shape: [Int]? = nil,
                      dimensions: [String]? = nil) throws -> HDF5Dataset
    {
        let site = HDF5Site(file: file.path, path: HDF5Path.join(path, name))
        return try HDF5Library.run {
            let type = try HDF5Library.variableStringType(site)
            defer { H5Tclose(type) }
            return try HDF5Library.withCStringPointers(strings) { bytes in
                try createDataset(name, shape: shape ?? [strings.count], count: strings.count, dimensions: dimensions,
                                  fileType: type, memoryType: type, bytes: bytes,
                                  elementBytes: MemoryLayout<UnsafeMutablePointer<CChar>?>.stride)
            }
        }
    }

    /// Creates and fills a dataset; the shared body of the `write` methods.
    func createDataset(_ name: String, shape: [Int], count: Int, dimensions: [String]?, fileType: hid_t,
                       memoryType: hid_t, bytes: UnsafeRawBufferPointer, elementBytes: Int) throws -> HDF5Dataset
    {
        let datasetPath = HDF5Path.join(path, name)
        let site = HDF5Site(file: file.path, path: datasetPath)
        guard shape.allSatisfy({ $0 >= 0 }), shape.reduce(1, *) == count else {
            throw ResultsError.shapeMismatch(file: file.path, path: datasetPath,
                                             problem: "shape \(shape) needs \(shape.reduce(1, *)) values, got \(count)")
        }
        if let dimensions, dimensions.count != shape.count {
            throw ResultsError.shapeMismatch(file: file.path, path: datasetPath,
                                             problem: "\(dimensions.count) dimension names for rank \(shape.count)")
        }
        let dataset = HDF5Dataset(file: file, path: datasetPath)
        try HDF5Library.run {
            let fileID = try file.writableID("write dataset")
            guard HDF5Library.kind(of: datasetPath, in: fileID) == nil else {
                throw ResultsError.alreadyExists(file: file.path, path: datasetPath)
            }
            let space = try HDF5Library.createSpace(shape: shape, site)
            defer { H5Sclose(space) }
            let creation = try Self.creationList(shape: shape, count: count, elementBytes: elementBytes, site)
            defer { H5Pclose(creation) }
            let links = try HDF5Library.intermediateGroupLinkList(site)
            defer { H5Pclose(links) }
            let id = try site.check(
                H5Dcreate2(fileID, datasetPath, fileType, space, links, creation, wl_h5p_default()), "H5Dcreate2")
            defer { H5Dclose(id) }
            if count > 0 {
                try site.check(H5Dwrite(id, memoryType, wl_h5s_all(), wl_h5s_all(), wl_h5p_default(),
                                        bytes.baseAddress), "H5Dwrite")
            }
        }
        // Scales live in the dataset's own group: xarray and netCDF readers open one group at a time and attach
        // as coordinates only the scales they find there.
        let home = HDF5Group(file: file, path: HDF5Path.parent(datasetPath))
        for (axis, dimension) in (dimensions ?? []).enumerated() {
            let scale = try home.dimensionScale(dimension, length: shape[axis])
            try dataset.attachDimensionScale(scale, toDimension: axis)
        }
        return dataset
    }

    /// The dataset-creation property list for the layout policy above. The caller closes it.
    static func creationList(shape: [Int], count: Int, elementBytes: Int, _ site: HDF5Site) throws -> hid_t {
        let creation = try site.check(H5Pcreate(wl_h5p_dataset_create()), "H5Pcreate")
        guard count >= compressionThreshold, !shape.isEmpty else { return creation }
        do {
            let chunks = chunkShape(shape, elementBytes: elementBytes).map { hsize_t($0) }
            try site.check(H5Pset_chunk(creation, Int32(chunks.count), chunks), "H5Pset_chunk")
            try site.check(H5Pset_shuffle(creation), "H5Pset_shuffle")
            try site.check(H5Pset_deflate(creation, deflateLevel), "H5Pset_deflate")
            // A checksum per chunk: a damaged chunk fails to read instead of decompressing to wrong numbers.
            try site.check(H5Pset_fletcher32(creation), "H5Pset_fletcher32")
        } catch {
            H5Pclose(creation)
            throw error
        }
        return creation
    }

    /// The whole array as one chunk, with the outermost axes halved until a chunk fits in `maximumChunkBytes`.
    static func chunkShape(_ shape: [Int], elementBytes: Int) -> [Int] {
        var chunks = shape
        var axis = 0
        while chunks.reduce(elementBytes, *) > maximumChunkBytes, axis < chunks.count {
            if chunks[axis] > 1 { chunks[axis] = (chunks[axis] + 1) / 2 } else { axis += 1 }
        }
        return chunks
    }
}
