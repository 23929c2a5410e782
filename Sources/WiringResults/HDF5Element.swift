// The Swift types WiringResults reads and writes, the n-dimensional array they come in, and the description of
// what a file stores. HDF5 converts between stored and requested types on read (int64 → Double, float32 → Double),
// but never silently loses information: floats are not read as integers, and out-of-range values throw.

/// The element types of numeric datasets and attributes.
public enum HDF5ElementKind: Sendable, CaseIterable {
    /// IEEE single and double precision.
    case float32, float64
    /// Signed two's-complement integers.
    case int8, int32, int64

    /// numpy-style name, as used in error messages: "float32", "int64", ...
    public var name: String {
        switch self {
        case .float32: return "float32"
        case .float64: return "float64"
        case .int8: return "int8"
        case .int32: return "int32"
        case .int64: return "int64"
        }
    }
}

/// A Swift number type that maps to an HDF5 numeric type: `Float`, `Double`, `Int8`, `Int32`, `Int64` and `Int`
/// (stored as int64). WiringResults relies on these six conformances only; do not add others.
public protocol HDF5Element: Numeric, Sendable {
    /// The HDF5 type this Swift type is written as and read into.
    static var hdf5Kind: HDF5ElementKind { get }
    /// Converts a Double (used for attributes, whose reads HDF5 cannot range-check); integers are range-checked first.
    init(_ value: Double)
}

extension Float: HDF5Element {
    /// float32.
    public static var hdf5Kind: HDF5ElementKind { .float32 }
}

extension Double: HDF5Element {
    /// float64.
    public static var hdf5Kind: HDF5ElementKind { .float64 }
}

extension Int8: HDF5Element {
    /// int8, the fixtures' type for boolean settings (0/1).
    public static var hdf5Kind: HDF5ElementKind { .int8 }
}

extension Int32: HDF5Element {
    /// int32.
    public static var hdf5Kind: HDF5ElementKind { .int32 }
}

extension Int64: HDF5Element {
    /// int64.
    public static var hdf5Kind: HDF5ElementKind { .int64 }
}

extension Int: HDF5Element {
    /// int64: Swift's Int is 64 bits on every platform WiringLab supports.
    public static var hdf5Kind: HDF5ElementKind {
        precondition(MemoryLayout<Int>.size == 8, "WiringResults stores Int as int64 and needs a 64-bit platform")
        return .int64
    }
}

// MARK: - Arrays

/// An n-dimensional array as HDF5 stores it: row-major `values` and their `shape` (outermost first).
///
/// A scalar has shape `[]` and one value. `Tensor(shape: a.shape, scalars: a.values)` turns it into an engine tensor.
public struct HDF5Array<Element> {
    /// The extent of each dimension, outermost first; `[]` for a scalar.
    public let shape: [Int]
    /// The values in row-major (C) order.
    public let values: [Element]

    /// An array of `values` with the given shape.
    /// - Precondition: `values.count` equals the product of `shape` (1 for a scalar).
    public init(shape: [Int], values: [Element]) {
        precondition(values.count == shape.reduce(1, *), "HDF5Array(shape: \(shape)): got \(values.count) values")
        self.shape = shape
        self.values = values
    }

    /// A one-dimensional array.
    public init(_ values: [Element]) {
        self.init(shape: [values.count], values: values)
    }

    /// Number of elements.
    public var count: Int { values.count }
}

extension HDF5Array: Equatable where Element: Equatable {}
extension HDF5Array: Hashable where Element: Hashable {}
extension HDF5Array: Sendable where Element: Sendable {}

// MARK: - Stored types

/// What a dataset or attribute stores, as found in the file.
public enum HDF5StoredType: Equatable, Hashable, Sendable, CustomStringConvertible {
    /// A signed or unsigned integer of `bytes` bytes.
    case integer(bytes: Int, signed: Bool)
    /// An IEEE float of `bytes` bytes.
    case float(bytes: Int)
    /// A string, fixed-length (`length` bytes) or variable-length (`nil`).
    case string(length: Int?)
    /// Anything else (compound, enum, reference, ...); WiringResults cannot read it.
    case other(String)

    /// numpy-style name: "float32", "int64", "uint8", "string(12)", "string(variable)".
    public var description: String {
        switch self {
        case let .integer(bytes, signed): return "\(signed ? "" : "u")int\(bytes * 8)"
        case let .float(bytes): return "float\(bytes * 8)"
        case let .string(length): return "string(\(length.map(String.init) ?? "variable"))"
        case let .other(name): return name
        }
    }

    /// Whether a value of this stored type can be read as `kind` without losing its meaning: any number as a float,
    /// integers as integers (range-checked), never a float as an integer or a string as a number.
    func canBeRead(as kind: HDF5ElementKind) -> Bool {
        switch self {
        case .float: return !kind.isInteger
        case .integer: return true
        case .string, .other: return false
        }
    }
}
