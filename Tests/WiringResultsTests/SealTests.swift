// The end-to-end seal (FileSeal): a committed file carries the SHA-256 of every byte after its user block, as Python's
// hashlib computes it; h5py and xarray open it as plain HDF5 with a 512-byte user block; and every damage a file can
// suffer (each byte flipped, each byte zeroed, truncation at every length, bytes appended, the seal itself edited) is
// refused with `.damaged` before HDF5 parses the file. Files without a seal (h5py's, the fixtures) still open.

import Foundation
import Testing
@testable import WiringResults

@Suite struct SealTests {
    /// A small sealed file and its bytes.
    static func sealedSample() throws -> (path: String, bytes: [UInt8]) {
        let path = try TestFiles.temporaryFolder().appendingPathComponent("sealed.h5").path
        try InteropTests.writeSample(path)
        return (path, [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))))
    }

    /// Writes `bytes` to a new file and opens it; returns the seal or the error.
    static func open(_ bytes: [UInt8], in folder: URL, name: String = "damaged.h5") -> Result<FileSeal, Error> {
        let path = folder.appendingPathComponent(name).path
        FileManager.default.createFile(atPath: path, contents: Data(bytes))
        return Result {
            let file = try HDF5File(reading: path)
            defer { file.close() }
            // Read everything, as `verify` does, so a damage that slipped past the seal would show here.
            try file.verifyEveryDataset()
            return file.seal
        }
    }

    @Test func aCommittedFileCarriesTheDigestOfItsBytesInItsUserBlock() throws {
        let (path, bytes) = try Self.sealedSample()
        let header = String(decoding: bytes.prefix(FileSeal.userBlockSize).prefix { $0 != 0 }, as: UTF8.self)
        let lines = header.split(separator: "\n")
        #expect(lines.first == "WiringLab sealed HDF5 v1")
        #expect(lines.count == 3 && lines[2] == "length \(bytes.count - 512)")
        #expect(bytes[512..<520].elementsEqual([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]))
        let file = try HDF5File(reading: path)
        guard case let .intact(digest) = file.seal else {
            Issue.record("a file just written is not intact: \(file.seal)")
            return
        }
        #expect(lines[1] == "sha256 \(digest)")
        #expect(try file.dataset("outputs/edge_cost").read(Double.self).values[1] == -1.25)
    }

    @Test(.enabled(if: Python.has("hashlib, h5py"), "/usr/bin/python3 cannot import h5py"))
    func hashlibAgreesWithTheSealAndH5pySeesTheUserBlock() throws {
        let (path, _) = try Self.sealedSample()
        guard case let .intact(digest) = try HDF5File(reading: path).seal else {
            Issue.record("a file just written is not intact")
            return
        }
        // hashlib's digest of the bytes after the user block, and h5py's view of the user block.
        let python = try Python.json("""
            import hashlib, json, sys, h5py
            data = open(sys.argv[1], 'rb').read()
            with h5py.File(sys.argv[1], 'r') as f:
                print(json.dumps({'sha256': hashlib.sha256(data[512:]).hexdigest(), 'userblock': f.userblock_size,
                                  'cost': float(f['outputs/edge_cost'][0, 1])}))
            """, [path])
        #expect(python["sha256"] as? String == digest)
        #expect(python["userblock"] as? Int == 512)
        #expect(python["cost"] as? Double == -1.25)
    }

    @Test(.enabled(if: Python.has("xarray, h5netcdf"), "/usr/bin/python3 cannot import xarray and h5netcdf"))
    func xarrayOpensASealedFile() throws {
        let (path, _) = try Self.sealedSample()
        let text = try Python.run("""
            import sys, xarray
            print(float(xarray.open_dataset(sys.argv[1], group='outputs', engine='h5netcdf')['edge_cost'][1, 0]))
            """, [path])
        #expect(text.trimmingCharacters(in: .whitespacesAndNewlines) == "4.75")
    }

    @Test func everyFlippedOrZeroedByteAndEveryTruncationIsRefusedBeforeParsing() throws {
        let (_, bytes) = try Self.sealedSample()
        let folder = try TestFiles.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        #expect(throws: Never.self) { try Self.open(bytes, in: folder).get() }
        var cases = 0, refused = 0, unchanged = 0
        func expectRefused(_ damaged: [UInt8], _ what: String) {
            if damaged == bytes { unchanged += 1; return }  // zeroing a zero byte changes nothing
            cases += 1
            switch Self.open(damaged, in: folder) {
            case .success: Issue.record("\(what): opened as \(String(describing: try? Self.open(damaged, in: folder).get()))")
            case let .failure(error):
                guard let error = error as? ResultsError else { Issue.record("\(what): \(error)"); return }
                switch error {
                case .damaged: refused += 1
                case .notHDF5 where damaged.isEmpty: refused += 1
                default: Issue.record("\(what): refused as \(error), not as damaged")
                }
            }
        }
        // Every byte of the seal and the HDF5 metadata at the front, then every 7th byte (all of them take minutes).
        let offsets = Array(0..<min(2048, bytes.count)) + Array(stride(from: 2048, to: bytes.count, by: 7))
        for offset in offsets {
            var flipped = bytes
            flipped[offset] ^= 0xff
            expectRefused(flipped, "byte \(offset) flipped")
            var zeroed = bytes
            zeroed[offset] = 0
            expectRefused(zeroed, "byte \(offset) zeroed")
        }
        for length in Set([0, 1, 5, 24, 511, 512, 513, 520, bytes.count / 2, bytes.count - 1] + stride(from: 0, to: bytes.count, by: 97)) {
            expectRefused(Array(bytes.prefix(length)), "truncated to \(length) bytes")
        }
        expectRefused(bytes + [0], "one byte appended")
        #expect(cases == refused, "\(cases - refused) of \(cases) damaged files were not refused as damaged")
        #expect(cases > 2 * offsets.count - unchanged - 1)
    }

    @Test func aFixtureWithoutASealOpensAsAbsent() throws {
        let file = try HDF5File(reading: TestFiles.caseA)
        #expect(file.seal == .absent)
        #expect(try file.root.members().isEmpty == false)
    }

    @Test(.enabled(if: Python.has("h5py"), "/usr/bin/python3 cannot import h5py"))
    func aFileH5pyWroteOpensAsAbsent() throws {
        let path = try TestFiles.temporaryFolder().appendingPathComponent("h5py.h5").path
        _ = try Python.run("import sys, h5py; h5py.File(sys.argv[1], 'w')['x'] = [1.5, 2.5]", [path])
        let written = try HDF5File(reading: path)
        #expect(written.seal == .absent)
        #expect(try written.dataset("x").read(Double.self).values == [1.5, 2.5])
    }

    @Test func aUserBlockThatIsNotASealIsDamaged() throws {
        let (_, bytes) = try Self.sealedSample()
        let folder = try TestFiles.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        // The seal replaced by other text of the same size: the HDF5 signature still sits at 512.
        let foreign = Array("some other program's user block\n".utf8)
        let block = foreign + [UInt8](repeating: 0, count: 512 - foreign.count)
        guard case let .failure(error as ResultsError) = Self.open(block + bytes[512...], in: folder),
              case .damaged = error else {
            Issue.record("a foreign user block was accepted")
            return
        }
        #expect(error.description.contains("damaged.h5: damaged"))
        #expect(!error.description.contains("\n"))
    }
}
