// tools/plot_results.py end to end: a real result file from a tiny run goes in, every promised PNG comes out, the
// --table text matches the file read back through WiringResults, and user errors are one line with exit status 2.
// Runs Debian's /usr/bin/python3 and skips, saying why, when it lacks h5py or matplotlib.
import Foundation
import Testing
import WiringResults
@testable import WiringCluster
@testable import WiringExperiment
@testable import WiringReport
@testable import WiringRun
@testable import WiringSpec

@Suite(.serialized) struct PlotToolTests {
    static let python = "/usr/bin/python3"
    static let tool = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("tools/plot_results.py").path

    /// Why the tool cannot run here, or nil when it can (asked once: each question starts a Python).
    static let skipReason: String? = {
        guard FileManager.default.isExecutableFile(atPath: python) else { return "no \(python)" }
        guard pythonCanImport("h5py, matplotlib, numpy") else {
            return "\(python) cannot import h5py, matplotlib and numpy (apt-get install python3-h5py "
                + "python3-matplotlib)"
        }
        return nil
    }()

    /// Runs the tool; stdout and stderr come back together, as a user sees them.
    static func plot(_ arguments: [String]) throws -> (status: Int32, text: String) {
        try runProcess(python, [tool] + arguments)
    }

    /// Whether the file starts with the 8-byte PNG signature (and so is neither empty nor something else).
    static func isPNG(_ path: String) -> Bool {
        guard let data = FileManager.default.contents(atPath: path) else { return false }
        return data.count > 8 && Array(data.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
    }

    /// Number of visible panels (axes with a title) in each figure, counted by matplotlib on the saved file's figure
    /// (the tool is imported as a module and `save` is wrapped, so this counts what was drawn, not what was planned).
    static func panelCounts(_ arguments: [String]) throws -> (status: Int32, text: String) {
        let script = """
            import sys, importlib.util, matplotlib
            matplotlib.use("Agg")
            spec = importlib.util.spec_from_file_location("plot_results", sys.argv[1])
            tool = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(tool)
            original = tool.save
            def counting_save(fig, out, *parts):
                panels = [ax for ax in fig.axes if ax.get_visible() and ax.get_title()]
                print("PANELS", tool.file_name(*parts), len(panels), "|".join(ax.get_title().replace("\\n", " ") for ax in panels))
                return original(fig, out, *parts)
            tool.save = counting_save
            sys.exit(tool.main(sys.argv[2:]))
            """
        return try runProcess(python, ["-c", script, tool] + arguments)
    }

    /// A probe, a bi-level DARTS search and a probe: every per-run figure has data.
    static let searchManifest = tinyManifest.components(separatedBy: "phases:")[0] + """
        phases:
          - {name: init, kind: probe, batches: 3}
          - {name: search, kind: search, algorithm: darts, level: bi, epochs: 2}
          - {name: trained, kind: probe, batches: 2}
        """

    @Test(.enabled(if: PlotToolTests.skipReason == nil, "needs /usr/bin/python3 with h5py, matplotlib and numpy"))
    func plotToolWritesEveryFigureWithItsPanelsAndTheTable() throws {
        let plan = try Manifest(yaml: Self.searchManifest, file: "plot.yaml").plan(codeVersion: "test")
        let folder = temporaryFolder("plot")
        defer { try? FileManager.default.removeItem(at: folder) }
        let outcome = try executeRun(plan.runs[0], plan: plan, options: RunOptions(outFolder: folder))
        guard case let .finished(path) = outcome else {
            Issue.record("run did not finish")
            return
        }
        let name = plan.runs[0].id
        let out = folder.appendingPathComponent("figures").path
        let figures = try Self.panelCounts([path, "--out", out, "--sem"])
        #expect(figures.status == 0, "\(figures.text)")
        // figure -> panels: Fig 4 one per phase (x2 with --sem), one per edge for the probability and search-batch
        // grids (5 edges of the minimal cell), one per drawn epoch of the topology (2 search epochs).
        let expected: [String: Int] = [
            "fig4": 6, "fig7a": 2, "fig19": 1, "cost-progress": 1, "split": 3, "residuals": 1,
            "fig3": 5, "fig1": 2, "fig10a": 5, "fig10b": 1,
        ]
        let panels = Dictionary(figures.text.split(separator: "\n").filter { $0.hasPrefix("PANELS ") }.map { line in
            let parts = line.split(separator: " ", maxSplits: 3).map(String.init)
            return (parts[1], Int(parts[2]) ?? -1)
        }, uniquingKeysWith: { $1 })
        for (figure, count) in expected {
            let file = "\(name)-\(figure).png"
            #expect(Self.isPNG((out as NSString).appendingPathComponent(file)), "\(file) missing, empty or not a PNG")
            #expect(panels[file] == count, "\(file): \(panels[file] ?? -1) panels, expected \(count)")
        }
        #expect(figures.text.contains("init (mean)|search (mean)|trained (mean)|init (SEM)"), "\(figures.text)")

        // Float noise: a copy whose costs are all ~1e-17 draws zeros and says so, instead of a stretched scale.
        let noisy = folder.appendingPathComponent("noise.h5").path
        try FileManager.default.copyItem(atPath: path, toPath: noisy)
        let shrink = try runProcess(Self.python, ["-c", """
            import h5py, sys
            sys.path.insert(0, sys.argv[2])
            import wiringlab_files
            with h5py.File(sys.argv[1], 'a') as f:
                f['summary/cost_mean'][...] = f['summary/cost_mean'][()] * 1e-16
            wiringlab_files.reseal(sys.argv[1])  # changed on purpose: a new seal, or the tool refuses the file
            """, noisy, (Self.tool as NSString).deletingLastPathComponent])
        #expect(shrink.status == 0, "\(shrink.text)")
        let table = try Self.plot([noisy, "--table"])
        #expect(table.status == 0, "\(table.text)")
        #expect(table.text.contains("note: values with |v| <"), "\(table.text)")
        #expect(!table.text.contains("e-1"), "no value of order 1e-1x is printed: \(table.text)")

        // A collected sweep: one Fig 9 panel per setting.
        let sweepPlan = try labelledSweepPlan()
        let sweepFolder = temporaryFolder("plot-sweep")
        defer { try? FileManager.default.removeItem(at: sweepFolder) }
        try runAll(sweepPlan, into: sweepFolder)
        let sweepFile = sweepFolder.appendingPathComponent("sweep.h5").path
        try SweepCollection(folder: sweepFolder).write(to: sweepFile)
        let sweepFigures = try Self.panelCounts([sweepFile, "--out", out])
        #expect(sweepFigures.status == 0, "\(sweepFigures.text)")
        #expect(sweepFigures.text.contains("PANELS sweep-fig9.png 2 a|b"), "\(sweepFigures.text)")
        #expect(Self.isPNG((out as NSString).appendingPathComponent("sweep-fig9.png")))
        #expect(sweepFigures.text.contains("PANELS sweep-fig9-edges.png 2 a|b"), "\(sweepFigures.text)")
        #expect(Self.isPNG((out as NSString).appendingPathComponent("sweep-loss.png")))

        let result = try Self.plot([path, "--table"])
        #expect(result.status == 0, "\(result.text)")

        // The table: per phase, each edge row holds the cost means summed over cells, '.' where never sampled.
        // Oracle: the same datasets read through WiringResults (not through h5py) and formatted by printf.
        let file = try HDF5File(reading: path)
        defer { file.close() }
        let edges = try file.dataset("edges").readStrings().values
        let phases = try file.dataset("phases").readStrings().values
        let mean = try file.dataset("summary/cost_mean").read(Double.self).values
        let count = try file.dataset("summary/cost_count").read(Int.self).values
        let ops = try file.dataset("ops").readStrings().values.count
        let cells = mean.count / (phases.count * edges.count * ops)
        let lines = result.text.split(separator: "\n").map(String.init)
        for (p, phase) in phases.enumerated() {
            guard let header = lines.firstIndex(where: { $0.hasPrefix("phase \(phase):") }) else {
                Issue.record("no table for phase \(phase) in:\n\(result.text)")
                continue
            }
            for (e, edge) in edges.enumerated() {
                let expected = (0..<ops).map { o -> String in
                    let flat = (0..<cells).map { c in ((p * cells + c) * edges.count + e) * ops + o }
                    guard flat.allSatisfy({ count[$0] > 0 }) else { return "." }
                    return String(format: "%.3e", flat.reduce(0.0) { $0 + mean[$1] })
                }
                let row = lines[header + 2 + e].split(separator: " ").map(String.init)
                #expect(row == [edge] + expected, "phase \(phase), edge \(edge)")
            }
        }
    }

    @Test(.enabled(if: PlotToolTests.skipReason == nil, "needs /usr/bin/python3 with h5py, matplotlib and numpy"),
          arguments: [
        ("missing", "no such file"),
        ("text", "not an HDF5 file"),
        ("other-format", "not a WiringLab result file (has format 'other', expected 'wiringlab-results')"),
        ("damaged", "damaged, its bytes do not match its seal (its SHA-256 digest does not match the seal"),
    ])
    func plotToolRejectsWhatIsNotAResultWithExitStatus2(kind: String, message: String) throws {
        let folder = temporaryFolder("plot-error")
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("\(kind).h5").path
        switch kind {
        case "text":
            try "not hdf5\n".write(toFile: path, atomically: true, encoding: .utf8)
        case "other-format":
            let file = try HDF5File(creating: path)
            try file.root.setAttribute("format", "other")
            try file.commit()
        case "damaged":
            // A result file with one byte flipped in its last third: h5py alone would open it.
            let file = try HDF5File(creating: path)
            try file.root.setAttribute("format", "wiringlab-results")
            try file.root.write("x", (0..<512).map(Double.init))
            try file.commit()
            var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
            bytes[bytes.count * 2 / 3] ^= 0xff
            try Data(bytes).write(to: URL(fileURLWithPath: path))
        default:
            break
        }
        let result = try Self.plot([path, "--out", folder.appendingPathComponent("figures").path])
        #expect(result.status == 2)
        #expect(result.text.hasPrefix("plot_results.py: error: \(path): \(message)"), "\(result.text)")
        #expect(result.text.split(separator: "\n").count == 1, "one line expected: \(result.text)")
    }
}
