// Errors a user can cause: missing, foreign, corrupt and truncated files. Each gives one ResultsError line naming
// the file and the operation; HDF5's own error stack is not printed.

import Foundation
import Testing
@testable import WiringResults

@Suite struct ErrorTests {
    @Test func missingFileNamesThePathAndTheFix() throws {
        let path = "results/does-not-exist-\(UUID().uuidString).h5"
        #expect(throws: ResultsError.fileNotFound(file: path)) { try HDF5File(reading: path) }
        #expect(ResultsError.fileNotFound(file: "results/x.h5").description
            == "results/x.h5: no such file (cannot open); check the path or re-run the experiment")
    }

    @Test func randomBytesAreNotAnHDF5File() throws {
        let folder = try TestFiles.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("x.h5").path
        // A fixed xorshift stream: reproducible "random" bytes without a seeded RNG dependency.
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        let bytes = (0..<4096).map { _ -> UInt8 in
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return UInt8(truncatingIfNeeded: state)
        }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        #expect(throws: ResultsError.notHDF5(file: path)) { try HDF5File(reading: path) }
        #expect(ResultsError.notHDF5(file: "results/x.h5").description
            == "results/x.h5: not an HDF5 file (cannot open); check the path or re-run the experiment")
        try Data().write(to: URL(fileURLWithPath: path))
        #expect(throws: ResultsError.notHDF5(file: path)) { try HDF5File(reading: path) }
        #expect(throws: ResultsError.notHDF5(file: folder.path)) { try HDF5File(reading: folder.path) }
    }

    @Test func truncatedHDF5FileGivesOneClearLine() throws {
        let folder = try TestFiles.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("cut.h5").path
        // The first 4 KiB of a real file: a valid signature and superblock, but the rest is missing.
        let fixture = try Data(contentsOf: URL(fileURLWithPath: TestFiles.caseA))
        try fixture.prefix(4096).write(to: URL(fileURLWithPath: path))
        do {
            _ = try HDF5File(reading: path)
            Issue.record("opening a truncated file should throw")
        } catch let error as ResultsError {
            guard case let .hdf5(file, _, operation, detail) = error else {
                Issue.record("expected an HDF5 failure, got \(error)")
                return
            }
            #expect(file == path)
            #expect(operation == "H5Fopen")
            #expect(detail.contains("truncated"))
            #expect(!error.description.contains("\n"))
            #expect(error.description.hasPrefix("\(path): /: HDF5 call failed: truncated file"))
        }
    }

    @Test func unwritableLocationIsReportedAsCannotCreate() throws {
        let folder = try TestFiles.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        // A plain file stands where the folder should be, so neither the folder nor the file can be created.
        let blocker = folder.appendingPathComponent("blocker")
        try Data([1]).write(to: blocker)
        let path = blocker.appendingPathComponent("x.h5").path
        #expect(throws: ResultsError.cannotCreate(file: path, reason: "cannot create folder \(blocker.path)")) {
            try HDF5File(creating: path)
        }
    }
}
