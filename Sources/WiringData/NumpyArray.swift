// A NumPy array as read from a file (.npy inside an .npz, or a pickled ndarray in torchvision's
// CIFAR folders): its shape, its element type and its raw bytes, nothing more. Only the plain
// numeric dtypes are modelled; object arrays, structured dtypes and big-endian data are refused by
// the readers before an array is made, so every value here converts without a surprise.

/// The element type of a NumPy array: kind (`u`, `i`, `f`, `b`) and size in bytes, little-endian.
public struct NumpyDType: Equatable, Sendable, CustomStringConvertible {
    /// NumPy's kind character: `u` unsigned, `i` signed integer, `f` floating point, `b` boolean.
    public let kind: Character
    /// Bytes per element.
    public let size: Int

    /// The dtype of a descriptor string such as `<u1`, `|u1`, `u1`, `<i8`, `<f4`, `|b1`, `=f8`, or nil
    /// when it is not a little-endian (or byte-order-free) plain number; `problem` and `fix` then say
    /// why and what to do, in words fit for an error message.
    static func parse(_ descr: String) -> (dtype: NumpyDType?, problem: String, fix: String) {
        var text = Substring(descr)
        var order: Character = "|"
        if let first = text.first, "<>|=".contains(first) { order = first; text = text.dropFirst() }
        let plain = "store plain numbers: images as uint8 or float, labels as integers"
        if text.first == "O" {
            return (nil, "dtype '\(descr)' is an object array (pickled Python objects), which is never loaded",
                    "store a numeric array (np.asarray(x, dtype=np.uint8)) so that np.savez needs no pickle")
        }
        guard let kind = text.first, let size = Int(text.dropFirst()) else {
            return (nil, "dtype '\(descr)' is not a plain number type (a string or structured array)", plain)
        }
        switch (kind, size) {
        case ("u", 1), ("u", 2), ("u", 4), ("u", 8), ("i", 1), ("i", 2), ("i", 4), ("i", 8),
             ("f", 2), ("f", 4), ("f", 8), ("b", 1):
            break
        default:
            return (nil, "dtype '\(descr)' is not supported", plain)
        }
        if order == ">" && size > 1 {
            return (nil, "dtype '\(descr)' is big-endian", "convert it to little-endian with a.astype(a.dtype.newbyteorder('<'))")
        }
        return (NumpyDType(kind: kind, size: size), "", "")
    }

    /// Whether the values are integers (booleans count as 0 and 1).
    public var isInteger: Bool { kind != "f" }

    /// NumPy's name for the type, e.g. `uint8`, `int64`, `float32`.
    public var description: String {
        switch kind {
        case "u": return "uint\(size * 8)"
        case "i": return "int\(size * 8)"
        case "f": return "float\(size * 8)"
        default: return "bool"
        }
    }
}

/// An n-dimensional array of plain numbers in C (row-major) order, little-endian bytes.
public struct NumpyArray: Equatable, Sendable {
    /// The dimensions, outermost first.
    public let shape: [Int]
    /// The element type.
    public let dtype: NumpyDType
    /// `shape.product × dtype.size` little-endian bytes, row-major.
    public let bytes: [UInt8]

    /// The number of elements.
    public var count: Int { shape.reduce(1, *) }

    /// Element `i` (row-major) as an integer, for integer and boolean arrays.
    /// - Precondition: `dtype.isInteger` and `i < count`.
    func integer(at i: Int) -> Int {
        let base = i * dtype.size
        var raw: UInt64 = 0
        for b in 0..<dtype.size { raw |= UInt64(bytes[base + b]) << (8 * UInt64(b)) }
        guard dtype.kind == "i", dtype.size < 8 else { return Int(truncatingIfNeeded: raw) }
        // Sign-extend narrower signed types.
        let shift = UInt64(64 - 8 * dtype.size)
        return Int(truncatingIfNeeded: Int64(bitPattern: raw << shift) >> Int64(shift))
    }

    /// Every element as an integer (see `integer(at:)`). A uint64 above Int.max reads as negative,
    /// which the label checks then refuse.
    func integers() -> [Int] { (0..<count).map(integer(at:)) }

    /// Element `i` of a float array as a Double (half, single and double precision).
    func floatingPoint(at i: Int) -> Double {
        let base = i * dtype.size
        var raw: UInt64 = 0
        for b in 0..<dtype.size { raw |= UInt64(bytes[base + b]) << (8 * UInt64(b)) }
        switch dtype.size {
        case 2: return Double(Float16Bits.decode(UInt16(raw)))
        case 4: return Double(Float(bitPattern: UInt32(raw)))
        default: return Double(bitPattern: raw)
        }
    }
}

/// IEEE half precision decoded by hand, so that no platform's Float16 availability matters.
enum Float16Bits {
    static func decode(_ h: UInt16) -> Float {
        let sign: Float = h & 0x8000 != 0 ? -1 : 1
        let exponent = Int(h >> 10 & 0x1F), fraction = Float(h & 0x3FF)
        switch exponent {
        case 0: return sign * fraction * Float(sign: .plus, exponent: -24, significand: 1)
        case 31: return fraction == 0 ? sign * .infinity : .nan
        default: return sign * (1 + fraction / 1024) * Float(sign: .plus, exponent: exponent - 15, significand: 1)
        }
    }
}
