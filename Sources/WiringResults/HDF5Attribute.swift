// Attributes of groups and datasets (the file's own attributes are the root group's). The fixtures keep every
// setting in `config` attributes: fixed-length strings (read; written strings are variable-length UTF-8), string arrays, int64/int8 scalars and float64 values.
// Attribute reads go through a wide type (int64 or float64) and are converted in Swift, because H5Aread takes no
// transfer list and so cannot carry the strict range check that dataset reads use.

import CHDF5

/// An attribute's value with its shape, as read by `attributeValue(_:)`, for code that does not know the type ahead
/// (printing a file's `config`, say).
public enum HDF5AttributeValue: Equatable, Sendable, CustomStringConvertible {
    /// Strings (fixed- or variable-length).
    case text(HDF5Array<String>)
    /// Integers of any stored width, as Int.
    case integer(HDF5Array<Int>)
    /// Floats of any stored width, as Double.
    case real(HDF5Array<Double>)

    /// The value as written in Python: `'sep_conv_3x3'`, `1e-05`, `['none', 'skip_connect']`.
    public var description: String {
        func show<T>(_ array: HDF5Array<T>, _ item: (T) -> String) -> String {
            array.shape.isEmpty ? item(array.values[0]) : "[" + array.values.map(item).joined(separator: ", ") + "]"
        }
        switch self {
        case let .text(array): return show(array) { "'\($0)'" }
        case let .integer(array): return show(array) { "\($0)" }
        case let .real(array): return show(array) { "\($0)" }
        }
    }
}

extension HDF5Object {
    // MARK: - Reading

    /// Names of the object's attributes, sorted.
    /// - Throws: `ResultsError` if the object cannot be opened.
    public func attributeNames() throws -> [String] {
        try withOpenObject("list attributes") { object in
            let count = try site.check(wl_attribute_count(object), "H5Aiterate2")
            return try (0..<hsize_t(count)).map { index in
                try HDF5Library.readName(site, "H5Aget_name_by_idx") { buffer, size in
                    H5Aget_name_by_idx(object, ".", H5_INDEX_NAME, H5_ITER_INC, index, buffer, size, wl_h5p_default())
                }
            }
        }
    }

    /// Whether the object has an attribute `name`.
    /// - Throws: `ResultsError` if the object cannot be opened.
    public func hasAttribute(_ name: String) throws -> Bool {
        try withOpenObject("H5Aexists") { try site.attribute(name).check(H5Aexists($0, name), "H5Aexists") > 0 }
    }

    /// Reads a numeric attribute that holds exactly one value (e.g. `config/cells`, `config/bn_eps`).
    /// - Throws: `ResultsError.notFound`, `.typeMismatch` (strings; floats as integers; values out of range),
    ///   `.shapeMismatch` if it holds more than one value.
    public func attribute<T: HDF5Element>(_ name: String, as type: T.Type = T.self) throws -> T {
        let array = try attributeArray(name, as: T.self)
        guard array.count == 1 else {
            throw ResultsError.shapeMismatch(file: file.path, path: site.attribute(name).path,
                                             problem: "shape \(array.shape) holds \(array.count) values, not one")
        }
        return array.values[0]
    }

    /// Reads a numeric attribute of any shape as `T`, with the same conversions as `HDF5Dataset.read(_:)`.
    /// - Throws: `ResultsError.notFound`, `.typeMismatch` (strings; floats as integers; values out of range).
    public func attributeArray<T: HDF5Element>(_ name: String, as type: T.Type = T.self) throws -> HDF5Array<T> {
        let attributeSite = site.attribute(name)
        let mismatch = { (stored: String) in
            ResultsError.typeMismatch(file: attributeSite.file, path: attributeSite.path, stored: stored,
                                      requested: T.hdf5Kind.name)
        }
        switch try attributeValue(name) {
        case .text:
            throw mismatch("strings")
        case .real(let array):
            guard !T.hdf5Kind.isInteger else { throw mismatch("float") }
            return HDF5Array(shape: array.shape, values: array.values.map { T($0) })
        case .integer(let array):
            if !T.hdf5Kind.isInteger { return HDF5Array(shape: array.shape, values: array.values.map { T(Double($0)) }) }
            let values = try array.values.map { value -> T in
                guard let converted = T(exactly: value) else { throw mismatch("integer with value \(value)") }
                return converted
            }
            return HDF5Array(shape: array.shape, values: values)
        }
    }

    /// Reads a string attribute that holds one string (e.g. `config/method`).
    /// - Throws: `ResultsError.notFound`, `.typeMismatch` for numbers, `.shapeMismatch` for several strings.
    public func stringAttribute(_ name: String) throws -> String {
        let strings = try stringsAttribute(name)
        guard strings.count == 1 else {
            throw ResultsError.shapeMismatch(file: file.path, path: site.attribute(name).path,
                                             problem: "holds \(strings.count) strings, not one")
        }
        return strings[0]
    }

    /// Reads a string attribute of any shape, flattened in row-major order (e.g. `config/op_names`).
    /// - Throws: `ResultsError.notFound`, `.typeMismatch` for numbers.
    public func stringsAttribute(_ name: String) throws -> [String] {
        guard case .text(let array) = try attributeValue(name) else {
            let attributeSite = site.attribute(name)
            throw ResultsError.typeMismatch(file: attributeSite.file, path: attributeSite.path, stored: "a number",
                                            requested: "string")
        }
        return array.values
    }

