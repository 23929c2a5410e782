// Result files that netCDF tools open as they are, grid labels, the merged sweep index, and a sweep
// collected into one dataset (read back through xarray and `compare`). Python-side checks use
// Debian's /usr/bin/python3 and `ncdump`, and skip, saying why, when those are missing.
import Foundation
import Testing
import WiringResults
@testable import WiringCluster
@testable import WiringExperiment
@testable import WiringReport
@testable import WiringRun
@testable import WiringSpec

/// Two labelled op lists x two seeds of a tiny probe-train-probe run (a few seconds in all).
let labelledSweepManifest = tinyManifest.replacingOccurrences(of: "record: {per_sample: true}\n", with: "") + "\n" + """
    replicates: 2
    grid:
      network.ops:
        - {label: a, value: [none, skip_connect, max_pool_3x3, sep_conv_3x3]}
        - {label: b, value: [none, skip_connect, sep_conv_3x3]}
    """

func labelledSweepPlan(_ overrides: [String] = []) throws -> ExperimentPlan {
    try Manifest(yaml: labelledSweepManifest, file: "labelled.yaml", overrides: overrides).plan(codeVersion: "test")
}

/// Runs every run of `plan` into `folder`.
func runAll(_ plan: ExperimentPlan, into folder: URL) throws {
    for run in plan.runs { _ = try executeRun(run, plan: plan, options: RunOptions(outFolder: folder)) }
}

@Test func gridLabelsNameRunsButLeaveRunIDsUnchanged() throws {
    let labelled = try labelledSweepPlan()
    let plain = try Manifest(yaml: labelledSweepManifest.replacingOccurrences(of: "{label: a, value: ", with: "")
        .replacingOccurrences(of: "{label: b, value: ", with: "").replacingOccurrences(of: "]}", with: "]"),
        file: "plain.yaml").plan(codeVersion: "test")
    #expect(labelled.runs.map(\.name) == ["ops=a,seed=3", "ops=a,seed=4", "ops=b,seed=3", "ops=b,seed=4"])
    #expect(labelled.runs.map(\.id) == plain.runs.map(\.id))
    #expect(plain.runs[0].name == "ops=[none,skip_connect,max_pool_3x3,sep_conv_3x3],seed=3")
    #expect(labelled.runs[2].varying[0].json == .array([.string("none"), .string("skip_connect"), .string("sep_conv_3x3")]))
    #expect(labelled.runs[2].varying[0].label == "b")
    #expect(labelled.runs[2].varying[1].json == .int(3))
}

@Test func duplicateGridLabelsAreOneLine() throws {
    let yaml = labelledSweepManifest.replacingOccurrences(of: "{label: b,", with: "{label: a,")
    #expect {
        _ = try Manifest(yaml: yaml, file: "dup.yaml").plan(codeVersion: "test")
    } throws: { error in
        let text = "\(error)"
        return text.contains("grid.network.ops.1.label") && text.contains("expected each label once")
            && !text.contains("\n")
    }
}

@Test func sweepIndexIsTypedAndKeepsFinishedRunsThatAPlanNoLongerHas() throws {
    let folder = temporaryFolder("index")
    defer { try? FileManager.default.removeItem(at: folder) }
    let full = try labelledSweepPlan()
    // Pretend the first two runs finished (the index judges status by file names only).
    for run in full.runs.prefix(2) {
        FileManager.default.createFile(atPath: folder.appendingPathComponent(RunFiles.result(run.id)).path, contents: Data())
    }
    try writeSweepIndex(plan: full, folder: folder)
    // A later run of a subset (one seed only) must not drop the finished runs of seed 4.
    let subset = try labelledSweepPlan(["replicates=[3]"])
    try writeSweepIndex(plan: subset, folder: folder)
    let data = try Data(contentsOf: folder.appendingPathComponent("index.json"))
    let index = try JSONDecoder().decode(SweepIndex.self, from: data)
    #expect(index.indexVersion == 2)
    #expect(index.runs.filter(\.inPlan).count == subset.runs.count)
    let kept = index.runs.filter { !$0.inPlan }
    #expect(kept.map(\.id) == [full.runs[1].id], "the finished seed-4 run stays listed")
    #expect(kept.first?.status == "done")
    #expect(kept.first?.setting == "a" && kept.first?.seed == 4)
    // Values are JSON values, not strings.
    let json = try JSONSerialization.jsonObject(with: data) as! [String: Any]
    let first = (json["runs"] as! [[String: Any]])[0]
    let axis = (first["varying"] as! [[String: Any]])[0]
    #expect((axis["value"] as? [String])?.first == "none")
    #expect(axis["label"] as? String == "a")
}

