// Damaged files, end to end (issue 33). A small result file and a small checkpoint are damaged one way at a time:
// a byte flipped (XOR 0xff) or zeroed at every k-th offset, truncation at several lengths, a byte appended. Then
// - every reading command (`show`, `verify`, `collect`, `compare`, `export`) runs on the damaged result as a process: it must
//   exit 2 with one line naming the file, never die of a signal, never hang, never exit 0;
// - `verify` runs on the damaged checkpoint the same way;
// - a run resumes with the damaged checkpoint in its folder: it must move the checkpoint aside and finish with a
//   result bitwise equal to the uninterrupted run's (from the checkpoint before, or from the start);
// - a run whose damaged result sits in its folder must not count as done: it moves it aside and runs again.
// The counts are printed so a note can quote them.

import Foundation
import Testing
import WiringResults
@testable import WiringCluster
@testable import WiringExperiment
@testable import WiringReport
@testable import WiringRun
@testable import WiringSpec

/// One way of damaging a file, and the damaged bytes.
struct Damage {
    let what: String
    let bytes: [UInt8]

    /// Flips and zeroes at every `stride`-th offset (plus every offset of the first `dense` bytes: the seal and
    /// HDF5's superblock), truncations at several lengths, one byte appended; damages that change nothing are left out.
    static func all(of bytes: [UInt8], stride step: Int, dense: Int = 0) -> [Damage] {
        var out: [Damage] = []
        let offsets = Set(Array(0..<min(dense, bytes.count)) + Array(stride(from: 0, to: bytes.count, by: step))).sorted()
        for offset in offsets {
            var flipped = bytes
            flipped[offset] ^= 0xff
            out.append(Damage(what: "byte \(offset) flipped", bytes: flipped))
            if bytes[offset] != 0 {
                var zeroed = bytes
                zeroed[offset] = 0
                out.append(Damage(what: "byte \(offset) zeroed", bytes: zeroed))
            }
        }
        for length in Set([0, 1, 100, 511, 512, 600, bytes.count / 3, bytes.count / 2, bytes.count - 1]) {
            out.append(Damage(what: "truncated to \(length) bytes", bytes: Array(bytes.prefix(length))))
        }
        out.append(Damage(what: "one byte appended", bytes: bytes + [0x41]))
        return out
    }
}

@Suite(.serialized) struct FaultInjectionTests {
    /// Runs the tiny run whole in `folder` and returns its result's datasets.
    static func uninterrupted(_ plan: ExperimentPlan, in folder: URL) throws -> (path: String, datasets: [String: [Double]]) {
        guard case let .finished(path) = try executeRun(plan.runs[0], plan: plan, options: RunOptions(outFolder: folder)) else {
            throw CocoaError(.featureUnsupported)
        }
        return (path, try allDatasets(path))
    }

    static func expectBitwiseEqual(_ a: [String: [Double]], _ b: [String: [Double]], _ what: String) -> Bool {
        guard a.keys.sorted() == b.keys.sorted() else {
            Issue.record("\(what): other datasets \(Set(a.keys).symmetricDifference(b.keys))")
            return false
        }
        for key in a.keys.sorted() where a[key]!.map(\.bitPattern) != b[key]!.map(\.bitPattern) {
            Issue.record("\(what): dataset \(key) differs from the uninterrupted run's")
            return false
        }
        return true
    }

    static func write(_ bytes: [UInt8], to path: String) {
        FileManager.default.createFile(atPath: path, contents: Data(bytes))
    }

