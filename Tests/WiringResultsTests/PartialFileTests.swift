// A new file lives under a partial name of its own (`<name>.<pid>-<random>.partial`) until commit(), so a crash
// never leaves a file that looks finished, two writers never touch each other's file, and an earlier result under
// the real name stays intact until the new one is complete.

import Foundation
import Testing
@testable import WiringResults

@Suite struct PartialFileTests {
    let exists = { (path: String) in FileManager.default.fileExists(atPath: path) }

    @Test func fileAppearsUnderItsNameOnlyOnCommit() throws {
        let folder = try TestFiles.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("nested/run/result.h5").path  // folders are created
        let writer = try HDF5File(creating: path)
        #expect(writer.partialPath.hasPrefix(path + ".") && writer.partialPath.hasSuffix(".partial"))
        try writer.root.write("loss", scalar: 2.5)
        #expect(exists(writer.partialPath))
        #expect(HDF5File.partialFiles(of: path) == [writer.partialPath])
        #expect(!exists(path))
        try writer.commit()
        #expect(exists(path))
        #expect(!exists(writer.partialPath))
        #expect(HDF5File.partialFiles(of: path).isEmpty)
        #expect(!writer.isOpen)
        #expect(try HDF5File(reading: path).dataset("loss").readScalar(Double.self) == 2.5)
        #expect(throws: ResultsError.notWritable(file: path, operation: "commit")) { try writer.commit() }
        #expect(throws: ResultsError.notWritable(file: path, operation: "write dataset")) {
            try writer.root.write("late", [1.0])
        }
    }

    @Test func earlierResultStaysIntactUntilTheNewOneIsCommitted() throws {
        let folder = try TestFiles.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("result.h5").path
        let first = try HDF5File(creating: path)
        try first.root.write("version", scalar: 1)
        try first.commit()

        let second = try HDF5File(creating: path)
        try second.root.write("version", scalar: 2)
        #expect(try HDF5File(reading: path).dataset("version").readScalar(Int.self) == 1)
        try second.commit()
        #expect(try HDF5File(reading: path).dataset("version").readScalar(Int.self) == 2)
    }

    @Test func uncommittedFileKeepsItsPartialNameAndDiscardRemovesIt() throws {
        let folder = try TestFiles.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("crash.h5").path
        var crashed = ""
        do {
            // Dropped without commit, as when an experiment throws half way: like a crash, nothing looks finished.
            let writer = try HDF5File(creating: path)
            try writer.root.write("half", [1.0, 2.0])
            crashed = writer.partialPath
        }
        #expect(exists(crashed))
        #expect(!exists(path))

        let writer = try HDF5File(creating: path)  // a second writer never touches the first one's file
        #expect(writer.partialPath != crashed)
        try writer.root.write("x", [1])
        #expect(try HDF5File(reading: crashed).dataset("half").read(Double.self).values == [1.0, 2.0])
        writer.discard()
        #expect(!exists(writer.partialPath))
        #expect(HDF5File.partialFiles(of: path) == [crashed])
        #expect(!exists(path))
    }

    @Test func twoWritersOfOneNameEachCommitAWholeFile() throws {
        let folder = try TestFiles.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("race.h5").path
        // Interleaved as two processes racing on one checkpoint: neither truncates the other's file.
        let a = try HDF5File(creating: path), b = try HDF5File(creating: path)
        try a.root.write("values", [1.0, 2.0, 3.0])
        try b.root.write("values", [4.0, 5.0, 6.0])
        try a.commit()
        #expect(try HDF5File(reading: path).dataset("values").read(Double.self).values == [1.0, 2.0, 3.0])
        try b.commit()
        #expect(try HDF5File(reading: path).dataset("values").read(Double.self).values == [4.0, 5.0, 6.0])
    }
}
