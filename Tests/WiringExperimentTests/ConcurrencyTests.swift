// What users do to a running sweep, through the built binary: Ctrl-C (SIGINT) and a cluster's SIGTERM
// stop a run at a step boundary with a checkpoint and exit 130 / 143, and the rerun finishes bitwise as
// if never stopped; two invocations of one sweep at once, each stopped and restarted many times, share
// it through the run locks and leave exactly one result per run, bitwise equal to a single run's.
import Foundation
import Testing
@testable import WiringCluster
@testable import WiringExperiment
@testable import WiringReport
@testable import WiringRun
@testable import WiringSpec

/// A run long enough to be interrupted (a few hundred steps on tiny synthetic images).
let longManifest = """
    name: long
    seed: 5
    data: {dataset: synthetic, synthetic: {count: 64, size: 8, channels: 3, classes: 4}, batch_size: 8, augment: true}
    network: {channels: 4, cells: 2}
    record: {per_sample: true}
    phases:
      - {name: init, kind: probe, batches: 10}
      - {name: search, kind: search, algorithm: dsnas, epochs: 12}
    """

/// Datasets of every result file in `folder`, by file name, as bit patterns (so NaN equals NaN).
func resultsIn(_ folder: URL) throws -> [String: [String: [UInt64]]] {
    var out: [String: [String: [UInt64]]] = [:]
    for name in try FileManager.default.contentsOfDirectory(atPath: folder.path) where name.hasSuffix(".h5") {
        out[name] = try allDatasets(folder.appendingPathComponent(name).path).mapValues { $0.map(\.bitPattern) }
    }
    return out
}

@Suite(.serialized) struct ConcurrencyTests {
    func folder(_ name: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("wiringlab-\(name)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test(arguments: [SIGINT, SIGTERM])
    func signalWritesACheckpointAndTheRerunIsBitwiseIdentical(_ signal: Int32) throws {
        let dir = try folder("signal")
        defer { try? FileManager.default.removeItem(at: dir) }
        let manifest = dir.appendingPathComponent("long.yaml")
        try longManifest.write(to: manifest, atomically: true, encoding: .utf8)
        let binary = try wiringlabBinary()
        let reference = dir.appendingPathComponent("reference"), interrupted = dir.appendingPathComponent("interrupted")
        let clean = try runTool(binary, ["run", manifest.path, "--out", reference.path, "--quiet", "--code-version", "t"])
        #expect(clean.status == 0, "\(clean.stderr)")

        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        // Frequent checkpoints: the first one shows that the run is inside its step loop.
        process.arguments = ["run", manifest.path, "--out", interrupted.path, "--quiet", "--code-version", "t",
                             "--checkpoint-every", "0.2"]
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(60)
        func checkpoints() -> [String] {
            ((try? FileManager.default.contentsOfDirectory(atPath: interrupted.path)) ?? []).filter { $0.hasSuffix(".ckpt") }
        }
        while checkpoints().isEmpty && process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        #expect(process.isRunning, "the run ended before it could be interrupted")
        kill(process.processIdentifier, signal)
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 128 + signal, "exit \(process.terminationStatus): \(stderr)")
        #expect(stderr.contains("interrupted at step"), "\(stderr)")
        #expect(stderr.split(separator: "\n").count == 1, "\(stderr)")
        #expect(checkpoints().count == 1)
        #expect(try resultsIn(interrupted).isEmpty)

        let rerun = try runTool(binary, ["run", manifest.path, "--out", interrupted.path, "--quiet", "--code-version", "t"])
        #expect(rerun.status == 0, "\(rerun.stderr)")
        let expected = try resultsIn(reference), resumed = try resultsIn(interrupted)
        #expect(expected.count == 1 && resumed.keys == expected.keys)
        for (name, datasets) in expected {
            for (path, values) in datasets { #expect(resumed[name]?[path] == values, "\(name) \(path) differs after the resume") }
        }
    }

    @Test func twoInvocationsShareASweepAndEveryResultEqualsASingleRun() throws {
        let dir = try folder("race")
        defer { try? FileManager.default.removeItem(at: dir) }
        let manifest = dir.appendingPathComponent("race.yaml")
        try (tinyManifest + "\ngrid: {seed: [1, 2, 3]}\n").write(to: manifest, atomically: true, encoding: .utf8)
        let binary = try wiringlabBinary()
        let single = dir.appendingPathComponent("single"), shared = dir.appendingPathComponent("shared")
        let clean = try runTool(binary, ["run", manifest.path, "--out", single.path, "--quiet", "--code-version", "t"])
        #expect(clean.status == 0, "\(clean.stderr)")

        // Two loops of short invocations (4 steps each, so every run is stopped and resumed several times)
        // race on one folder: the same runs, the same checkpoints.
        let rounds = 12
        let statuses = Mutex<[Int32]>([])
        DispatchQueue.concurrentPerform(iterations: 2) { _ in
            for _ in 0..<rounds {
                let r = try? runTool(binary, ["run", manifest.path, "--out", shared.path, "--quiet", "--code-version", "t",
                                             "--max-steps", "4"])
                statuses.withLock { $0.append(r?.status ?? -1) }
            }
        }
        #expect(statuses.withLock { $0 }.allSatisfy { $0 == 0 }, "\(statuses.withLock { $0 })")
        let last = try runTool(binary, ["run", manifest.path, "--out", shared.path, "--quiet", "--code-version", "t"])
        #expect(last.status == 0, "\(last.stderr)")
        let files = try FileManager.default.contentsOfDirectory(atPath: shared.path)
        #expect(!files.contains { $0.hasSuffix(".partial") || $0.hasSuffix(".lock") || $0.hasSuffix(".ckpt") }, "\(files)")
        let expected = try resultsIn(single), raced = try resultsIn(shared)
        #expect(expected.count == 3 && raced.keys == expected.keys)
        for (name, datasets) in expected {
            for (path, values) in datasets { #expect(raced[name]?[path] == values, "\(name) \(path) differs from a single run's") }
        }
        print("RACE rounds=\(2 * rounds) invocations, results identical: \(raced == expected)")
    }
}

/// A value shared by the racing threads.
final class Mutex<Value>: @unchecked Sendable {
    private var value: Value
    private let lock = NSLock()
    init(_ value: Value) { self.value = value }
    func withLock<R>(_ body: (inout Value) -> R) -> R {
        lock.lock()
        defer { lock.unlock() }
        return body(&value)
    }
}
