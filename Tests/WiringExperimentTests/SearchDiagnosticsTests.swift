// A search phase's `diagnostics` end to end: the run's other datasets are bitwise those of the same
// run without them, a resumed run writes the same file, the recorded dominant eigenvalue is the
// largest-magnitude eigenvalue of the recorded matrix, and xarray lines the Hessian, strength, cost
// and alpha up on one epoch axis in one `open_dataset` call.
import Foundation
import Testing
import WiringResults
@testable import WiringCluster
@testable import WiringExperiment
@testable import WiringReport
@testable import WiringRun
@testable import WiringSpec

/// The tiny bi-level DARTS run of `tinySearchPlan`, with or without diagnostics.
func diagnosticsPlan(_ diagnostics: String?) throws -> ExperimentPlan {
    let extra = diagnostics.map { ", diagnostics: \($0)" } ?? ""
    let yaml = tinyManifest.components(separatedBy: "phases:")[0] + "phases:\n"
        + "  - {name: search, kind: search, algorithm: darts, level: bi, epochs: 2\(extra)}\n"
    // Three cheap ops keep the Hessian's 15 columns affordable in debug builds.
    return try Manifest(yaml: yaml, file: "tiny-diagnostics.yaml",
                        overrides: ["network.ops=[none, skip_connect, avg_pool_3x3]"]).plan(codeVersion: "test")
}

