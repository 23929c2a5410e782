// zlib (CZlib): gzip decompression for Fashion-MNIST's .gz idx files, raw inflate and CRC-32 for
// the entries of .npz (zip) files.
// zlib checks the gzip header, the CRC-32 and the length trailer; every failure becomes a
// DataError naming the file, never a crash.
import CZlib

/// Inflates a whole gzip file (one or more concatenated members) held in memory.
/// - Parameters:
///   - compressed: the file's bytes.
///   - path: the file, for error messages.
///   - fix: what to tell the user if the file is damaged.
/// - Throws: `DataError.corrupt` for a bad header, bad data, a CRC mismatch or a truncated stream.
func gunzip(_ compressed: [UInt8], path: String, fix: String) throws -> [UInt8] {
    func corrupt(_ problem: String) -> DataError { .corrupt(path: path, problem: problem, fix: fix) }
    guard compressed.count >= 2, compressed[0] == 0x1F, compressed[1] == 0x8B else {
        throw corrupt("not a gzip file (missing the 1f 8b signature)")
    }
    // 10 header bytes, at least 2 of deflate data, 8 trailer bytes.
    guard compressed.count >= 20 else { throw corrupt("truncated: \(compressed.count) bytes, too short for gzip") }
    var stream = z_stream()
    // windowBits 15 + 16: the largest window, gzip wrapper only (a raw zlib stream is an error here).
    guard inflateInit2_(&stream, 15 + 16, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
        throw corrupt("zlib could not start inflating")
    }
    defer { inflateEnd(&stream) }

    // The last 4 bytes hold the uncompressed size mod 2^32 (little-endian): a good first capacity.
    let n = compressed.count
    let sizeHint = Int(compressed[n - 4]) | Int(compressed[n - 3]) << 8
        | Int(compressed[n - 2]) << 16 | Int(compressed[n - 1]) << 24
    // A damaged file can make it anything, so trust it only up to deflate's 1032:1 limit and 256 MiB.
    let capacity = sizeHint <= min(n * 1032, 1 << 28) ? sizeHint : 4 * n
    var output = [UInt8](repeating: 0, count: max(capacity, 1 << 16))
    var produced = 0

    try compressed.withUnsafeBufferPointer { input in
        stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress!)
        stream.avail_in = uInt(input.count)
        while true {
            if produced == output.count { output.append(contentsOf: repeatElement(0, count: output.count)) }
            let status = output.withUnsafeMutableBufferPointer { out -> Int32 in
                stream.next_out = out.baseAddress! + produced
                stream.avail_out = uInt(out.count - produced)
                let status = inflate(&stream, Z_NO_FLUSH)
                produced = out.count - Int(stream.avail_out)
                return status
            }
            switch status {
            case Z_STREAM_END:
                if stream.avail_in == 0 { return }
                // Another gzip member follows (gzip allows concatenation).
                guard inflateReset(&stream) == Z_OK else { throw corrupt("zlib could not restart inflating") }
            case Z_OK:
                continue
            case Z_BUF_ERROR where stream.avail_in == 0:
                throw corrupt("truncated: the gzip stream ends early")
            case Z_BUF_ERROR:
                continue  // output space ran out; the loop grows it
            default:
                let detail = stream.msg.map { String(cString: $0) } ?? "zlib error \(status)"
                throw corrupt("damaged gzip data (\(detail))")
            }
        }
    }
    output.removeSubrange(produced...)
    return output
}

/// Inflates a raw deflate stream (no gzip or zlib wrapper: a zip entry stored with method 8) whose
/// size is known from the zip directory.
/// - Throws: `DataError.corrupt` for damaged or truncated data, or an output of another size.
func inflateRaw(_ compressed: ArraySlice<UInt8>, expectedSize: Int, path: String, fix: String) throws -> [UInt8] {
    func corrupt(_ problem: String) -> DataError { .corrupt(path: path, problem: problem, fix: fix) }
    var stream = z_stream()
    // windowBits -15: raw deflate with the largest window.
    guard inflateInit2_(&stream, -15, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
        throw corrupt("zlib could not start inflating")
    }
    defer { inflateEnd(&stream) }
    // One byte more than expected, so that a stream longer than the directory says is caught.
    var output = [UInt8](repeating: 0, count: expectedSize + 1)
    let input = Array(compressed)
    let (status, produced) = input.withUnsafeBufferPointer { inBuffer in
        output.withUnsafeMutableBufferPointer { out -> (Int32, Int) in
            stream.next_in = UnsafeMutablePointer(mutating: inBuffer.baseAddress)
            stream.avail_in = uInt(inBuffer.count)
            stream.next_out = out.baseAddress
            stream.avail_out = uInt(out.count)
            let status = inflate(&stream, Z_FINISH)
            return (status, out.count - Int(stream.avail_out))
        }
    }
    switch status {
    case Z_STREAM_END:
        guard produced == expectedSize else {
            throw corrupt("inflates to \(produced) bytes, the zip directory says \(expectedSize)")
        }
    case Z_OK, Z_BUF_ERROR:
        if produced > expectedSize { throw corrupt("inflates to more than the \(expectedSize) bytes the zip directory says") }
        throw corrupt("truncated: the deflate stream ends early")
    default:
        let detail = stream.msg.map { String(cString: $0) } ?? "zlib error \(status)"
        throw corrupt("damaged deflate data (\(detail))")
    }
    output.removeLast()
    return output
}

/// The CRC-32 (zip's and gzip's checksum) of `bytes`.
func crc32Checksum(_ bytes: [UInt8]) -> UInt32 {
    bytes.withUnsafeBufferPointer { b in
        // zlib takes a 32-bit length: feed large inputs in chunks.
        var crc = crc32(0, nil, 0)
        var offset = 0
        while offset < b.count {
            let n = min(b.count - offset, 1 << 30)
            crc = crc32(crc, b.baseAddress! + offset, uInt(n))
            offset += n
        }
        return UInt32(crc)
    }
}
