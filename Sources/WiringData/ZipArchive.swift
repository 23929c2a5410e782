// The entries of a zip file held in memory, enough for NumPy's .npz: stored (method 0) and deflated
// (method 8) entries, zip64 sizes and offsets (numpy.savez always writes zip64 extra fields), the
// CRC-32 of every entry checked. Encrypted entries, other methods and multi-disk archives are refused.

/// One file inside a zip.
struct ZipEntry {
    let name: String
    let method: Int
    let compressedSize: Int
    let size: Int
    let crc: UInt32
    let localHeaderOffset: Int
    let encrypted: Bool
}

/// Little-endian reads that fail instead of trapping past the end.
private struct LittleEndian {
    let bytes: [UInt8]
    func read(_ offset: Int, _ n: Int) -> Int? {
        guard offset >= 0, n <= 8, offset <= bytes.count - n else { return nil }
        var value: UInt64 = 0
        for i in 0..<n { value |= UInt64(bytes[offset + i]) << (8 * UInt64(i)) }
        return value <= UInt64(Int.max) ? Int(value) : nil
    }
}

/// The entries listed in the central directory of `bytes`.
/// - Throws: `DataError.corrupt` when there is no (or a damaged) central directory, e.g. a truncated file.
func zipEntries(_ bytes: [UInt8], path: String, fix: String) throws -> [ZipEntry] {
    func corrupt(_ problem: String) -> DataError { .corrupt(path: path, problem: problem, fix: fix) }
    let le = LittleEndian(bytes: bytes)
    // The end-of-central-directory record: 22 bytes plus a comment of up to 65535 bytes, at the end.
    var eocd: Int?
    var i = bytes.count - 22
    while i >= max(0, bytes.count - 22 - 65535) {
        if le.read(i, 4) == 0x0605_4B50 { eocd = i; break }
        i -= 1
    }
    guard let end = eocd else {
        throw corrupt("truncated or not a zip file (no end-of-central-directory record in its \(bytes.count) bytes)")
    }
    guard var count = le.read(end + 10, 2), var directorySize = le.read(end + 12, 4),
          var directoryOffset = le.read(end + 16, 4) else { throw corrupt("damaged end-of-central-directory record") }
    if count == 0xFFFF || directorySize == 0xFFFF_FFFF || directoryOffset == 0xFFFF_FFFF {
        // zip64: a locator just before the record points at the zip64 end record.
        guard le.read(end - 20, 4) == 0x0706_4B50, let record = le.read(end - 12, 8), le.read(record, 4) == 0x0606_4B50,
              let c = le.read(record + 32, 8), let s = le.read(record + 40, 8), let o = le.read(record + 48, 8) else {
            throw corrupt("damaged zip64 end-of-central-directory record")
        }
        (count, directorySize, directoryOffset) = (c, s, o)
    }
    guard directoryOffset <= bytes.count, directorySize <= bytes.count - directoryOffset else {
        throw corrupt("truncated: the central directory lies past the end of the file")
    }
    var entries = [ZipEntry]()
    var at = directoryOffset
    for _ in 0..<count {
        guard le.read(at, 4) == 0x0201_4B50, let flags = le.read(at + 8, 2), let method = le.read(at + 10, 2),
              let crc = le.read(at + 16, 4), var compressed = le.read(at + 20, 4), var size = le.read(at + 24, 4),
              let nameLength = le.read(at + 28, 2), let extraLength = le.read(at + 30, 2),
              let commentLength = le.read(at + 32, 2), var offset = le.read(at + 42, 4),
              at + 46 + nameLength + extraLength <= bytes.count else {
            throw corrupt("damaged central directory entry at byte \(at)")
        }
        let name = String(decoding: bytes[at + 46 ..< at + 46 + nameLength], as: UTF8.self)
        // zip64 extra field (id 1): the 64-bit values of the fields that read 0xFFFFFFFF, in this order.
        var extra = at + 46 + nameLength
        let extraEnd = extra + extraLength
        while extra + 4 <= extraEnd, let id = le.read(extra, 2), let length = le.read(extra + 2, 2) {
            if id == 1 {
                var field = extra + 4
                func next() throws -> Int {
                    guard field + 8 <= extra + 4 + length, let v = le.read(field, 8) else {
                        throw corrupt("damaged zip64 field of entry '\(name)'")
                    }
                    field += 8
                    return v
                }
                if size == 0xFFFF_FFFF { size = try next() }
                if compressed == 0xFFFF_FFFF { compressed = try next() }
                if offset == 0xFFFF_FFFF { offset = try next() }
            }
            extra += 4 + length
        }
        entries.append(ZipEntry(name: name, method: method, compressedSize: compressed, size: size,
                                crc: UInt32(crc), localHeaderOffset: offset, encrypted: flags & 1 != 0))
        at = extraEnd + commentLength
    }
    return entries
}

/// The uncompressed bytes of `entry`, CRC-checked.
/// - Throws: `DataError.corrupt` for an encrypted entry, an unknown method, data past the end of the
///   file, damaged deflate data or a CRC mismatch.
func zipEntryData(_ bytes: [UInt8], _ entry: ZipEntry, path: String, fix: String) throws -> [UInt8] {
    func corrupt(_ problem: String) -> DataError { .corrupt(path: path, problem: "\(entry.name): \(problem)", fix: fix) }
    let le = LittleEndian(bytes: bytes)
    guard !entry.encrypted else { throw corrupt("is encrypted") }
    guard le.read(entry.localHeaderOffset, 4) == 0x0403_4B50, let nameLength = le.read(entry.localHeaderOffset + 26, 2),
          let extraLength = le.read(entry.localHeaderOffset + 28, 2) else {
        throw corrupt("damaged local header at byte \(entry.localHeaderOffset)")
    }
    let start = entry.localHeaderOffset + 30 + nameLength + extraLength
    guard start <= bytes.count, entry.compressedSize <= bytes.count - start else {
        throw corrupt("truncated: its data runs past the end of the file")
    }
    let raw = bytes[start ..< start + entry.compressedSize]
    let data: [UInt8]
    switch entry.method {
    case 0:
        guard entry.compressedSize == entry.size else { throw corrupt("stored with two different sizes") }
        data = Array(raw)
    case 8:
        data = try inflateRaw(raw, expectedSize: entry.size, path: path, fix: fix)
    default:
        throw corrupt("compression method \(entry.method) is not stored (0) or deflate (8)")
    }
    guard crc32Checksum(data) == entry.crc else { throw corrupt("CRC-32 mismatch (its bytes changed after it was written)") }
    return data
}