    @Test func aDamagedCheckpointIsMovedAsideAndTheRunEndsBitwiseEqual() throws {
        let plan = try tinyPlan()
        let id = plan.runs[0].id
        let root = temporaryFolder("faults-ckpt")
        defer { try? FileManager.default.removeItem(at: root) }
        let reference = try Self.uninterrupted(plan, in: root.appendingPathComponent("straight"))

        // Two stops: the checkpoint at step 8, and the one at step 5 kept as the previous.
        let stopped = root.appendingPathComponent("stopped")
        for limit in [5, 3] { _ = try executeRun(plan.runs[0], plan: plan, options: RunOptions(outFolder: stopped, maxSteps: limit)) }
        let checkpoint = stopped.appendingPathComponent(RunFiles.checkpoint(id)).path
        let previous = stopped.appendingPathComponent(RunFiles.previousCheckpoint(id)).path
        let last = [UInt8](try Data(contentsOf: URL(fileURLWithPath: checkpoint)))
        let before = [UInt8](try Data(contentsOf: URL(fileURLWithPath: previous)))
        #expect(last != before)

        // The case the issue names: one byte flipped at two thirds of the last checkpoint, the previous one intact.
        do {
            let folder = root.appendingPathComponent("flip-two-thirds")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            var flipped = last
            flipped[last.count * 2 / 3] ^= 0xff
            Self.write(flipped, to: folder.appendingPathComponent(RunFiles.checkpoint(id)).path)
            Self.write(before, to: folder.appendingPathComponent(RunFiles.previousCheckpoint(id)).path)
            guard case let .finished(path) = try executeRun(plan.runs[0], plan: plan, options: RunOptions(outFolder: folder)) else {
                Issue.record("the run with a flipped checkpoint byte did not finish")
                return
            }
            #expect(Self.expectBitwiseEqual(reference.datasets, try allDatasets(path), "resumed from the previous checkpoint"))
            let names = try FileManager.default.contentsOfDirectory(atPath: folder.path)
            #expect(names.contains { $0.hasPrefix(RunFiles.checkpoint(id) + ".damaged-") }, "\(names)")
            #expect(!names.contains(RunFiles.checkpoint(id)) && !names.contains(RunFiles.previousCheckpoint(id)))
        }

        // Every damage of the last checkpoint with no previous one: the run starts afresh and ends equal.
        let damages = Damage.all(of: last, stride: last.count / 12, dense: 0)
        var cases = 0, equal = 0, movedAside = 0
        for (n, damage) in damages.enumerated() {
            let folder = root.appendingPathComponent("case-\(n)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            Self.write(damage.bytes, to: folder.appendingPathComponent(RunFiles.checkpoint(id)).path)
            cases += 1
            let outcome = try executeRun(plan.runs[0], plan: plan, options: RunOptions(outFolder: folder))
            guard case let .finished(path) = outcome else {
                Issue.record("\(damage.what): \(outcome)")
                continue
            }
            if Self.expectBitwiseEqual(reference.datasets, try allDatasets(path), damage.what) { equal += 1 }
            let names = try FileManager.default.contentsOfDirectory(atPath: folder.path)
            if names.contains(where: { $0.hasPrefix(RunFiles.checkpoint(id) + ".damaged-") }) { movedAside += 1 }
            try? FileManager.default.removeItem(at: folder)
        }
        print("fault injection, checkpoint resume: \(cases) cases, \(movedAside) moved aside, \(equal) bitwise equal")
        #expect(cases == equal && cases == movedAside)
    }

    @Test func aDamagedResultIsNotDoneAndIsRunAgain() throws {
        let plan = try tinyPlan()
        let folder = temporaryFolder("faults-result-run")
        defer { try? FileManager.default.removeItem(at: folder) }
        let reference = try Self.uninterrupted(plan, in: folder)
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: reference.path)))
        for damage in [Damage(what: "byte flipped", bytes: { var b = bytes; b[b.count / 2] ^= 0xff; return b }()),
                       Damage(what: "truncated to half", bytes: Array(bytes.prefix(bytes.count / 2))),
                       Damage(what: "emptied", bytes: []),
                       Damage(what: "random bytes", bytes: (0..<bytes.count).map { _ in UInt8.random(in: 0...255) })] {
            Self.write(damage.bytes, to: reference.path)
            #expect(RunStatus(id: plan.runs[0].id, in: folder) == .done)  // by name; `run` then checks the bytes
            let outcome = try executeRun(plan.runs[0], plan: plan, options: RunOptions(outFolder: folder))
            #expect(outcome == .finished(path: reference.path), "\(damage.what): \(outcome)")
            #expect(Self.expectBitwiseEqual(reference.datasets, try allDatasets(reference.path), damage.what))
            let aside = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.contains(".damaged-") }
            #expect(!aside.isEmpty, "\(damage.what): nothing moved aside")
            for name in aside { try FileManager.default.removeItem(at: folder.appendingPathComponent(name)) }
        }
        // The intact result counts as done.
        #expect(try executeRun(plan.runs[0], plan: plan, options: RunOptions(outFolder: folder)) == .alreadyDone(path: reference.path))
    }

    @Test func noReadingCommandCrashesOrTrustsADamagedFile() throws {
        let binary = try wiringlabBinary()
        let plan = try tinyPlan()
        let root = temporaryFolder("faults-readers")
        defer { try? FileManager.default.removeItem(at: root) }
        let reference = try Self.uninterrupted(plan, in: root.appendingPathComponent("straight"))
        let stopped = root.appendingPathComponent("stopped")
        _ = try executeRun(plan.runs[0], plan: plan, options: RunOptions(outFolder: stopped, maxSteps: 7))
        let checkpointBytes = [UInt8](try Data(contentsOf: stopped.appendingPathComponent(RunFiles.checkpoint(plan.runs[0].id))))
        let resultBytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: reference.path)))

        var cases = 0, refused = 0, crashes = 0, trusted = 0
        /// Runs one command on a damaged file: exit 2 and one stderr line naming the file are the only pass.
        func expectRefused(_ arguments: [String], file: String, _ what: String) throws {
            cases += 1
            let result = try runTool(binary, arguments, in: root)
            let lines = result.stderr.split(separator: "\n")
            if result.status == 2 && lines.count == 1 && lines[0].contains((file as NSString).lastPathComponent) {
                refused += 1
            } else if result.status == 0 {
                trusted += 1
                Issue.record("\(arguments[0]) on \(what): exit 0\n\(result.stdout.prefix(300))")
            } else {
                if result.status > 128 || result.status < 0 { crashes += 1 }
                Issue.record("\(arguments[0]) on \(what): exit \(result.status), stderr \(result.stderr.prefix(500))")
            }
        }
        let folder = root.appendingPathComponent("damaged")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let result = folder.appendingPathComponent(RunFiles.result(plan.runs[0].id)).path
        for damage in Damage.all(of: resultBytes, stride: resultBytes.count / 40, dense: 0) {
            Self.write(damage.bytes, to: result)
            try expectRefused(["show", result], file: result, "result, \(damage.what)")
            try expectRefused(["verify", result], file: result, "result, \(damage.what)")
            try expectRefused(["collect", folder.path, "--output", root.appendingPathComponent("sweep.h5").path],
                              file: result, "result, \(damage.what)")
            try expectRefused(["compare", folder.path], file: result, "result, \(damage.what)")
            try expectRefused(["export", result, "--csv", root.appendingPathComponent("table.csv").path,
                               "--tensorboard", root.appendingPathComponent("events").path],
                              file: result, "result, \(damage.what)")
        }
        #expect(!FileManager.default.fileExists(atPath: root.appendingPathComponent("sweep.h5").path))
        #expect(!FileManager.default.fileExists(atPath: root.appendingPathComponent("table.csv").path))
        let checkpoint = folder.appendingPathComponent(RunFiles.checkpoint(plan.runs[0].id)).path
        try FileManager.default.removeItem(atPath: result)
        for damage in Damage.all(of: checkpointBytes, stride: checkpointBytes.count / 40, dense: 0) {
            Self.write(damage.bytes, to: checkpoint)
            try expectRefused(["verify", checkpoint], file: checkpoint, "checkpoint, \(damage.what)")
        }
        print("fault injection, reading commands: \(cases) cases, \(refused) refused with exit 2 and one line, "
              + "\(crashes) crashes, \(trusted) exit 0")
        #expect(cases == refused && crashes == 0 && trusted == 0)
        // The intact files pass.
        Self.write(resultBytes, to: result)
        Self.write(checkpointBytes, to: checkpoint)
        for file in [result, checkpoint] {
            let verified = try runTool(binary, ["verify", file], in: root)
            #expect(verified.status == 0 && verified.stdout.contains("every byte matches its seal"), "\(verified.stderr)")
        }
        #expect(try runTool(binary, ["show", result], in: root).status == 0)
    }
}
