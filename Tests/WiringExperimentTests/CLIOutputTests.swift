// The CLI as a user meets it in a terminal: `--jobs` with the binary found on PATH, `show` and the progress
// line within 80 columns, run ids that survive edits of comments, docs and presentation code, and `plan`
// saying which key makes a run new.
import Foundation
import Testing
@testable import WiringCluster
@testable import WiringExperiment
@testable import WiringReport
@testable import WiringRun
@testable import WiringSpec

@Suite(.serialized) struct CLIOutputTests {
    func folder(_ name: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("wiringlab-\(name)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test func jobsTwoWithTheBinaryOnPATHPrintsEachResultOnce() throws {
        let dir = try folder("jobs")
        defer { try? FileManager.default.removeItem(at: dir) }
        let manifest = dir.appendingPathComponent("m.yaml")
        try (tinyManifest + "\ngrid: {seed: [1, 2]}\n").write(to: manifest, atomically: true, encoding: .utf8)
        let binary = try wiringlabBinary()
        let path = (binary as NSString).deletingLastPathComponent + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "")
        // Started by name from another working directory: the children must be found from /proc/self/exe.
        let result = try runTool("/usr/bin/env", ["wiringlab", "run", manifest.path, "--jobs", "2", "--out",
                                                  dir.appendingPathComponent("out").path, "--code-version", "t"],
                                 in: dir, environment: ["PATH": path, "COLUMNS": "80"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.components(separatedBy: "mean cost of non-none ops").count - 1 == 2 * 3,
                "each of 2 runs shows 3 phases once: \(result.stdout)")
        #expect(result.stdout.components(separatedBy: " finished, ").count - 1 == 1)
        #expect(result.stderr.contains("sweep: 2 done, 0 running, 0 left"), "\(result.stderr)")
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("out").path)
        #expect(files.filter { $0.hasSuffix(".h5") }.count == 2)
    }

