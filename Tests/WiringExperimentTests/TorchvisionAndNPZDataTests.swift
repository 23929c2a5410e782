// A manifest with `data.dataset: cifar10` runs on a folder holding only torchvision's `cifar-10-batches-py/`
// (pickled by Python itself), one with `data.dataset: npz` on a file saved by numpy.savez, and one with
// `cifar100` on `cifar-100-python/`; each result records the folder or file and the SHA-256 of the training
// split, which Python computes from the arrays it wrote (and, for npz, NumPy's channel statistics).
// Skipped, saying why, when /usr/bin/python3 cannot import numpy.
import Foundation
import Testing
import WiringResults
@testable import WiringCluster
@testable import WiringExperiment
@testable import WiringReport
@testable import WiringRun
@testable import WiringSpec

@Suite(.enabled(if: pythonCanImport("numpy"), "/usr/bin/python3 cannot import numpy (apt-get install python3-numpy)"))
struct TorchvisionAndNPZDataTests {
    /// Runs Python `source` with `arguments` in `folder`; returns its standard output.
    private func python(_ source: String, _ arguments: [String] = [], in folder: URL) throws -> String {
        let result = try runTool("/usr/bin/python3", ["-c", source] + arguments, in: folder)
        try #require(result.status == 0, "\(result.stderr)")
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Runs `manifest` and returns the result file's root attributes we check, and the resolved config.
    private func run(_ manifest: String, in folder: URL, environment: [String: String] = [:])
        throws -> (root: String, sha256: String, mean: [Double], std: [Double], config: String) {
        let file = folder.appendingPathComponent("m.yaml")
        try manifest.write(to: file, atomically: true, encoding: .utf8)
        let out = folder.appendingPathComponent("out")
        let result = try runTool(try wiringlabBinary(), ["run", file.path, "--out", out.path, "--quiet"], in: folder,
                                 environment: environment)
        try #require(result.status == 0, "\(result.stderr)")
        let name = try #require(try FileManager.default.contentsOfDirectory(atPath: out.path).first { $0.hasSuffix(".h5") })
        let h5 = try HDF5File(reading: out.appendingPathComponent(name).path)
        defer { h5.close() }
        func reals(_ attribute: String) throws -> [Double] {
            guard case let .real(array) = try h5.root.attributeValue(attribute) else { return [] }
            return array.values
        }
        return (try h5.root.stringAttribute("data_root"), try h5.root.stringAttribute("data_sha256"),
                try reals("data_mean"), try reals("data_std"), try h5.root.stringAttribute("config"))
    }

    private func temporaryFolder() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("wiringlab-data36-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test func cifar10ManifestRunsOnTorchvisionsPickledFolderAlone() throws {
        let dir = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        // torchvision's layout, pickled by Python at its default protocol; prints the SHA-256 of the training
        // split as WiringLab records it (all pixels in file order, then one byte per label).
        let sha = try python("""
            import numpy as np, pickle, os, hashlib
            rng = np.random.default_rng(3)
            os.makedirs('data/cifar-10-batches-py')
            pixels, labels = b'', []
            for name in ['data_batch_%d' % i for i in range(1, 6)] + ['test_batch']:
                data = rng.integers(0, 256, size=(4, 3072), dtype=np.uint8)
                y = [int(v) for v in rng.integers(0, 10, size=4)]
                pickle.dump({b'batch_label': name.encode(), b'labels': y, b'data': data,
                             b'filenames': [b'x.png'] * 4}, open('data/cifar-10-batches-py/' + name, 'wb'))
                if name != 'test_batch':
                    pixels += data.tobytes(); labels += y
            print(hashlib.sha256(pixels + bytes(labels)).hexdigest())
            """, in: dir)
        let result = try run("""
            name: torchvision
            data: {dataset: cifar10, root: data, train_size: 16, test_size: 4, batch_size: 8}
            network: {channels: 4}
            phases: [{kind: probe, batches: 2}]
            """, in: dir)
        #expect(result.root == "data")
        #expect(result.sha256 == sha)
        #expect(result.mean == [0.49139968, 0.48215827, 0.44653124])
    }

    @Test func cifar100CoarseLabelsRunOnTheTorchvisionFolder() throws {
        let dir = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let sha = try python("""
            import numpy as np, pickle, os, hashlib
            rng = np.random.default_rng(4)
            os.makedirs('d/cifar-100-python')
            for name, n in [('train', 12), ('test', 4)]:
                data = rng.integers(0, 256, size=(n, 3072), dtype=np.uint8)
                fine = [int(v) for v in rng.integers(0, 100, size=n)]
                coarse = [int(v) for v in rng.integers(0, 20, size=n)]
                pickle.dump({b'filenames': [b'x.png'] * n, b'batch_label': b'x', b'fine_labels': fine,
                             b'coarse_labels': coarse, b'data': data}, open('d/cifar-100-python/' + name, 'wb'), protocol=2)
                if name == 'train': print(hashlib.sha256(data.tobytes() + bytes(coarse)).hexdigest())
            """, in: dir)
        let manifest = """
            name: coarse
            data: {dataset: cifar100, labels: coarse, train_size: 8, batch_size: 4}
            network: {channels: 4}
            phases: [{kind: probe, batches: 1}]
            """
        let result = try run(manifest, in: dir, environment: ["WIRINGLAB_DATA": dir.appendingPathComponent("d").path])
        #expect(result.sha256 == sha)
        #expect(result.config.contains("\"labels\": \"coarse\""), "\(result.config)")
        // The stored configuration holds the manifest's keys; the classes follow from them.
        #expect(try Manifest(yaml: manifest, file: "coarse.yaml").plan(codeVersion: "t").runs[0].config.network.numClasses == 20)
    }

    @Test func npzManifestTakesShapeClassesAndStatisticsFromTheFile() throws {
        let dir = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        // 20 NHWC training images 8x8x3 of 5 classes, saved compressed; prints the SHA-256 of the CHW training
        // split and labels, then NumPy's per-channel mean and population std of the training images / 255.
        let printed = try python("""
            import numpy as np, hashlib
            rng = np.random.default_rng(5)
            x = rng.integers(0, 256, size=(20, 8, 8, 3), dtype=np.uint8)
            y = rng.integers(0, 5, size=20); y[0] = 4
            np.savez_compressed('set.npz', x_train=x, y_train=y, x_test=x[:6], y_test=y[:6])
            chw = x.transpose(0, 3, 1, 2)
            print(hashlib.sha256(chw.tobytes() + bytes(y.astype(np.uint8))).hexdigest())
            s = chw / 255.0
            print(' '.join(repr(float(v)) for v in list(s.mean(axis=(0, 2, 3))) + list(s.std(axis=(0, 2, 3)))))
            """, in: dir).split(separator: "\n")
        let result = try run("""
            name: npz
            data: {dataset: npz, path: set.npz, batch_size: 5}
            network: {channels: 4}
            phases: [{kind: probe, batches: 2}]
            """, in: dir)
        #expect(result.root == "set.npz")
        #expect(result.sha256 == String(printed[0]))
        let statistics = printed[1].split(separator: " ").map { Double($0)! }
        for c in 0..<3 {
            #expect(abs(result.mean[c] - statistics[c]) < 1e-12)
            #expect(abs(result.std[c] - statistics[3 + c]) < 1e-12)
        }
        #expect(result.config.contains("\"path\": \"set.npz\""), "\(result.config)")
        // The stored configuration holds the manifest's keys; the shape and classes are read from the file.
        let network = try Manifest(yaml: """
            name: npz
            data: {dataset: npz, path: \(dir.appendingPathComponent("set.npz").path), batch_size: 5}
            phases: [{kind: probe, batches: 2}]
            """, file: "npz.yaml").plan(codeVersion: "t").runs[0].config.network
        #expect(network.numClasses == 5 && network.inputChannels == 3)
    }

    @Test func npzManifestWithABadFileIsOneLineExitTwo() throws {
        let dir = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        _ = try python("""
            import numpy as np
            np.savez('bad.npz', x_train=np.zeros((4, 8, 8, 3), np.uint8), y_train=np.array([0, 1, 2]),
                     x_test=np.zeros((2, 8, 8, 3), np.uint8), y_test=np.array([0, 1]))
            """, in: dir)
        let file = dir.appendingPathComponent("m.yaml")
        try """
            name: bad
            data: {dataset: npz, path: bad.npz}
            phases: [{kind: probe, batches: 1}]
            """.write(to: file, atomically: true, encoding: .utf8)
        let result = try runTool(try wiringlabBinary(), ["plan", file.path], in: dir)
        #expect(result.status == 2)
        #expect(result.stderr.trimmingCharacters(in: .whitespacesAndNewlines) == "\(file.path):2: data.path: expected a NumPy .npz"
            + " holding x_train, y_train, x_test, y_test, got bad.npz: y_train: 3 labels for 4 images in x_train; store one label per image")
    }
}