@Suite(.serialized) struct SearchDiagnosticsTests {
    @Test func diagnosticsLeaveTheRunUnchangedAndLineUpWithAlpha() throws {
        let plain = try diagnosticsPlan(nil), measured = try diagnosticsPlan("{batches: 1}")
        let folder = temporaryFolder("diagnostics"), resumedFolder = temporaryFolder("diagnostics-resumed")
        defer { try? FileManager.default.removeItem(at: folder); try? FileManager.default.removeItem(at: resumedFolder) }
        guard case let .finished(plainPath) = try executeRun(plain.runs[0], plan: plain, options: RunOptions(outFolder: folder)),
              case let .finished(path) = try executeRun(measured.runs[0], plan: measured, options: RunOptions(outFolder: folder))
        else {
            Issue.record("a run did not finish")
            return
        }
        let without = try allDatasets(plainPath), with = try allDatasets(path)
        let added = Set(with.keys).subtracting(without.keys).sorted()
        #expect(added.allSatisfy { $0.hasPrefix("/search/") && ($0.contains("hessian") || $0.contains("strength")
                                                                || $0.contains("diagnostic") || $0.contains("alpha_")) },
                "\(added)")
        #expect(Set(without.keys).isSubset(of: with.keys))
        for key in without.keys.sorted() where !key.hasPrefix("/config") && !key.hasPrefix("/run") {
            #expect(without[key]!.map(\.bitPattern) == with[key]?.map(\.bitPattern), "dataset \(key) differs")
        }

        // A run stopped mid-epoch and right after the first epoch's diagnostics, then resumed: the same file.
        var last: RunOutcome?
        for limit in [3, 1, 100] {
            last = try executeRun(measured.runs[0], plan: measured, options: RunOptions(outFolder: resumedFolder, maxSteps: limit))
        }
        guard case let .finished(resumedPath)? = last else {
            Issue.record("the resumed run did not finish")
            return
        }
        let resumed = try allDatasets(resumedPath)
        for key in with.keys.sorted() {
            #expect(with[key]!.map(\.bitPattern) == resumed[key]?.map(\.bitPattern), "dataset \(key) differs after resume")
        }

        let file = try HDF5File(reading: path)
        defer { file.close() }
        #expect(try file.dataset("search/hessian").shape == [2, 15, 15])
        #expect(try file.dataset("search/strength_accuracy").shape == [2, 5, 3])
        #expect(try file.dataset("search/diagnostic_op_cost").shape == [2, 1, 5, 3])
        let eigenvalue = try file.dataset("search/hessian_eigenvalue").read(Double.self).values
        let spectrum = try file.dataset("search/hessian_eigenvalues").read(Double.self).values
        for epoch in 0..<2 {
            let row = spectrum[epoch * 15..<(epoch + 1) * 15]
            let dominant = row.max { abs($0) < abs($1) }!
            #expect(abs(eigenvalue[epoch] - dominant) <= 1e-6 * abs(dominant), "epoch \(epoch): \(eigenvalue[epoch]) vs \(dominant)")
        }
        // The unperturbed mixture's loss is the loss the Hessian differentiates.
        let base = try file.dataset("search/strength_base_loss").read(Double.self).values
        let loss = try file.dataset("search/diagnostic_loss").read(Double.self).values
        for epoch in 0..<2 { #expect(abs(base[epoch] - loss[epoch]) < 1e-5 * abs(loss[epoch])) }

    }

    @Test(.enabled(if: pythonCanImport("xarray, h5netcdf"), "/usr/bin/python3 cannot import xarray and h5netcdf"))
    func xarrayLinesDiagnosticsUpWithAlphaInOneCall() throws {
        let measured = try diagnosticsPlan("{batches: 1}")
        let folder = temporaryFolder("diagnostics-xarray")
        defer { try? FileManager.default.removeItem(at: folder) }
        guard case let .finished(path) = try executeRun(measured.runs[0], plan: measured, options: RunOptions(outFolder: folder)) else {
            Issue.record("the run did not finish")
            return
        }
        let script = """
            import sys, xarray
            ds = xarray.open_dataset(sys.argv[1], group='search', engine='h5netcdf', phony_dims='access')
            names = ['hessian_eigenvalue', 'hessian', 'hessian_eigenvalues', 'strength_accuracy', 'strength_loss',
                     'strength_pick', 'diagnostic_op_cost', 'alpha', 'prob', 'none_prob', 'topology']
            for name in names:
                assert ds[name].dims[0] == 'search_epoch', (name, ds[name].dims)
            assert ds.sizes['search_epoch'] == 2 and ds.sizes['alpha_i'] == 15, dict(ds.sizes)
            assert list(ds['ops'].values)[0] == 'none', ds['ops'].values
            # One expression across the diagnostics and alpha, no glue: strength next to p(none) per edge.
            table = ds[['none_prob', 'strength_pick', 'topology', 'hessian_eigenvalue']].to_dataframe()
            assert len(table) == 2 * 5, len(table)
            cost = ds['diagnostic_op_cost'].sel(ops='none').isel(cells=0)
            drop = ds['strength_base_accuracy'] - ds['strength_accuracy'].sel(ops='none')
            assert cost.dims == drop.dims == ('search_epoch', 'edges'), (cost.dims, drop.dims)
            print('ok')
            """
        let output = try runProcess("/usr/bin/python3", ["-c", script, path])
        #expect(output.status == 0, "\(output.text)")
        #expect(output.text.contains("ok"))

        // The plot tool draws the diagnostics figure (eigenvalue, p(none) beside edge cost, the picks).
        if pythonCanImport("matplotlib, h5py") {
            let figures = folder.appendingPathComponent("figures")
            let plot = try runProcess("/usr/bin/python3", [PlotToolTests.tool, path, "--out", figures.path])
            #expect(plot.status == 0, "\(plot.text)")
            let written = (try? FileManager.default.contentsOfDirectory(atPath: figures.path)) ?? []
            #expect(written.contains { $0.hasSuffix("-diagnostics.png") }, "\(written)")
        }
    }

    /// A two-setting sweep (bi- and single-level) with diagnostics, and a probe with exact_cost, collected:
    /// the diagnostics stack over `setting` on the same `search_epoch` axis, strength picks index the union's ops.
    @Test func collectStacksTheDiagnosticsAndTheExactCost() throws {
        let yaml = tinyManifest.components(separatedBy: "phases:")[0] + "phases:\n"
            + "  - {name: exact, kind: probe, batches: 2, exact_cost: {batches: 1}}\n"
            + "  - {name: search, kind: search, algorithm: darts, epochs: 2, diagnostics: {batches: 1}}\n"
            + "grid:\n  phases.1.level: [bi, single]\n"
        let plan = try Manifest(yaml: yaml, file: "tiny-collect.yaml",
                                overrides: ["network.ops=[none, skip_connect, avg_pool_3x3]"]).plan(codeVersion: "test")
        let folder = temporaryFolder("diagnostics-collect")
        defer { try? FileManager.default.removeItem(at: folder) }
        try runAll(plan, into: folder)
        let collection = try SweepCollection(folder: folder)
        let output = folder.path + "-sweep.h5"
        defer { try? FileManager.default.removeItem(atPath: output) }
        try collection.write(to: output)
        let sweep = try HDF5File(reading: output)
        defer { sweep.close() }
        #expect(try sweep.dataset("search/hessian_eigenvalue").dimensionLabels() == ["setting", "search_epoch"])
        #expect(try sweep.dataset("search/strength_accuracy").dimensionLabels() == ["setting", "search_epoch", "edges", "ops"])
        #expect(try sweep.dataset("probe/exact_cost").dimensionLabels() == ["setting", "probe_row", "cells", "edges", "ops"])
        let eigenvalues = try sweep.dataset("search/hessian_eigenvalue").read(Double.self).values
        #expect(eigenvalues.count == 4 && eigenvalues.allSatisfy(\.isFinite))
        // Each setting's row is its own file's.
        for run in collection.runs {
            let file = try HDF5File(reading: run.path)
            defer { file.close() }
            let own = try file.dataset("search/hessian_eigenvalue").read(Double.self).values
            let s = collection.settings.firstIndex(of: run.setting)!
            #expect(Array(eigenvalues[s * 2..<(s + 1) * 2]) == own)
        }
    }
}