    @Test func showAndProgressFitEightyColumns() throws {
        let dir = try folder("width")
        defer { try? FileManager.default.removeItem(at: dir) }
        let manifest = dir.appendingPathComponent("m.yaml")
        // Enough phases, steps and a search to fill every section of `show`.
        try (tinyManifest.replacingOccurrences(of: "- {name: trained, kind: probe, batches: 3}",
                                               with: "- {name: search, kind: search, algorithm: dsnas, epochs: 2, eval_every: 1}"))
            .write(to: manifest, atomically: true, encoding: .utf8)
        let out = dir.appendingPathComponent("out")
        let run = try runTool(try wiringlabBinary(), ["run", manifest.path, "--out", out.path, "--code-version", "t"],
                              environment: ["COLUMNS": "80"])
        #expect(run.status == 0, "\(run.stderr)")
        let progress = run.stderr.split(separator: "\n")
        #expect(!progress.isEmpty)
        for line in progress { #expect(line.count <= 80, "\(line.count): \(line)") }
        let file = try #require(try FileManager.default.contentsOfDirectory(atPath: out.path).first { $0.hasSuffix(".h5") })
        let show = try runTool(try wiringlabBinary(), ["show", out.appendingPathComponent(file).path],
                               environment: ["COLUMNS": "80"])
        #expect(show.status == 0)
        for line in show.stdout.split(separator: "\n") { #expect(line.count <= 80, "\(line.count): \(line)") }
        #expect(show.stdout.contains("search: probabilities after epoch 1") && show.stdout.contains("most likely"))
        #expect(show.stdout.contains("epochs 0-1"), "epochs count from 0")
        #expect(show.stdout.contains("validation (test images, eval-mode batch norm)"))
        #expect(!show.stdout.contains("\u{1B}["), "no colour when not a terminal")
        let wide = try runTool(try wiringlabBinary(), ["show", "--wide", out.appendingPathComponent(file).path])
        #expect(wide.stdout.contains("±") && wide.stdout.split(separator: "\n").contains { $0.count > 100 })
    }

    @Test func commentsDocsAndPresentationCodeDoNotChangeTheCodeVersion() throws {
        let package = try folder("package")
        defer { try? FileManager.default.removeItem(at: package) }
        func write(_ path: String, _ text: String) throws {
            let url = package.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try text.write(to: url, atomically: true, encoding: .utf8)
        }
        try write("Sources/WiringEngine/Kernel.swift", "let a = 1\n")
        let marker = CodeVersion.presentationOnlyMarker + "\n"
        try write("Sources/WiringExperiment/Results/ResultsView.swift", marker + "let view = 1\n")
        try write("Sources/wiringlab/Main.swift", "print(1)\n")
        try write("experiments/m.yaml", "name: m\n")
        try write("docs/d.md", "# docs\n")
        try write("Tests/T/T.swift", "let t = 1\n")
        let before = CodeVersion.current(packageDirectory: package)
        #expect(before.hasPrefix("src-"))
        try write("experiments/m.yaml", "# a comment\nname: m\n")
        try write("docs/d.md", "# more docs\n")
        try write("Tests/T/T.swift", "let t = 2\n")
        try write("Sources/wiringlab/Main.swift", "print(2)\n")
        try write("Sources/WiringExperiment/Results/ResultsView.swift", marker + "let view = 2\n")
        #expect(CodeVersion.current(packageDirectory: package) == before)
        // Run ids do not depend on file names: a presentation file renamed or moved keeps the version ...
        try FileManager.default.createDirectory(at: package.appendingPathComponent("Sources/WiringExperiment/Report"),
                                                withIntermediateDirectories: true)
        try FileManager.default.moveItem(at: package.appendingPathComponent("Sources/WiringExperiment/Results/ResultsView.swift"),
                                         to: package.appendingPathComponent("Sources/WiringExperiment/Report/Screen.swift"))
        #expect(CodeVersion.current(packageDirectory: package) == before)
        // ... and a computing file named like a presentation file counts (the marker decides, not the name).
        try write("Sources/WiringEngine/Compare.swift", "let kernel = 1\n")
        #expect(CodeVersion.current(packageDirectory: package) != before)
        try FileManager.default.removeItem(at: package.appendingPathComponent("Sources/WiringEngine/Compare.swift"))
        #expect(CodeVersion.current(packageDirectory: package) == before)
        try write("Sources/WiringEngine/Kernel.swift", "let a = 2\n")
        #expect(CodeVersion.current(packageDirectory: package) != before)

        // And a comment in the manifest itself keeps every run id.
        let plain = try Manifest(yaml: tinyManifest + "\ngrid: {seed: [1, 2]}\n", file: "m.yaml").plan(codeVersion: before)
        let commented = try Manifest(yaml: "# why this sweep\n" + tinyManifest + "\ngrid: {seed: [1, 2]}  # two seeds\n",
                                     file: "m.yaml").plan(codeVersion: before)
        #expect(plain.runs.map(\.id) == commented.runs.map(\.id))
    }

    @Test func planSaysWhichKeyMakesARunNew() throws {
        let dir = try folder("why")
        defer { try? FileManager.default.removeItem(at: dir) }
        let plan = try tinyPlan()
        guard case .finished = try executeRun(plan.runs[0], plan: plan, options: RunOptions(outFolder: dir)) else {
            Issue.record("run did not finish")
            return
        }
        let changed = try tinyPlan(["network.channels=6"])
        let table = changed.table(resultsFolder: dir, width: 80)
        #expect(table.contains("network.channels 4 -> 6"), "\(table)")
        for line in table.split(separator: "\n") { #expect(line.count <= 80, "\(line)") }
        // The same settings under another code version count as done, and `run` leaves them alone.
        let otherCode = try Manifest(yaml: tinyManifest, file: "tiny.yaml").plan(codeVersion: "other")
        #expect(otherCode.table(resultsFolder: dir, width: 80).contains("old-code"))
        let report = try runSweep(SweepRequest(plan: otherCode, outFolder: dir, progress: ProgressReporter(quiet: true)))
        #expect(report.skipped.count == 1 && report.finished.isEmpty)
    }
}