@Suite(.serialized) struct CollectedSweepTests {
    static let python = "/usr/bin/python3"

    // The last part reads the collected file with xarray: CI installs it (make test), so nothing is skipped there.
    @Test(.enabled(if: pythonCanImport("xarray, h5netcdf"), "/usr/bin/python3 cannot import xarray and h5netcdf"))
    func collectStacksSettingsAndSeedsAndCompareTabulatesThem() throws {
        let folder = temporaryFolder("collect")
        defer { try? FileManager.default.removeItem(at: folder) }
        let plan = try labelledSweepPlan()
        try runAll(plan, into: folder)
        let collection = try SweepCollection(folder: folder)
        #expect(collection.settings == ["a", "b"])
        #expect(collection.seeds == [3, 4])
        let output = folder.path + "-sweep.h5"
        defer { try? FileManager.default.removeItem(atPath: output) }
        #expect(collection.defaultOutputPath == URL(fileURLWithPath: output).standardizedFileURL.path)
        try collection.write(to: output)

        // The stacked cost_mean at (b, seed 4) is run 3's own matrix, with NaN for the op b does not have.
        let sweep = try HDF5File(reading: output)
        defer { sweep.close() }
        let stacked = try sweep.dataset("summary/cost_mean")
        #expect(try stacked.dimensionLabels() == ["setting", "seed", "phases", "cells", "edges", "ops"])
        #expect(try sweep.dataset("summary/ops").readStrings().values == ["none", "skip_connect", "max_pool_3x3", "sep_conv_3x3"])
        let all = try stacked.read(Double.self)
        let run = try HDF5File(reading: folder.appendingPathComponent(RunFiles.result(plan.runs[3].id)).path)
        defer { run.close() }
        let own = try run.dataset("summary/cost_mean").read(Double.self)      // (3, 1, 5, 3)
        let inner = all.shape.dropFirst(2).reduce(1, *)
        let block = Array(all.values[(3 * inner)..<(4 * inner)])               // setting b (1), seed 4 (1)
        for p in 0..<3 { for e in 0..<5 {
            let row = block[((p * 5 + e) * 4)..<((p * 5 + e) * 4 + 4)]
            let mine = own.values[((p * 5 + e) * 3)..<((p * 5 + e) * 3 + 3)]
            #expect(Array(row)[0] == Array(mine)[0] && Array(row)[1] == Array(mine)[1] && Array(row)[3] == Array(mine)[2])
            #expect(Array(row)[2].isNaN, "max_pool_3x3 is not an op of setting b")
        } }
        // Op indices are rewritten into the union's list: b's sep_conv_3x3 (own index 2) becomes 3.
        let edgeOp = try sweep.dataset("steps/edge_op").read(Double.self).values
        let ownOp = try run.dataset("steps/edge_op").read(Int.self).values
        let stepsInner = edgeOp.count / 4
        let remapped = edgeOp[(3 * stepsInner)..<(3 * stepsInner + ownOp.count)].map { Int($0) }
        #expect(remapped == ownOp.map { $0 == 2 ? 3 : $0 })

        // compare: one row per setting, fits 100 columns; the value is the mean over sampled non-none ops.
        let comparison = SweepComparison(collection, quantity: .cost)
        let text = comparison.text()
        #expect(text.split(separator: "\n").allSatisfy { $0.count <= 100 }, "\(text)")
        #expect(text.contains("\na ") && text.contains("\nb "), "\(text)")
        let count = try run.dataset("summary/cost_count").read(Int.self).values
        let trained = (0..<15).filter { i in count[30 + i] > 0 && i % 3 != 0 }.map { own.values[30 + $0] }
        let seed4 = trained.reduce(0, +) / Double(trained.count)
        let oneRun = SweepComparison.value(collection, run: 3, phase: "trained", quantity: .cost)
        #expect(oneRun.map { abs($0.0 - seed4) < 1e-15 } == true)
        #expect(comparison.csv.hasPrefix("setting,phase,mean,sem,runs\na,init,"))
        #expect(comparison.entries.allSatisfy { $0.runs == 2 })

        let script = """
            import sys, xarray as xr
            ds = xr.open_dataset(sys.argv[1], group="summary", engine="h5netcdf")
            v = ds["cost_mean"].sel(setting="b", seed=4, phases="trained", ops="skip_connect", cells="cell0")
            print("b4", repr(float(v.sel(edges="e0:0->2"))))
            print("runs", list(ds["run_id"].sel(setting="b").values))
            print("ops_value", list(ds["ops_value"].values))
            """
        let result = try runProcess(Self.python, ["-c", script, output])
        #expect(result.status == 0, "\(result.text)")
        let expected = own.values[(2 * 5 + 0) * 3 + 1]
        #expect(result.text.contains("b4 \(expected)") || (expected.isNaN && result.text.contains("b4 nan")), "\(result.text)")
        #expect(result.text.contains("runs ['\(plan.runs[2].id)', '\(plan.runs[3].id)']"), "\(result.text)")
        #expect(result.text.contains("ops_value ['a', 'b']"), "\(result.text)")
    }

