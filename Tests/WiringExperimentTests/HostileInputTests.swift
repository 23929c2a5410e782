// The hostile-input corpus through the built binary: numbers that would overflow or exhaust memory,
// YAML alias bombs, deep nesting, overlong strings, a data set smaller than asked for, results that
// cannot be written. Each must end with exit code 2, exactly one line on stderr naming the key or
// the file, and no result file: before any work, never a trap, a hang or a half-written result.
import Foundation
import Testing
@testable import WiringCluster
@testable import WiringExperiment
@testable import WiringReport
@testable import WiringRun
@testable import WiringSpec

/// One hostile input: a manifest (with `$DIR` standing for its folder), overrides, and what the line must name.
struct HostileCase: CustomTestStringConvertible, Sendable {
    let id: String
    let yaml: String
    let overrides: [String]
    let mentions: String
    /// Run in a folder prepared by this (e.g. a small fake data set, a file where the results go).
    let prepare: @Sendable (URL) throws -> Void

    init(_ id: String, _ yaml: String, overrides: [String] = [], mentions: String,
         prepare: @escaping @Sendable (URL) throws -> Void = { _ in }) {
        (self.id, self.yaml, self.overrides, self.mentions, self.prepare) = (id, yaml, overrides, mentions, prepare)
    }

    var testDescription: String { id }
}

/// A small manifest on synthetic data that would run in a second.
let hostileBase = """
    name: hostile
    data: {dataset: synthetic, synthetic: {count: 16, size: 8, channels: 3, classes: 4}, batch_size: 8}
    network: {channels: 4}
    phases: [{kind: probe, batches: 2}]
    """

/// Writes an uncompressed Fashion-MNIST-shaped idx pair with `count` images into `folder`.
func writeFakeFashionMNIST(_ folder: URL, count: Int) throws {
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    func bigEndian(_ v: Int) -> [UInt8] { [UInt8(v >> 24 & 255), UInt8(v >> 16 & 255), UInt8(v >> 8 & 255), UInt8(v & 255)] }
    let images = [0, 0, 8, 3] + bigEndian(count) + bigEndian(28) + bigEndian(28)
        + (0..<(count * 28 * 28)).map { UInt8(truncatingIfNeeded: $0 * 7) }
    let labels = [0, 0, 8, 1] + bigEndian(count) + (0..<count).map { UInt8($0 % 10) }
    try Data(images).write(to: folder.appendingPathComponent("train-images-idx3-ubyte"))
    try Data(labels).write(to: folder.appendingPathComponent("train-labels-idx1-ubyte"))
}