    /// Reads an attribute whatever it holds: strings, integers (as Int) or floats (as Double), with its shape.
    /// - Throws: `ResultsError.notFound`, `.typeMismatch` for compound, enum and other types.
    public func attributeValue(_ name: String) throws -> HDF5AttributeValue {
        let site = site.attribute(name)
        return try withOpenObject("read attribute") { object in
            guard try site.check(H5Aexists(object, name), "H5Aexists") > 0 else {
                throw ResultsError.notFound(file: site.file, path: site.path)
            }
            let attribute = try site.check(H5Aopen(object, name, wl_h5p_default()), "H5Aopen")
            defer { H5Aclose(attribute) }
            let type = try site.check(H5Aget_type(attribute), "H5Aget_type")
            defer { H5Tclose(type) }
            let space = try site.check(H5Aget_space(attribute), "H5Aget_space")
            defer { H5Sclose(space) }
            let shape = try HDF5Library.shape(ofSpace: space, site)
            let count = shape.reduce(1, *)
            switch HDF5StoredType(typeID: type) {
            case .string:
                let strings = try HDF5Library.readStrings(fileType: type, count: count, space: space, site) {
                    H5Aread(attribute, $0, $1)
                }
                return .text(HDF5Array(shape: shape, values: strings))
            case .integer:
                var values = [Int64](repeating: 0, count: count)
                if count > 0 {
                    _ = try values.withUnsafeMutableBytes {
                        try site.check(H5Aread(attribute, wl_h5t_native_int64(), $0.baseAddress), "H5Aread")
                    }
                }
                return .integer(HDF5Array(shape: shape, values: values.map { Int($0) }))
            case .float:
                var values = [Double](repeating: 0, count: count)
                if count > 0 {
                    _ = try values.withUnsafeMutableBytes {
                        try site.check(H5Aread(attribute, wl_h5t_native_double(), $0.baseAddress), "H5Aread")
                    }
                }
                return .real(HDF5Array(shape: shape, values: values))
            case let stored:
                throw ResultsError.typeMismatch(file: site.file, path: site.path, stored: "\(stored)",
                                                requested: "string or number")
            }
        }
    }

    // MARK: - Writing

    /// Sets a scalar string attribute (variable-length UTF-8, as netCDF-4 writes them), replacing any earlier value.
    /// - Throws: `ResultsError.notWritable` for a read-only or closed file, `.hdf5` if HDF5 fails.
    public func setAttribute(_ name: String, _ value: String) throws {
        try setStringAttribute(name, [value], shape: [])
    }

    /// Sets a 1-D string-array attribute (e.g. op names), replacing any earlier value.
    /// - Throws: as `setAttribute(_:_:)` for a string.
    public func setAttribute(_ name: String, _ values: [String]) throws {
        try setStringAttribute(name, values, shape: [values.count])
    }

    /// Sets a scalar numeric attribute (Int as int64, Double as float64, ...), replacing any earlier value.
    /// - Throws: as `setAttribute(_:_:)` for a string.
    public func setAttribute<T: HDF5Element>(_ name: String, _ value: T) throws {
        try setNumericAttribute(name, [value], shape: [])
    }

    /// Sets a 1-D numeric-array attribute, replacing any earlier value.
    /// - Throws: as `setAttribute(_:_:)` for a string.
    public func setAttribute<T: HDF5Element>(_ name: String, _ values: [T]) throws {
        try setNumericAttribute(name, values, shape: [values.count])
    }

    /// Sets a boolean setting, stored as int8 0/1 like the fixtures' `config` flags (MATLAB and R have no HDF5 bool).
    /// - Throws: as `setAttribute(_:_:)` for a string.
    public func setAttribute(_ name: String, _ value: Bool) throws {
        try setNumericAttribute(name, [Int8(value ? 1 : 0)], shape: [])
    }

    private func setNumericAttribute<T: HDF5Element>(_ name: String, _ values: [T], shape: [Int]) throws {
        let kind = T.hdf5Kind
        try values.withUnsafeBytes {
            try writeAttribute(name, shape: shape, fileType: kind.fileType, memoryType: kind.memoryType, bytes: $0)
        }
    }

    private func setStringAttribute(_ name: String, _ values: [String], shape: [Int]) throws {
        try HDF5Library.run {
            let type = try HDF5Library.variableStringType(site.attribute(name))
            defer { H5Tclose(type) }
            try HDF5Library.withCStringPointers(values) {
                try writeAttribute(name, shape: shape, fileType: type, memoryType: type, bytes: $0)
            }
        }
    }

    /// Creates (or replaces) attribute `name` and writes `bytes`, laid out as `memoryType`.
    private func writeAttribute(_ name: String, shape: [Int], fileType: hid_t, memoryType: hid_t,
                                bytes: UnsafeRawBufferPointer) throws
    {
        let site = site.attribute(name)
        _ = try HDF5Library.run { try file.writableID("set attribute") }
        try withOpenObject("set attribute") { object in
            if try site.check(H5Aexists(object, name), "H5Aexists") > 0 {
                try site.check(H5Adelete(object, name), "H5Adelete")
            }
            let space = try HDF5Library.createSpace(shape: shape, site)
            defer { H5Sclose(space) }
            let attribute = try site.check(
                H5Acreate2(object, name, fileType, space, wl_h5p_default(), wl_h5p_default()), "H5Acreate2")
            defer { H5Aclose(attribute) }
            // An empty array still needs a valid pointer: HDF5 rejects a null buffer even for zero elements.
            var dummy: UInt8 = 0
            let status = withUnsafeBytes(of: &dummy) { H5Awrite(attribute, memoryType, bytes.baseAddress ?? $0.baseAddress) }
            try site.check(status, "H5Awrite")
        }
    }
}
