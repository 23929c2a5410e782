// The runner end to end on a small synthetic data set: resume equivalence (a run stopped after k
// steps and resumed writes bitwise the same datasets as an uninterrupted one), the result layout
// read back through WiringResults and through h5py, and the identity residuals it records.
import Foundation
import Testing
import WiringEngine
import WiringResults
@testable import WiringCluster
@testable import WiringExperiment
@testable import WiringReport
@testable import WiringRun
@testable import WiringSpec

/// A tiny run: 5 probe batches at init, 2 training epochs of 4 batches, 3 probe batches after.
let tinyManifest = """
    name: tiny
    description: "synthetic runner test"
    seed: 3
    data:
      dataset: synthetic
      synthetic: {count: 32, size: 8, channels: 3, classes: 4}
      batch_size: 8
      augment: true
    network: {cell: minimal, channels: 4}
    record: {per_sample: true}
    phases:
      - {name: init, kind: probe, batches: 5}
      - {name: train, kind: train, epochs: 2, sampling: uniform}
      - {name: trained, kind: probe, batches: 3}
    """

func tinyPlan(_ extra: [String] = []) throws -> ExperimentPlan {
    try Manifest(yaml: tinyManifest, file: "tiny.yaml", overrides: extra).plan(codeVersion: "test")
}

func temporaryFolder(_ name: String) -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("wiringlab-\(name)-\(UUID().uuidString)")
    try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// Every dataset of a file, by path, as raw doubles (strings as their UTF-8 bytes).
func allDatasets(_ path: String) throws -> [String: [Double]] {
    let file = try HDF5File(reading: path)
    defer { file.close() }
    var result: [String: [Double]] = [:]
    func walk(_ group: HDF5Group) throws {
        for member in try group.members() {
            let child = group.path == "/" ? "/" + member.name : group.path + "/" + member.name
            if member.kind == .group { try walk(try file.group(child)); continue }
            let dataset = try file.dataset(child)
            if case .string = try dataset.storedType {
                result[child] = try dataset.readStrings().values.flatMap { $0.utf8.map(Double.init) }
            } else {
                result[child] = try dataset.read(Double.self).values
            }
        }
    }
    try walk(file.root)
    return result
}

@Suite(.serialized) struct RunnerTests {
    @Test func resumedRunIsBitwiseIdenticalToUninterruptedRun() throws {
        let plan = try tinyPlan()
        let spec = plan.runs[0]
        let straight = temporaryFolder("straight"), resumed = temporaryFolder("resumed")
        defer { try? FileManager.default.removeItem(at: straight); try? FileManager.default.removeItem(at: resumed) }

        guard case let .finished(reference) = try executeRun(spec, plan: plan, options: RunOptions(outFolder: straight)) else {
            Issue.record("the uninterrupted run did not finish")
            return
        }
        // Stop at the phase boundary (5), mid-epoch in training (5 + 3), then finish.
        var outcomes: [RunOutcome] = []
        for limit in [5, 3, 100] {
            outcomes.append(try executeRun(spec, plan: plan, options: RunOptions(outFolder: resumed, maxSteps: limit)))
        }
        #expect(outcomes[0] == .stopped(checkpoint: resumed.appendingPathComponent("\(spec.id).ckpt").path, steps: 5))
        #expect(outcomes[1] == .stopped(checkpoint: resumed.appendingPathComponent("\(spec.id).ckpt").path, steps: 8))
        guard case let .finished(path) = outcomes[2] else {
            Issue.record("the resumed run did not finish")
            return
        }
        #expect(!FileManager.default.fileExists(atPath: resumed.appendingPathComponent("\(spec.id).ckpt").path))
        let a = try allDatasets(reference), b = try allDatasets(path)
        #expect(a.keys.sorted() == b.keys.sorted())
        for key in a.keys.sorted() {
            // Bitwise: compare bit patterns so that -0 vs +0 or NaN payloads would show.
            #expect(a[key]!.map(\.bitPattern) == b[key]?.map(\.bitPattern), "dataset \(key) differs")
        }
        #expect(a["/steps/loss"]?.count == 16)
    }

    /// Threads are a value given to the run (`RunOptions.threads`, what `run --threads` sets), not a manifest
    /// override: the run id stays, the datasets are bitwise those of the manifest's count, and the result file's
    /// `threads` records the count the steps used: the most, when a sweep's tail raised it between steps
    /// ("raised": starts at 1, its share file says 2 from the first step on).
    @Test func threadsGivenToTheRunAreRecordedAndChangeNoResult() throws {
        let plan = try tinyPlan()
        let folder = temporaryFolder("threads")
        defer { try? FileManager.default.removeItem(at: folder) }
        let share = folder.appendingPathComponent("share")
        SweepThreadShare.publish(2, to: share)
        var paths: [String] = []
        for (name, threads) in [("one", nil), ("two", 2), ("raised", 1)] as [(String, Int?)] {
            var options = RunOptions(outFolder: folder.appendingPathComponent(name))
            options.threads = threads
            if name == "raised" { options.threadShare = SweepThreadShare.Follower(file: share, cores: 2) }
            guard case let .finished(path) = try executeRun(plan.runs[0], plan: plan, options: options) else {
                Issue.record("run did not finish")
                return
            }
            paths.append(path)
        }
        let a = try allDatasets(paths[0])
        for other in paths.dropFirst() {
            let b = try allDatasets(other)
            #expect(a.keys.sorted() == b.keys.sorted())
            for key in a.keys.sorted() {
                #expect(a[key]!.map(\.bitPattern) == b[key]?.map(\.bitPattern), "dataset \(key) differs")
            }
        }
        for (path, threads) in zip(paths, [plan.runs[0].config.threads, 2, 2]) {
            let file = try HDF5File(reading: path)
            defer { file.close() }
            guard case let .integer(recorded) = try file.root.attributeValue("threads") else {
                Issue.record("threads is not an integer attribute")
                return
            }
            #expect(recorded.values == [threads])
        }
    }

