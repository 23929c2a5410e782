// The manifest keys of the data sets added with torchvision's folders and .npz files: CIFAR-100's
// `labels` sets the class count, `path` names an .npz whose shape and classes size the network, and
// neither key appears in the run ids of the other data sets (so earlier results keep their ids).
import Foundation
import Testing
@testable import WiringCluster
@testable import WiringExperiment
@testable import WiringReport
@testable import WiringRun
@testable import WiringSpec

private func plan(_ data: String, in folder: String = FileManager.default.currentDirectoryPath) throws -> ExperimentPlan {
    try Manifest(yaml: "name: d\ndata: \(data)\nphases: [{kind: probe, batches: 1}]", file: "d.yaml").plan(codeVersion: "x")
}

private func dataKeys(_ config: RunConfig) throws -> Set<String> {
    let json = try JSONSerialization.jsonObject(with: config.canonicalJSON) as! [String: Any]
    return Set((json["data"] as! [String: Any]).keys)
}

@Test func otherDataSetsCarryNoNewKeysIntoTheirRunIDs() throws {
    for data in ["{dataset: fashion-mnist}", "{dataset: cifar10, labels: coarse, path: x.npz}", "{dataset: synthetic}"] {
        let keys = try dataKeys(try plan(data).runs[0].config)
        #expect(keys.isDisjoint(with: ["labels", "path", "npzShape"]), "\(data): \(keys)")
    }
}

@Test func cifar100LabelsSetTheClassCount() throws {
    #expect(try plan("{dataset: cifar100}").runs[0].config.network.numClasses == 100)
    #expect(try plan("{dataset: cifar100, labels: coarse}").runs[0].config.network.numClasses == 20)
    let coarse = try plan("{dataset: cifar100, labels: coarse}").runs[0], fine = try plan("{dataset: cifar100}").runs[0]
    #expect(coarse.id != fine.id)
    #expect(try plan("{dataset: cifar100}").runs[0].config.data.maximumTrainSize == 50000)
}

@Test func badLabelsAndAMissingPathAreOneLine() {
    let labels = #expect(throws: ManifestError.self) { try plan("{dataset: cifar100, labels: medium}") }
    #expect(labels?.description == "d.yaml:2: data.labels: expected one of fine, coarse, got 'medium'")
    let path = #expect(throws: ManifestError.self) { try plan("{dataset: npz}") }
    #expect(path?.description == "d.yaml:2: data.path: expected the .npz file of dataset npz, got nothing")
    let missing = #expect(throws: ManifestError.self) { try plan("{dataset: npz, path: /nonexistent/x.npz}") }
    #expect(missing?.description == "d.yaml:2: data.path: expected a NumPy .npz holding x_train, y_train, x_test, y_test, got"
        + " /nonexistent/x.npz: not found; check data.path (a NumPy .npz holding x_train, y_train, x_test, y_test)")
}

@Test(.enabled(if: pythonCanImport("numpy"), "/usr/bin/python3 cannot import numpy"))
func npzShapeSizesTheNetworkAndAGridOverPathsGivesDistinctRuns() throws {
    let folder = temporaryFolder("npz-keys")
    defer { try? FileManager.default.removeItem(at: folder) }
    let result = try runProcess("/usr/bin/python3", ["-c", """
        import numpy as np
        np.savez('\(folder.path)/a.npz', x_train=np.zeros((30, 12, 12), np.uint8), y_train=np.arange(30) % 4,
                 x_test=np.zeros((7, 12, 12), np.uint8), y_test=np.arange(7) % 4)
        np.savez('\(folder.path)/b.npz', x_train=np.zeros((30, 3, 12, 12), np.float32), y_train=np.arange(30) % 6,
                 x_test=np.zeros((9, 3, 12, 12), np.float32), y_test=np.arange(9) % 6)
        """])
    try #require(result.status == 0, "\(result.text)")
    let a = try plan("{dataset: npz, path: \(folder.path)/a.npz}").runs[0].config
    #expect((a.network.inputChannels, a.network.numClasses, a.data.imageSize) == (1, 4, 12))
    #expect((a.data.trainSize, a.data.testSize) == (30, 7))
    let tooMany = #expect(throws: ManifestError.self) { try plan("{dataset: npz, path: \(folder.path)/a.npz, train_size: 31}") }
    #expect(tooMany?.description == "d.yaml:2: data.train_size: expected an integer in 1...30, got 31")
    let grid = try Manifest(yaml: """
        name: g
        data: {dataset: npz}
        grid: {data.path: [\(folder.path)/a.npz, \(folder.path)/b.npz]}
        phases: [{kind: probe, batches: 1}]
        """, file: "g.yaml").plan(codeVersion: "x")
    #expect(grid.runs.count == 2 && grid.runs[0].id != grid.runs[1].id)
    #expect(grid.runs.map(\.config.network.numClasses) == [4, 6])
    #expect(grid.runs.map(\.config.network.inputChannels) == [1, 3])

    // The file changes between checking and running: the run refuses it instead of building a wrong network.
    let planned = try plan("{dataset: npz, path: \(folder.path)/a.npz}")
    try FileManager.default.removeItem(atPath: folder.path + "/a.npz")
    try FileManager.default.copyItem(atPath: folder.path + "/b.npz", toPath: folder.path + "/a.npz")
    let changed = #expect(throws: (any Error).self) {
        _ = try executeRun(planned.runs[0], plan: planned, options: RunOptions(outFolder: folder.appendingPathComponent("out")))
    }
    #expect("\(changed.map { "\($0)" } ?? "")" == "\(folder.path)/a.npz: changed since the manifest was checked (now 30 + 9 images"
        + " of 3x12x12, 6 classes); start the run again")
}
