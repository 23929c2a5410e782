// A new file lives in memory until commit(), which writes it under a partial name of its own
// (`<name>.<pid>-<random>.partial`) and renames it: a crash never leaves a file that looks finished, two writers
// never touch each other's file, an earlier result under the real name stays intact until the new one is complete,
// and a failed write (a full disk) leaves nothing behind.

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
        #expect(!exists(writer.partialPath) && !exists(path))  // in memory until commit
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

    @Test func uncommittedFileLeavesNothingOnDisk() throws {
        let folder = try TestFiles.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("crash.h5").path
        do {
            // Dropped without commit, as when an experiment throws half way: like a crash, nothing is written.
            let writer = try HDF5File(creating: path)
            try writer.root.write("half", [1.0, 2.0])
        }
        let writer = try HDF5File(creating: path)
        try writer.root.write("x", [1])
        writer.discard()
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).isEmpty)
    }

    @Test func aFullDiskIsOneErrorAndLeavesNoPartialFile() throws {
        // A 64 KiB tmpfs where the machine allows mounting one (root in CI); elsewhere the test says so and
        // checks the same path with a folder that disappears before the commit.
        let mountPoint = try TestFiles.temporaryFolder()
        defer { _ = try? runMount(["umount", mountPoint.path]); try? FileManager.default.removeItem(at: mountPoint) }
        let mounted = (try? runMount(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", mountPoint.path])) == 0
        let path = mountPoint.appendingPathComponent(mounted ? "full.h5" : "gone/full.h5").path
        let writer = try HDF5File(creating: path)
        // 800 kB of noise (deflate cannot shrink it), far over 64 KiB.
        var state: UInt64 = 12345
        let noise = (0..<100_000).map { _ -> Double in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Double(bitPattern: state >> 2 | 0x3FF0000000000000)
        }
        try writer.root.write("big", noise)
        if !mounted {
            print("no tmpfs (not root?): checking a vanished folder instead of a full disk")
            try FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent)
        }
        let error = #expect(throws: ResultsError.self) { try writer.commit() }
        #expect(error?.description.contains(mounted ? "No space left on device" : "No such file") == true, "\(String(describing: error))")
        #expect(error?.description.contains("\n") == false)
        let left = (try? FileManager.default.contentsOfDirectory(atPath: mountPoint.path)) ?? []
        #expect(!left.contains { $0.hasSuffix(".partial") || $0 == "full.h5" }, "\(left)")
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

/// Runs mount or umount; returns its exit status.
func runMount(_ arguments: [String]) throws -> Int32 {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    return process.terminationStatus
}