    @Test func collectAndCompareRejectBadInputWithOneLineAndExitTwo() throws {
        let binary = try wiringlabBinary()
        let folder = temporaryFolder("collect-bad")
        defer { try? FileManager.default.removeItem(at: folder) }
        let cases: [([String], String)] = [
            (["collect", folder.appendingPathComponent("missing").path], "no such results folder or manifest"),
            (["collect", folder.path], "no result files"),
            (["compare", folder.path, "--quantity", "speed"], "--quantity 'speed': expected one of cost, loss"),
        ]
        for (arguments, message) in cases {
            let result = try runTool(binary, arguments)
            #expect(result.status == 2, "\(arguments): \(result.stderr)")
            #expect(result.stderr.contains(message), "\(arguments): \(result.stderr)")
            #expect(result.stderr.split(separator: "\n").count == 1, "\(arguments): \(result.stderr)")
        }
    }
}

/// netCDF readers on a format-2 result file: `ncdump` (netCDF-C), netCDF4-python and xarray with both engines.
@Suite(.serialized) struct NetCDFInteropTests {
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/ncdump")
                   && pythonCanImport("netCDF4, xarray, h5netcdf, h5py"),
                   "needs ncdump (netcdf-bin) and /usr/bin/python3 with netCDF4, xarray, h5netcdf and h5py"))
    func ncdumpNetCDF4AndXarrayOpenAResultFileAsItIs() throws {
        let plan = try tinyPlan()
        let folder = temporaryFolder("netcdf")
        defer { try? FileManager.default.removeItem(at: folder) }
        guard case let .finished(path) = try executeRun(plan.runs[0], plan: plan, options: RunOptions(outFolder: folder)) else {
            Issue.record("run did not finish")
            return
        }
        let file = try HDF5File(reading: path)
        defer { file.close() }
        let ops = try file.dataset("ops").readStrings().values
        let mean = try file.dataset("summary/cost_mean").read(Double.self).values
        #expect(try file.root.attribute("format_version", as: Int.self) == 3)
        #expect(try file.dataset("ops").storedType == .string(length: nil))

        do {
            let full = try runProcess("/usr/bin/ncdump", [path])
            #expect(full.status == 0, "\(full.text.prefix(2000))")
            let opsOnly = try runProcess("/usr/bin/ncdump", ["-v", "ops", path])
            #expect(opsOnly.status == 0)
            #expect(opsOnly.text.contains("ops = \"none\", \"skip_connect\""), "\(opsOnly.text.suffix(600))")
            #expect(full.text.contains("group: summary"))
            #expect(full.text.contains("cost_mean:units = \"nats\""), "units on summary datasets")
        }

        let python = "/usr/bin/python3"
        let script = """
            import sys, h5py, netCDF4, xarray as xr
            p = sys.argv[1]
            d = netCDF4.Dataset(p)
            print("netcdf4-ops", list(d["ops"][:]))
            print("netcdf4-units", d["summary"]["cost_mean"].units)
            print("netcdf4-engine", list(xr.open_dataset(p, engine="netcdf4").coords["ops"].values))
            v = xr.open_dataset(p, group="summary", engine="h5netcdf")["cost_mean"].sel(phases="trained", ops="skip_connect")
            print("xarray", repr(float(v.sel(cells="cell0", edges="e0:0->2"))))
            # Every variable of every group carries long_name; every numeric one units too.
            missing = []
            def visit(name, obj):
                if isinstance(obj, h5py.Dataset):
                    wanted = ("long_name",) if obj.dtype.kind == "O" else ("units", "long_name")
                    missing.extend(name + "@" + a for a in wanted if a not in obj.attrs)
            h5py.File(p, "r").visititems(visit)
            print("missing", missing)
            for group in ("summary", "steps", "checks"):
                ds = xr.open_dataset(p, group=group, engine="h5netcdf")
                print(group, sorted(set(ds.dims) - set(ds.coords)))
            """
        let result = try runProcess(python, ["-c", script, path])
        #expect(result.status == 0, "\(result.text)")
        let pythonList = "[" + ops.map { "'\($0)'" }.joined(separator: ", ") + "]"
        #expect(result.text.contains("netcdf4-ops \(pythonList)"), "\(result.text)")
        #expect(result.text.contains("netcdf4-units nats"))
        #expect(result.text.contains("netcdf4-engine \(pythonList)"), "\(result.text)")
        let p = 2, o = 1, e = 0  // trained, skip_connect, e0:0->2 (one cell)
        let expected = mean[(p * 5 + e) * ops.count + o]
        #expect(result.text.contains("xarray \(expected)"), "\(result.text)")
        #expect(result.text.contains("missing []"), "\(result.text)")
        for group in ["summary", "steps", "checks"] {
            #expect(result.text.contains("\(group) []"), "every dimension of /\(group) has a coordinate: \(result.text)")
        }
    }
}