    @Test func resultFileHasTheDocumentedLayout() throws {
        let plan = try tinyPlan()
        let folder = temporaryFolder("layout")
        defer { try? FileManager.default.removeItem(at: folder) }
        guard case let .finished(path) = try executeRun(plan.runs[0], plan: plan, options: RunOptions(outFolder: folder)) else {
            Issue.record("run did not finish")
            return
        }
        let file = try HDF5File(reading: path)
        defer { file.close() }
        #expect(try file.dataset("steps/edge_cost").shape == [16, 1, 5])
        #expect(try file.dataset("steps/edge_op").shape == [16, 1, 5])
        #expect(try file.dataset("summary/cost_mean").shape == [3, 1, 5, 8])
        #expect(try file.dataset("ops").readStrings().values.first == "none")
        #expect(try file.dataset("phases").readStrings().values == ["init", "train", "trained"])
        #expect(try file.dataset("steps/edge_cost").dimensionLabels() == ["step", "cells", "edges"])
        #expect(try file.root.stringAttribute("run_id") == plan.runs[0].id)
        #expect(try file.root.stringAttribute("manifest").contains("synthetic"))
        // The identities hold on every step of a batch-norm network: Theorem 2 within the spec's 1e-3.
        let thm2 = try file.dataset("checks/thm2_residual").read(Double.self).values
        #expect(thm2.allSatisfy { $0 < 1e-3 }, "max \(thm2.max() ?? 0)")
        // Cost statistics: counts add up to steps x edges per phase, none's mean is exactly 0.
        let count = try file.dataset("summary/cost_count").read(Int.self).values
        #expect(count[0..<40].reduce(0, +) == 5 * 5)
        let mean = try file.dataset("summary/cost_mean").read(Double.self).values
        #expect(stride(from: 0, to: mean.count, by: 8).allSatisfy { mean[$0] == 0 })
        // Per-sample C = L - H.
        let l = try file.dataset("samples/loss").read(Double.self).values
        let h = try file.dataset("samples/entropy").read(Double.self).values
        let c = try file.dataset("samples/cost").read(Double.self).values
        #expect(zip(zip(l, h), c).allSatisfy { abs($0.0 - $0.1 - $1) < 1e-12 })
        // The rendering names every phase and the residuals.
        let text = try describeResults(at: path, color: false)
        #expect(text.contains("phase trained") && text.contains("Theorem 2"))
    }

    @Test(.enabled(if: pythonCanImport("h5py"), "/usr/bin/python3 cannot import h5py (apt-get install python3-h5py)"))
    func h5pyAndXarrayReadTheResultFile() throws {
        let python = "/usr/bin/python3"
        let plan = try tinyPlan()
        let folder = temporaryFolder("h5py")
        defer { try? FileManager.default.removeItem(at: folder) }
        guard case let .finished(path) = try executeRun(plan.runs[0], plan: plan, options: RunOptions(outFolder: folder)) else {
            Issue.record("run did not finish")
            return
        }
        let script = """
            import h5py, sys
            f = h5py.File(sys.argv[1], 'r')
            d = f['steps/edge_cost']
            assert d.shape == (16, 1, 5), d.shape
            assert [dim.label for dim in d.dims] == ['step', 'cells', 'edges'], [dim.label for dim in d.dims]
            assert f['ops'].asstr()[0] == 'none'   # variable-length UTF-8 (format 2)
            assert f['summary/cost_mean'].dims[3][0].name == '/summary/ops'   # the group's own label scale
            try:
                import xarray
                ds = xarray.open_dataset(sys.argv[1], group='summary', engine='h5netcdf', phony_dims='access')
                print('xarray', dict(ds.sizes))
            except ImportError:
                print('xarray not installed')
            print('ok')
            """
        let output = try runProcess(python, ["-c", script, path])
        #expect(output.status == 0, "\(output.text)")
        #expect(output.text.contains("ok"))
    }
}

func pythonCanImport(_ module: String) -> Bool {
    (try? runProcess("/usr/bin/python3", ["-c", "import \(module)"]).status) == 0
}

