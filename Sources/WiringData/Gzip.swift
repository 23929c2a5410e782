// gzip decompression through zlib (CZlib), used for Fashion-MNIST's .gz idx files.
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
