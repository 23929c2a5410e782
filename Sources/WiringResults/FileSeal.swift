// The end-to-end seal of every file WiringLab writes: a 512-byte HDF5 user block in front of the file that holds the
// SHA-256 digest and the length of every byte after it. HDF5 skips a user block (it finds its superblock at offset
// 512), so h5py, xarray, netCDF and MATLAB open a sealed file as before; WiringLab checks the seal *before* the HDF5
// library parses anything, because the library trusts its metadata and can crash on a damaged file.
//
// Layout of the user block (ASCII, then zero bytes up to 512):
//
//     WiringLab sealed HDF5 v1\n
//     sha256 <64 lowercase hex digits>\n
//     length <decimal byte count after the user block>\n
//
// A file is intact when its first line is that magic, it is exactly 512 + length bytes long, the SHA-256 of bytes
// 512..<end equals the digest and the rest of the user block is zero. Any changed, missing or added byte fails one of
// these. docs/results-format.md shows the same check in a few lines of Python.

import Crypto
import Foundation

/// The seal of a file: how it was checked when it was opened.
public enum FileSeal: Equatable, Sendable {
    /// The file carries a seal and every byte matched it: the SHA-256 digest (hex) of the bytes after the user block.
    case intact(digest: String)
    /// The file carries no seal: a file written by another program (h5py, the reference fixtures) or by a WiringLab
    /// older than the seal. Its bytes cannot be checked end to end.
    case absent

    /// The user block's size: HDF5 allows 512 bytes or a larger power of two.
    public static let userBlockSize = 512
    /// The first line of the user block.
    static let magic = Array("WiringLab sealed HDF5 v1\n".utf8)
    /// HDF5's format signature, at the start of an unsealed file and right after a sealed file's user block.
    static let hdf5Signature: [UInt8] = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]

    /// The user block that seals `body` (the HDF5 image, which must have been created with a 512-byte user block).
    static func userBlock(sealing body: UnsafeRawBufferPointer) -> [UInt8] {
        let digest = SHA256.hash(data: body).map { String(format: "%02x", $0) }.joined()
        var block = magic + Array("sha256 \(digest)\nlength \(body.count)\n".utf8)
        block += [UInt8](repeating: 0, count: userBlockSize - block.count)
        return block
    }

    /// Whether a file that starts with `head` (at least its first 520 bytes, or the whole file if shorter) is meant
    /// to be sealed: its first bytes are a prefix of the magic, or a 512-byte user block stands in front of the HDF5
    /// signature. Only such a file needs reading whole for `check`.
    public static func claimsASeal<Bytes: Collection<UInt8>>(_ head: Bytes) -> Bool where Bytes.Index == Int {
        let start = head.startIndex
        let prefix = head.prefix(magic.count)
        let startsLikeASeal = !prefix.isEmpty && prefix.elementsEqual(magic.prefix(prefix.count))
        let signatureAfterUserBlock = head.count >= userBlockSize + hdf5Signature.count
            && head[(start + userBlockSize)..<(start + userBlockSize + hdf5Signature.count)].elementsEqual(hdf5Signature)
        return startsLikeASeal || signatureAfterUserBlock
    }

    /// Checks the bytes of a whole file.
    ///
    /// - Returns: `.intact` for a sealed file whose bytes all match, `.absent` for a file with no seal.
    /// - Throws: `ResultsError.damaged` when the file starts like a sealed file (its first bytes are a prefix of the
    ///   magic, or it has a 512-byte user block in front of the HDF5 signature) and anything in it does not match.
    public static func check(_ bytes: [UInt8], file: String) throws -> FileSeal {
        func damaged(_ why: String) -> ResultsError { .damaged(file: file, detail: why) }
        guard claimsASeal(bytes) else { return .absent }
        let head = bytes.prefix(magic.count)
        let startsLikeASeal = head.elementsEqual(magic.prefix(head.count))
        guard bytes.count >= userBlockSize else {
            throw damaged("\(bytes.count) bytes, shorter than its \(userBlockSize)-byte seal: truncated")
        }
        guard startsLikeASeal, head.count == magic.count else { throw damaged("the seal's first line is not '\(String(decoding: magic.dropLast(), as: UTF8.self))'") }
        // The two lines after the magic, then zeros.
        let block = Array(bytes[magic.count..<userBlockSize])
        let textEnd = block.firstIndex(of: 0) ?? block.count
        guard block[textEnd...].allSatisfy({ $0 == 0 }) else { throw damaged("the seal's padding is not zero") }
        let lines = String(decoding: block[..<textEnd], as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.count == 3, lines[2].isEmpty,
              lines[0].hasPrefix("sha256 "), lines[1].hasPrefix("length "),
              let length = Int(lines[1].dropFirst("length ".count)) else {
            throw damaged("the seal's digest and length lines are unreadable")
        }
        let expected = String(lines[0].dropFirst("sha256 ".count))
        guard expected.count == 64, expected.allSatisfy({ $0.isHexDigit && !$0.isUppercase }) else {
            throw damaged("the seal's digest is not 64 hex digits")
        }
        let bodyCount = bytes.count - userBlockSize
        guard bodyCount == length else {
            throw damaged("\(bodyCount) bytes after the seal, the seal says \(length): "
                          + (bodyCount < length ? "truncated" : "bytes added"))
        }
        let actual = bytes.withUnsafeBytes { raw in
            SHA256.hash(data: UnsafeRawBufferPointer(rebasing: raw[userBlockSize...])).map { String(format: "%02x", $0) }.joined()
        }
        guard actual == expected else { throw damaged("its SHA-256 digest does not match the seal: bytes changed") }
        return .intact(digest: actual)
    }
}
