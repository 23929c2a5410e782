// Where a run's images come from follows the documented rule (data.root, then WIRINGLAB_DATA, then the
// system folder), `~` is the home folder, and the result file says which folder and which bytes were used.
import Foundation
import Testing
import WiringResults
@testable import WiringCluster
@testable import WiringExperiment
@testable import WiringReport
@testable import WiringRun
@testable import WiringSpec

@Test func fashionMNISTIsReadFromWIRINGLAB_DATAAndTheResultRecordsIt() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("wiringlab-data-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: dir) }
    try writeFakeFashionMNIST(dir.appendingPathComponent("fashion-mnist"), count: 40)
    let manifest = dir.appendingPathComponent("m.yaml")
    try """
        name: env
        data: {dataset: fashion-mnist, train_size: 40, batch_size: 8}
        network: {channels: 4}
        phases: [{kind: probe, batches: 2}]
        """.write(to: manifest, atomically: true, encoding: .utf8)
    let out = dir.appendingPathComponent("out")
    let result = try runTool(try wiringlabBinary(), ["run", manifest.path, "--out", out.path, "--quiet"],
                             environment: ["WIRINGLAB_DATA": dir.path])
    #expect(result.status == 0, "\(result.stderr)")
    let name = try #require(try FileManager.default.contentsOfDirectory(atPath: out.path).first { $0.hasSuffix(".h5") })
    let file = try HDF5File(reading: out.appendingPathComponent(name).path)
    defer { file.close() }
    #expect(try file.root.stringAttribute("data_root") == dir.appendingPathComponent("fashion-mnist").path)
    #expect(try file.root.stringAttribute("data_sha256").count == 64)

    // The same folder named with ~ (HOME pointed at its parent) is the same data set.
    let home = try runTool(try wiringlabBinary(), ["run", manifest.path, "data.root=~/fashion-mnist", "--out",
                                                  dir.appendingPathComponent("out2").path, "--quiet"],
                           environment: ["HOME": dir.path, "WIRINGLAB_DATA": "/nonexistent"])
    #expect(home.status == 0, "\(home.stderr)")
}
