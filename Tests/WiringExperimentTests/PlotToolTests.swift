// tools/plot_results.py end to end: a real result file from a tiny run goes in, every promised PNG comes out, the
// --table text matches the file read back through WiringResults, and user errors are one line with exit status 2.
// Runs Debian's /usr/bin/python3 and skips, saying why, when it lacks h5py or matplotlib.
import Foundation
import Testing
import WiringResults
@testable import WiringExperiment

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

    @Test func plotToolWritesEveryFigureAndTheTable() throws {
        if let reason = Self.skipReason {
            print("skipped: \(reason)")
            return
        }
        let plan = try tinyPlan()
        let folder = temporaryFolder("plot")
        defer { try? FileManager.default.removeItem(at: folder) }
        let outcome = try executeRun(plan.runs[0], plan: plan, options: RunOptions(outFolder: folder))
        guard case let .finished(path) = outcome else {
            Issue.record("run did not finish")
            return
        }
        // A copy with the record a search phase adds, /search/alpha (epoch, edge, op), so that one invocation of
        // the tool (matplotlib is slow to start) draws every figure, the alpha panels included.
        let withAlpha = folder.appendingPathComponent("with-alpha.h5").path
        try FileManager.default.copyItem(atPath: path, toPath: withAlpha)
        let addAlpha = try runProcess(Self.python, ["-c", """
            import h5py, numpy, sys
            with h5py.File(sys.argv[1], 'a') as f:
                f['search/alpha'] = numpy.linspace(-1, 1, 3 * 5 * 8).reshape(3, 5, 8)
            """, withAlpha])
        #expect(addAlpha.status == 0, "\(addAlpha.text)")

        let out = folder.appendingPathComponent("figures").path
        let figures = try Self.plot([withAlpha, "--out", out])
        #expect(figures.status == 0, "\(figures.text)")
        // Every figure, named <file name>-<figure>.png: a heatmap per phase, then one of each kind.
        let names = ["heatmap-init", "heatmap-train", "heatmap-trained", "cost-progress", "split", "residuals", "alpha"]
        for name in names {
            #expect(Self.isPNG((out as NSString).appendingPathComponent("with-alpha-\(name).png")),
                    "with-alpha-\(name).png missing, empty or not a PNG")
        }

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

    @Test(arguments: [
        ("missing", "no such file"),
        ("text", "not an HDF5 file"),
        ("other-format", "not a WiringLab result file (has format 'other', expected 'wiringlab-results')"),
    ])
    func plotToolRejectsWhatIsNotAResultWithExitStatus2(kind: String, message: String) throws {
        if let reason = Self.skipReason {
            print("skipped: \(reason)")
            return
        }
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
        default:
            break
        }
        let result = try Self.plot([path, "--out", folder.appendingPathComponent("figures").path])
        #expect(result.status == 2)
        #expect(result.text.hasPrefix("plot_results.py: error: \(path): \(message)"), "\(result.text)")
        #expect(result.text.split(separator: "\n").count == 1, "one line expected: \(result.text)")
    }
}