@Test func aFormatOneIndexIsUpgradedAndItsFinishedRunsKept() throws {
    let folder = temporaryFolder("legacy-index")
    defer { try? FileManager.default.removeItem(at: folder) }
    // What Sweep.swift's old writeIndex wrote: values as strings, no settings; one finished run of another plan.
    let legacy = """
        {"codeVersion": "old", "experiment": "labelled", "manifest": "labelled.yaml", "runs": [
          {"file": "0123456789ab.h5", "id": "0123456789ab", "index": 0, "name": "ops=x,seed=3", "status": "done",
           "varying": {"network.ops": "[none,skip_connect]", "seed": "3"}}]}
        """
    try legacy.write(to: folder.appendingPathComponent("index.json"), atomically: true, encoding: .utf8)
    FileManager.default.createFile(atPath: folder.appendingPathComponent("0123456789ab.h5").path, contents: Data())
    let plan = try labelledSweepPlan()
    let index = mergedSweepIndex(plan: plan, folder: folder)
    #expect(index.runs.count == plan.runs.count + 1)
    let kept = try #require(index.runs.last)
    #expect(kept.id == "0123456789ab" && !kept.inPlan && kept.status == "done")
    #expect(kept.seed == 3 && kept.setting == "[none,skip_connect]")
}
