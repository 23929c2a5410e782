// End to end: run the built `wiringlab` binary and check its exit codes, stdout and the one stderr line.
// `swift test` builds every product, so the binary sits next to the test bundle.

import Foundation
import Testing
@testable import WiringCluster
@testable import WiringExperiment
@testable import WiringReport
@testable import WiringRun
@testable import WiringSpec

/// The output of a finished process.
struct ToolResult {
    let status: Int32
    let stdout: String
    let stderr: String
}

/// Runs `path` with `arguments` and waits for it.
func runTool(_ path: String, _ arguments: [String], in directory: URL? = nil,
             environment: [String: String]? = nil) throws -> ToolResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    if let directory { process.currentDirectoryURL = directory }
    if let environment { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    // Read both pipes before waiting, so a full pipe cannot block the child.
    let o = out.fileHandleForReading.readDataToEndOfFile()
    let e = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return ToolResult(status: process.terminationStatus, stdout: String(decoding: o, as: UTF8.self),
                      stderr: String(decoding: e, as: UTF8.self))
}

/// The `wiringlab` executable built beside this test bundle.
func wiringlabBinary() throws -> String {
    var folders = [Bundle.main.bundleURL, Bundle.main.bundleURL.deletingLastPathComponent()]
    if let exe = Bundle.main.executableURL { folders.append(exe.deletingLastPathComponent()) }
    for bundle in Bundle.allBundles where bundle.bundlePath.hasSuffix(".xctest") {
        folders.append(bundle.bundleURL.deletingLastPathComponent())
    }
    for folder in folders {
        let candidate = folder.appendingPathComponent("wiringlab").path
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    }
    throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: "wiringlab next to \(folders.map(\.path))"])
}

/// A fresh temporary folder.
private func temporaryFolder() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("wiringlab-cli-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

private let goodManifest = """
    name: cli
    description: A manifest for the CLI test.
    phases: [{kind: probe, batches: 4}]
    grid: {network.cells: [1, 2]}
    """

@Test func validateExitsZeroForAGoodManifestAndTwoWithOneLineForABadOne() throws {
    let binary = try wiringlabBinary()
    let folder = try temporaryFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    try goodManifest.write(to: folder.appendingPathComponent("good.yaml"), atomically: true, encoding: .utf8)
    try "name: cli\nnetwork: {chanels: 2}\nphases: [{kind: probe}]\n"
        .write(to: folder.appendingPathComponent("bad.yaml"), atomically: true, encoding: .utf8)

    let ok = try runTool(binary, ["validate", "good.yaml"], in: folder)
    #expect(ok.status == 0)
    #expect(ok.stdout == "ok: 2 runs\n")
    #expect(ok.stderr.isEmpty)

    let bad = try runTool(binary, ["validate", "bad.yaml"], in: folder)
    #expect(bad.status == 2)
    #expect(bad.stdout.isEmpty)
    #expect(bad.stderr == "bad.yaml:2: network.chanels: expected a key of network, got 'chanels'; did you mean 'channels'?\n")

    let overridden = try runTool(binary, ["validate", "good.yaml", "network.ops=[none, sep_conv_3x4]"], in: folder)
    #expect(overridden.status == 2)
    #expect(overridden.stderr.hasPrefix("<command line>: network.ops.1: expected one of none,"))
    #expect(overridden.stderr.hasSuffix("got 'sep_conv_3x4'; did you mean 'sep_conv_3x3'?\n"))
}

@Test func usageErrorsExitTwoAndHelpExitsZero() throws {
    let binary = try wiringlabBinary()
    #expect(try runTool(binary, ["validate"]).status == 2)
    #expect(try runTool(binary, ["no-such-command"]).status == 2)
    #expect(try runTool(binary, ["plan", "x.yaml", "--no-such-flag"]).status == 2)
    for command in [[], ["validate"], ["plan"], ["list"]] {
        let help = try runTool(binary, command + ["--help"])
        #expect(help.status == 0, "\(command)")
        #expect(help.stdout.contains("USAGE: wiringlab"), "\(command)")
    }
}

@Test func planShowsStatusFromResultFilesAndIDsMatchInProcessPlanning() throws {
    let binary = try wiringlabBinary()
    let folder = try temporaryFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    try goodManifest.write(to: folder.appendingPathComponent("good.yaml"), atomically: true, encoding: .utf8)
    // Same ids in this process as in the CLI's: nothing may depend on per-process hashing.
    let runs = try Manifest.load(contentsOf: folder.appendingPathComponent("good.yaml").path)
        .plan(codeVersion: "cli-test").runs
    let out = folder.appendingPathComponent("out")
    try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
    try Data().write(to: out.appendingPathComponent("\(runs[1].id).h5"))

    let result = try runTool(binary, ["plan", "good.yaml", "--out", "out", "--code-version", "cli-test"], in: folder)
    #expect(result.status == 0)
    let lines = result.stdout.split(separator: "\n").map(String.init)
    #expect(lines.count == 7, "\(result.stdout)")
    #expect(lines[0] == "cli: 2 runs, code cli-test")
    #expect(lines[1] == "results in out/")
    #expect(lines[3].contains(runs[0].id) && lines[3].contains(" new ") && lines[3].hasSuffix("cells=1"))
    #expect(lines[4].contains(runs[1].id) && lines[4].contains(" done ") && lines[4].hasSuffix("cells=2"))
    #expect(lines[5].hasPrefix("total: 1 new, 0 partial, 0 running, 1 done; 4 steps"))
    #expect(lines[6].hasPrefix("  (times: the cost table x") && lines[6].hasSuffix("for this machine, from a 0.3 s speed probe)"))
    // Without the probe, the table's own times and no factor line.
    let unscaled = try runTool(binary, ["plan", "good.yaml", "--out", "out", "--code-version", "cli-test", "--no-speed-probe"],
                               in: folder)
    let unscaledLines = unscaled.stdout.split(separator: "\n").map(String.init)
    #expect(unscaledLines.count == 6 && unscaledLines.prefix(3) == lines.prefix(3), "\(unscaled.stdout)")
    #expect(unscaledLines.last?.hasPrefix("total: 1 new, 0 partial, 0 running, 1 done; 4 steps") == true)

    try Data().write(to: out.appendingPathComponent("\(runs[0].id).ckpt"))
    let again = try runTool(binary, ["plan", "good.yaml", "--out", "out", "--code-version", "cli-test"], in: folder)
    #expect(again.stdout.split(separator: "\n")[3].contains(" partial "))
}

@Test func listShowsEachManifestWithItsOwnDescription() throws {
    let binary = try wiringlabBinary()
    let folder = try temporaryFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    try goodManifest.write(to: folder.appendingPathComponent("b.yaml"), atomically: true, encoding: .utf8)
    try "include: b.yaml\nname: a\n".write(to: folder.appendingPathComponent("a.yaml"), atomically: true, encoding: .utf8)
    let result = try runTool(binary, ["list", "--directory", folder.path])
    #expect(result.status == 0)
    #expect(result.stdout == "a.yaml\nb.yaml  A manifest for the CLI test.\n")
}