func runProcess(_ executable: String, _ arguments: [String]) throws -> (status: Int32, text: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

/// Tiny search runs: 2 epochs of 4 batches each (bi-level DARTS and ProxylessNAS split the 32 images into halves),
/// an eval pass over 20 test images after each epoch, then an eval phase of 2 passes.
func tinySearchPlan(_ algorithm: String) throws -> ExperimentPlan {
    let search = algorithm == "darts"
        ? "  - {name: search, kind: search, algorithm: darts, level: bi, epochs: 2, eval_every: 1}\n"
        : "  - {name: search, kind: search, algorithm: \(algorithm), epochs: 2, anneal: true, eval_every: 1}\n"
    let yaml = tinyManifest.components(separatedBy: "phases:")[0] + "phases:\n" + search
        + "  - {name: test, kind: eval, epochs: 2}\n"
    return try Manifest(yaml: yaml, file: "tiny-search.yaml", overrides: ["data.test_size=20"]).plan(codeVersion: "test")
}

@Suite(.serialized) struct SearchRunnerTests {
    @Test(arguments: ["dsnas", "snas", "darts", "proxyless"])
    func resumedSearchIsBitwiseIdenticalAndRecordsAlpha(algorithm: String) throws {
        let plan = try tinySearchPlan(algorithm)
        let spec = plan.runs[0]
        let straight = temporaryFolder("search-straight"), resumed = temporaryFolder("search-resumed")
        defer { try? FileManager.default.removeItem(at: straight); try? FileManager.default.removeItem(at: resumed) }
        guard case let .finished(reference) = try executeRun(spec, plan: plan, options: RunOptions(outFolder: straight)) else {
            Issue.record("the uninterrupted run did not finish")
            return
        }
        var last: RunOutcome?
        for limit in [3, 1, 100] {  // stop mid-epoch, right after an epoch's eval pass, then finish
            last = try executeRun(spec, plan: plan, options: RunOptions(outFolder: resumed, maxSteps: limit))
        }
        guard case let .finished(path)? = last else {
            Issue.record("the resumed run did not finish")
            return
        }
        let a = try allDatasets(reference), b = try allDatasets(path)
        #expect(a.keys.sorted() == b.keys.sorted())
        for key in a.keys.sorted() {
            #expect(a[key]!.map(\.bitPattern) == b[key]?.map(\.bitPattern), "dataset \(key) differs")
        }
        // Alpha and the wiring per epoch: 2 epochs x 5 edges x 8 ops, probabilities summing to 1 per edge.
        let file = try HDF5File(reading: path)
        defer { file.close() }
        #expect(try file.dataset("search/alpha").shape == [2, 5, 8])
        let prob = try file.dataset("search/prob").read(Double.self).values
        for row in stride(from: 0, to: prob.count, by: 8) {
            #expect(abs(prob[row..<(row + 8)].reduce(0, +) - 1) < 1e-12)
        }
        #expect(try file.dataset("search/topology").shape == [2, 5])
        let alpha = try file.dataset("search/alpha").read(Double.self).values
        #expect(alpha[0..<40] != alpha[40..<80], "alpha moved between epochs")
        if algorithm == "darts" || algorithm == "proxyless" {  // bi-level (proxyless by default)
            // split: half leaves 16 training images: 2 batches per epoch, 4 steps, one search batch each.
            #expect(try file.dataset("search/batch_edge_cost").shape == [4, 1, 5])
            // The search rows of Fig 10b: per epoch, the "all" mean loss of the search samples is the mean of
            // the two search batches' batch-mean losses (equal batches of 8), and C = L − H per subset.
            #expect(try file.dataset("search/epoch_batches").read(Int.self).values == [2, 4])
            let split = try file.dataset("search/split_mean").read(Double.self)
            #expect(split.shape == [2, 3, 4])
            let batchLoss = try file.dataset("search/batch_loss").read(Double.self).values
            for epoch in 0..<2 {
                let all = split.values[(epoch * 3 + 2) * 4..<(epoch * 3 + 3) * 4]
                let expected = (batchLoss[2 * epoch] + batchLoss[2 * epoch + 1]) / 2
                #expect(abs(all[all.startIndex] - expected) < 1e-6, "epoch \(epoch): \(all) vs loss \(expected)")
                #expect(all[all.startIndex + 3] == 16)
                for subset in 0..<3 {
                    let row = Array(split.values[(epoch * 3 + subset) * 4..<(epoch * 3 + subset + 1) * 4])
                    #expect(row[3] == 0 ? row[0].isNaN : abs(row[0] - row[1] - row[2]) < 1e-12)
                }
            }
        }
        // One eval row per search epoch, then one per pass of the eval phase, each over the 20 test images.
        #expect(try file.dataset("eval/phase").read(Int.self).values == [0, 0, 1, 1])
        #expect(try file.dataset("eval/epoch").read(Int.self).values == [0, 1, 0, 1])
        #expect(try file.dataset("eval/images").read(Int.self).values == [20, 20, 20, 20])
        #expect(try file.dataset("eval/edge_cost").shape == [4, 1, 5])
    }
}
