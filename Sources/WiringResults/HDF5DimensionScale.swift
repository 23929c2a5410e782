// HDF5 dimension scales (the H5DS API of the high-level library): named, 1-D coordinate datasets attached to the axes
// of other datasets. netCDF-4 readers (xarray, ncdump) take dimension names from them; without scales they invent
// `phony_dim_0`, `phony_dim_1`, ... We also set each axis' label, which h5py shows as `ds.dims[i].label`.

import CHDF5

extension HDF5Group {
    /// Creates a 1-D numeric dataset `name` and makes it a dimension scale called `name` (a coordinate such as cell
    /// or edge indices).
    /// - Throws: as `write(_:_:shape:dimensions:)`, or `ResultsError.hdf5` if H5DSset_scale fails.
    @discardableResult
    public func createDimensionScale<T: HDF5Element>(_ name: String, values: [T]) throws -> HDF5Dataset {
        let scale = try write(name, values)
        try scale.makeDimensionScale()
        return scale
    }

    /// Creates a 1-D variable-length string dataset `name` and makes it a dimension scale called `name` (a labelled
    /// coordinate such as op names).
    /// - Throws: as `write(_:strings:shape:dimensions:)`, or `ResultsError.hdf5` if H5DSset_scale fails.
    @discardableResult
    public func createDimensionScale(_ name: String, labels: [String]) throws -> HDF5Dataset {
        let scale = try write(name, strings: labels)
        try scale.makeDimensionScale()
        return scale
    }

    /// The scale `name` in this group for an axis of `length`: the existing dataset (made a scale if it is not one
    /// yet), or a new int64 scale 0, 1, ..., length-1.
    /// - Throws: `ResultsError.shapeMismatch` if an existing dataset of that name is not 1-D of `length`.
    func dimensionScale(_ name: String, length: Int) throws -> HDF5Dataset {
        guard try contains(name) else { return try createDimensionScale(name, values: (0..<length).map(Int64.init)) }
        let scale = try dataset(name)
        let shape = try scale.shape
        guard shape == [length] else {
            throw ResultsError.shapeMismatch(file: file.path, path: scale.path,
                                             problem: "dimension scale has shape \(shape), the axis needs [\(length)]")
        }
        if try !scale.isDimensionScale { try scale.makeDimensionScale() }
        return scale
    }
}

extension HDF5Dataset {
    /// Whether this dataset is a dimension scale.
    /// - Throws: `ResultsError` if the dataset cannot be opened.
    public var isDimensionScale: Bool {
        get throws { try withOpenDataset("H5DSis_scale") { try site.check(H5DSis_scale($0), "H5DSis_scale") > 0 } }
    }

    /// Attaches `scale` to axis `dimension` of this dataset and labels the axis with the scale's name.
    /// - Throws: `ResultsError.shapeMismatch` for an axis out of range, `.hdf5` if HDF5 refuses (e.g. `scale` is not
    ///   a dimension scale, or lies in another file).
    public func attachDimensionScale(_ scale: HDF5Dataset, toDimension dimension: Int) throws {
        let rank = try shape.count
        guard (0..<rank).contains(dimension) else {
            throw ResultsError.shapeMismatch(file: file.path, path: path,
                                             problem: "no axis \(dimension) to attach \(scale.path) to (rank \(rank))")
        }
        guard scale.file === file else {
            throw ResultsError.hdf5(file: file.path, path: path, operation: "H5DSattach_scale",
                                    detail: "the scale \(scale.path) is in another file (\(scale.file.path))")
        }
        _ = try file.writableID("attach dimension scale")
        try withOpenDataset("H5DSattach_scale") { dataset in
            try scale.withOpenDataset("H5DSattach_scale") { scaleID in
                try site.check(H5DSattach_scale(dataset, scaleID, UInt32(dimension)), "H5DSattach_scale")
                try site.check(H5DSset_label(dataset, UInt32(dimension), scale.name), "H5DSset_label")
            }
        }
    }

    /// The label of each axis ("" where none is set); the dimension names given to `write(..., dimensions:)`.
    /// - Throws: `ResultsError` if the dataset cannot be read.
    public func dimensionLabels() throws -> [String] {
        let rank = try shape.count
        return try withOpenDataset("H5DSget_label") { dataset in
            try (0..<rank).map { axis in
                try HDF5Library.readName(site, "H5DSget_label") { buffer, size in
                    H5DSget_label(dataset, UInt32(axis), buffer, size)
                }
            }
        }
    }

    /// Absolute paths of the dimension scales attached to axis `dimension`, in attachment order.
    /// - Throws: `ResultsError.shapeMismatch` for an axis out of range, `.hdf5` if HDF5 fails.
    public func dimensionScalePaths(dimension: Int) throws -> [String] {
        let rank = try shape.count
        guard (0..<rank).contains(dimension) else {
            throw ResultsError.shapeMismatch(file: file.path, path: path, problem: "no axis \(dimension) (rank \(rank))")
        }
        return try withOpenDataset("H5DSget_num_scales") { dataset in
            let count = try site.check(H5DSget_num_scales(dataset, UInt32(dimension)), "H5DSget_num_scales")
            return try (0..<count).map { index in
                try HDF5Library.readName(site, "H5DSiterate_scales") { buffer, size in
                    wl_dimension_scale_path(dataset, UInt32(dimension), index, buffer, size)
                }
            }
        }
    }

    /// Makes this dataset a dimension scale named after the dataset.
    func makeDimensionScale() throws {
        _ = try file.writableID("H5DSset_scale")
        _ = try withOpenDataset("H5DSset_scale") { try site.check(H5DSset_scale($0, name), "H5DSset_scale") }
    }
}
