// NumPy's .npy format (numpy.lib.format, versions 1 to 3): the magic "\x93NUMPY", a version, a
// header length, a header that is a Python dict literal {'descr': '<u1', 'fortran_order': False,
// 'shape': (2, 3), }, then the raw data. The header is parsed as data by a small literal parser
// (never evaluated); object arrays, structured dtypes, big-endian data and Fortran order are refused
// with the reason in words.

/// Why an .npy was refused, in words for `DataError.corrupt` (which adds the file and the array name).
struct NPYError: Error {
    let problem: String
    /// What to do instead, when the problem is not plain damage.
    var fix: String? = nil
}

/// Parses one .npy file held in memory.
/// - Throws: `NPYError` for a bad magic, a truncated header or data, or an array it does not read.
func parseNPY(_ bytes: [UInt8]) throws -> NumpyArray {
    let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]  // \x93NUMPY
    guard bytes.count >= 10, Array(bytes[0..<6]) == magic else { throw NPYError(problem: "not an .npy array (bad magic)") }
    let major = Int(bytes[6])
    let headerStart = major == 1 ? 10 : 12
    guard (1...3).contains(major), bytes.count >= headerStart else {
        throw NPYError(problem: "unknown .npy version \(major)")
    }
    var headerLength = 0
    for i in 8..<headerStart { headerLength |= Int(bytes[i]) << (8 * (i - 8)) }
    guard headerLength <= bytes.count - headerStart else { throw NPYError(problem: "truncated: the header runs past the data") }
    let header = String(decoding: bytes[headerStart ..< headerStart + headerLength], as: UTF8.self)
    var parser = LiteralParser(text: Array(header.unicodeScalars))
    guard case let .dict(fields) = try parser.parseValue() else { throw NPYError(problem: "the header is not a dict") }

    guard let descrValue = fields["descr"] else { throw NPYError(problem: "the header has no 'descr'") }
    guard case let .string(descr) = descrValue else {
        throw NPYError(problem: "a structured dtype (a record array, not an image array)",
                       fix: "store plain numbers: images as uint8 or float, labels as integers")
    }
    guard case let .bool(fortran)? = fields["fortran_order"] else { throw NPYError(problem: "the header has no 'fortran_order'") }
    guard case let .tuple(dims)? = fields["shape"] else { throw NPYError(problem: "the header has no 'shape'") }
    var shape = [Int]()
    for d in dims {
        guard case let .int(n) = d, n >= 0 else { throw NPYError(problem: "the shape holds something that is not a size") }
        shape.append(n)
    }
    let parsed = NumpyDType.parse(descr)
    guard let dtype = parsed.dtype else { throw NPYError(problem: parsed.problem, fix: parsed.fix) }
    guard !fortran || shape.filter({ $0 > 1 }).count <= 1 else {
        throw NPYError(problem: "Fortran (column-major) order is not read", fix: "save np.ascontiguousarray(x) instead")
    }
    let (count, overflow) = shape.reduce((1, false)) { acc, d in
        let r = acc.0.multipliedReportingOverflow(by: d)
        return (r.partialValue, acc.1 || r.overflow)
    }
    let dataStart = headerStart + headerLength
    let (needed, overflow2) = count.multipliedReportingOverflow(by: dtype.size)
    guard !overflow, !overflow2, needed <= bytes.count - dataStart else {
        throw NPYError(problem: "truncated: shape \(pythonShape(shape)) of \(dtype) needs \(overflow || overflow2 ? "more" : "\(needed)") data bytes, the entry has \(bytes.count - dataStart)")
    }
    guard needed == bytes.count - dataStart else {
        throw NPYError(problem: "\(bytes.count - dataStart - needed) bytes after the data of shape \(pythonShape(shape))")
    }
    return NumpyArray(shape: shape, dtype: dtype, bytes: Array(bytes[dataStart...]))
}

/// A Python literal of the kinds an .npy header holds.
private enum Literal {
    case string(String), int(Int), bool(Bool), none, tuple([Literal]), list([Literal]), dict([String: Literal])
}

/// A recursive-descent parser of Python literals: str, int, True/False/None, tuples, lists, dicts with str keys.
private struct LiteralParser {
    let text: [Unicode.Scalar]
    var i = 0

    func fail(_ what: String) -> NPYError { NPYError(problem: "the header is not a valid .npy header (\(what) at character \(i))") }

    mutating func skipSpace() { while i < text.count, text[i] == " " || text[i] == "\n" || text[i] == "\t" { i += 1 } }

    mutating func expect(_ c: Unicode.Scalar) throws {
        skipSpace()
        guard i < text.count, text[i] == c else { throw fail("expected '\(c)'") }
        i += 1
    }

    mutating func peek() -> Unicode.Scalar? { skipSpace(); return i < text.count ? text[i] : nil }

    /// Items up to `close`, allowing a trailing comma.
    mutating func items(until close: Unicode.Scalar) throws -> [Literal] {
        var result = [Literal]()
        while peek() != close {
            result.append(try parseValue())
            if peek() == "," { i += 1 } else { break }
        }
        try expect(close)
        return result
    }

    mutating func parseValue() throws -> Literal {
        guard let c = peek() else { throw fail("unexpected end") }
        switch c {
        case "{":
            i += 1
            var dict = [String: Literal]()
            while peek() != "}" {
                guard case let .string(key) = try parseValue() else { throw fail("a key that is not a str") }
                try expect(":")
                dict[key] = try parseValue()
                if peek() == "," { i += 1 } else { break }
            }
            try expect("}")
            return .dict(dict)
        case "(":
            i += 1
            return .tuple(try items(until: ")"))
        case "[":
            i += 1
            return .list(try items(until: "]"))
        case "'", "\"":
            i += 1
            var s = ""
            while i < text.count, text[i] != c {
                guard text[i] != "\\" else { throw fail("an escaped character") }
                s.unicodeScalars.append(text[i])
                i += 1
            }
            guard i < text.count else { throw fail("an unterminated string") }
            i += 1
            return .string(s)
        default:
            var word = ""
            while i < text.count, text[i].properties.isAlphabetic || ("0"..."9").contains(text[i]) || text[i] == "-" || text[i] == "_" {
                word.unicodeScalars.append(text[i])
                i += 1
            }
            switch word {
            case "True": return .bool(true)
            case "False": return .bool(false)
            case "None": return .none
            default:
                // Python 2 era headers may write 3L for a long.
                let digits = word.hasSuffix("L") ? String(word.dropLast()) : word
                guard let n = Int(digits) else { throw fail("'\(word)'") }
                return .int(n)
            }
        }
    }
}
