// The idx format of (Fashion-)MNIST (http://yann.lecun.com/exdb/mnist/): a big-endian header
// `00 00 <type> <rank>`, then `rank` UInt32 dimension sizes, then the data, row-major.
// Only type 0x08 (unsigned byte) is used by these data sets, so only it is accepted.

/// One array read from an idx file.
struct IDXArray {
    /// The dimension sizes, outermost first (images: N, rows, columns; labels: N).
    var dimensions: [Int]
    /// The elements in row-major order.
    var bytes: [UInt8]
}

/// Parses an unsigned-byte idx array of the given rank.
/// - Throws: `DataError.corrupt` (with `fix`) for a wrong magic number, a short header, or data
///   shorter or longer than the header promises.
func parseIDX(_ data: [UInt8], rank: Int, path: String, fix: String) throws -> IDXArray {
    func corrupt(_ problem: String) -> DataError { .corrupt(path: path, problem: problem, fix: fix) }
    let expectedMagic = 0x0800 | rank
    guard data.count >= 4 else { throw corrupt("truncated: \(data.count) bytes, too short for an idx header") }
    let magic = readBigEndianUInt32(data, at: 0)
    guard magic == expectedMagic else {
        throw corrupt("bad idx magic number \(hex(magic)), expected \(hex(expectedMagic)) (unsigned bytes, rank \(rank))")
    }
    let headerSize = 4 + 4 * rank
    guard data.count >= headerSize else { throw corrupt("truncated: the idx header needs \(headerSize) bytes") }
    let dimensions = (0..<rank).map { readBigEndianUInt32(data, at: 4 + 4 * $0) }
    let found = data.count - headerSize
    // Checked: four 32-bit sizes can overflow a product of Ints, and a damaged header should not trap.
    var expected = 1
    for d in dimensions {
        let (product, overflow) = expected.multipliedReportingOverflow(by: d)
        guard !overflow, product <= Int(UInt32.max) * 256 else {
            throw corrupt("the header \(dimensions) promises more data than any idx file holds")
        }
        expected = product
    }
    guard found >= expected else {
        throw corrupt("truncated: the header \(dimensions) promises \(expected) data bytes, found \(found)")
    }
    guard found == expected else { throw corrupt("\(found - expected) unexpected bytes after the data \(dimensions)") }
    return IDXArray(dimensions: dimensions, bytes: Array(data[headerSize...]))
}

private func readBigEndianUInt32(_ data: [UInt8], at offset: Int) -> Int {
    Int(data[offset]) << 24 | Int(data[offset + 1]) << 16 | Int(data[offset + 2]) << 8 | Int(data[offset + 3])
}

private func hex(_ value: Int) -> String {
    let digits = String(value, radix: 16)
    return "0x" + String(repeating: "0", count: max(0, 8 - digits.count)) + digits
}
