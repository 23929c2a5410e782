// `wiringlab run` and `wiringlab show` end to end through the built binary: a finished run prints the
// summary and exits 0, a second invocation skips it, and bad input (a missing data set, a foreign or
// corrupt file) gives one stderr line and exit code 2.
import Foundation
import Testing
@testable import WiringCluster
@testable import WiringExperiment
@testable import WiringReport
@testable import WiringRun
@testable import WiringSpec

@Suite(.serialized) struct RunCommandTests {
    func folder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("wiringlab-run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test func runWritesTheResultShowsItAndSkipsItTheSecondTime() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let manifest = dir.appendingPathComponent("tiny.yaml")
        try tinyManifest.write(to: manifest, atomically: true, encoding: .utf8)
        let out = dir.appendingPathComponent("out").path
        let first = try runTool(try wiringlabBinary(), ["run", manifest.path, "--out", out, "--quiet", "--code-version", "t"])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("mean cost of non-none ops"))
        #expect(first.stdout.contains("1 finished, 0 already done"))
        let files = try FileManager.default.contentsOfDirectory(atPath: out)
        let result = try #require(files.first { $0.hasSuffix(".h5") })
        #expect(files.contains("index.json") && !files.contains { $0.hasSuffix(".ckpt") })
        let again = try runTool(try wiringlabBinary(), ["run", manifest.path, "--out", out, "--quiet", "--code-version", "t"])
        #expect(again.status == 0 && again.stdout.contains("0 finished, 1 already done"))
        let show = try runTool(try wiringlabBinary(), ["show", out + "/" + result])
        #expect(show.status == 0 && show.stdout.contains("phase trained"))
    }

    @Test func missingDataSetIsInvalidInputWithOneLine() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let manifest = dir.appendingPathComponent("cifar.yaml")
        try "name: cifar\ndata: {dataset: cifar10, root: \(dir.path)/nothing}\nphases: [{kind: probe, batches: 1}]\n"
            .write(to: manifest, atomically: true, encoding: .utf8)
        let result = try runTool(try wiringlabBinary(), ["run", manifest.path, "--out", dir.path + "/out", "--quiet"])
        #expect(result.status == 2)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1, "\(result.stderr)")
        #expect(lines.first?.contains("cifar-10-batches-bin") == true)
    }

    @Test(arguments: ["foreign", "corrupt", "missing"])
    func showRejectsWhatIsNotAResultFile(kind: String) throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        var path = dir.appendingPathComponent("x.h5").path
        switch kind {
        case "foreign":
            path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .appendingPathComponent("Fixtures/reference/case_B_dsnas_minimal_2cell.h5").path
        case "corrupt":
            try Data((0..<256).map { UInt8(truncatingIfNeeded: $0 * 37) }).write(to: URL(fileURLWithPath: path))
        default:
            break
        }
        let result = try runTool(try wiringlabBinary(), ["show", path])
        #expect(result.status == 2)
        #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
        #expect(result.stderr.contains(path))
    }
}