let hostileCases: [HostileCase] = [
    HostileCase("seed overflows with replicates", hostileBase + "\nreplicates: 2\n",
                overrides: ["seed=9223372036854775807"], mentions: "seed"),
    HostileCase("epochs near Int.max", hostileBase, overrides: ["phases.0={kind: train, epochs: 9223372036854775807}"],
                mentions: "phases.0.epochs"),
    HostileCase("batches near Int.max", hostileBase, overrides: ["phases.0.batches=9223372036854775807"],
                mentions: "phases.0.batches"),
    HostileCase("batch size near Int.max", hostileBase, overrides: ["data.batch_size=9223372036854775807"],
                mentions: "data.batch_size"),
    HostileCase("stem multiplier near Int.max", hostileBase, overrides: ["network.stem_multiplier=9223372036854775807"],
                mentions: "network.stem_multiplier"),
    HostileCase("synthetic size near Int.max", hostileBase, overrides: ["data.synthetic.size=9223372036854775807"],
                mentions: "data.synthetic.size"),
    HostileCase("a million cells", hostileBase, overrides: ["network.cells=1000000"], mentions: "network.cells"),
    HostileCase("a billion channels", hostileBase, overrides: ["network.channels=1000000000"], mentions: "network.channels"),
    HostileCase("too many parameters within each bound", hostileBase,
                overrides: ["network.channels=4096", "network.cells=64"], mentions: "parameters"),
    HostileCase("a tensor larger than memory", hostileBase,
                overrides: ["data.synthetic.size=1024", "data.batch_size=65536"], mentions: "data.batch_size"),
    HostileCase("a step log larger than memory", hostileBase,
                overrides: ["phases.0.batches=1000000000", "network.cell=original", "network.cells=64"], mentions: "phases"),
    HostileCase("a grid of 35.8 million points", hostileBase + """

        grid:
          seed: [\((0..<60).map(String.init).joined(separator: ", "))]
          data.batch_size: [\((1...60).map(String.init).joined(separator: ", "))]
          network.channels: [\((1...60).map(String.init).joined(separator: ", "))]
          network.cells: [\((1...60).map(String.init).joined(separator: ", "))]
          phases.0.batches: [1, 2]
        """, mentions: "grid"),
    HostileCase("an alias bomb", """
        name: bomb
        a: &a [x, x, x, x, x, x, x, x, x, x]
        b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]
        c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]
        d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]
        e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]
        f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]
        g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]
        h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g, *g]
        i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h, *h]
        phases: [{kind: probe}]
        """, mentions: "aliases"),
    HostileCase("nesting 200 deep", hostileBase + "\nrecord: " + String(repeating: "[", count: 200)
                    + String(repeating: "]", count: 200) + "\n", mentions: "deep"),
    HostileCase("a 70,000-character description", hostileBase.replacingOccurrences(
        of: "name: hostile", with: "name: hostile\ndescription: \"" + String(repeating: "x", count: 70_000) + "\""),
                mentions: "description"),
    HostileCase("a data set smaller than train_size", """
        name: small
        data: {dataset: fashion-mnist, root: $DIR/fmnist, train_size: 512, batch_size: 8}
        network: {channels: 4}
        phases: [{kind: probe, batches: 1}]
        """, mentions: "data.train_size", prepare: { try writeFakeFashionMNIST($0.appendingPathComponent("fmnist"), count: 100) }),
    HostileCase("an idx header with huge dimensions", """
        name: huge
        data: {dataset: fashion-mnist, root: $DIR/fmnist, batch_size: 8}
        network: {channels: 4}
        phases: [{kind: probe, batches: 1}]
        """, mentions: "idx", prepare: { dir in
            let folder = dir.appendingPathComponent("fmnist")
            try writeFakeFashionMNIST(folder, count: 10)
            let header: [UInt8] = [0, 0, 8, 3, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255]
            try Data(header + [1, 2, 3]).write(to: folder.appendingPathComponent("train-images-idx3-ubyte"))
        }),
    HostileCase("the results folder is a file", hostileBase, mentions: "cannot", prepare: { dir in
        try Data("not a folder".utf8).write(to: dir.appendingPathComponent("out"))
    }),
]

@Suite(.serialized) struct HostileInputTests {
    @Test(arguments: hostileCases)
    func hostileInputGivesOneLineAndExitTwo(_ c: HostileCase) throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("wiringlab-hostile-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try c.prepare(dir)
        let manifest = dir.appendingPathComponent("m.yaml")
        try c.yaml.replacingOccurrences(of: "$DIR", with: dir.path).write(to: manifest, atomically: true, encoding: .utf8)
        let out = dir.appendingPathComponent("out").path
        let started = Date()
        let result = try runTool(try wiringlabBinary(), ["run", manifest.path] + c.overrides + ["--out", out, "--quiet"])
        #expect(Date().timeIntervalSince(started) < 30, "took \(Date().timeIntervalSince(started)) s")
        #expect(result.status == 2, "exit \(result.status): \(result.stderr)")
        let lines = result.stderr.split(separator: "\n", omittingEmptySubsequences: true)
        #expect(lines.count == 1, "\(result.stderr)")
        #expect(result.stderr.contains(c.mentions), "\(result.stderr)")
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: out, isDirectory: &isFolder), isFolder.boolValue {
            let files = try FileManager.default.contentsOfDirectory(atPath: out)
            #expect(!files.contains { $0.hasSuffix(".h5") || $0.hasSuffix(".partial") }, "\(files)")
        }
    }
}
