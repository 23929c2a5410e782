// Other readers and writers: Debian's h5py (run as /usr/bin/python3) reads a file we wrote, dimension names
// included, and we read a file h5py wrote (variable-length strings, gzip + shuffle chunks, unsigned ints). xarray
// opens our file with named dimensions. Each test is skipped, with the reason, when its Python module is missing.

import Foundation
import Testing
@testable import WiringResults

enum Python {
    static let executable = "/usr/bin/python3"

    /// Runs `script` with `arguments`; returns stdout, or throws with stderr when it fails.
    static func run(_ script: String, _ arguments: [String] = []) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["-c", script] + arguments
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let stdout = output.fileHandleForReading.readDataToEndOfFile()
        let stderr = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw PythonFailure(message: String(decoding: stderr, as: UTF8.self))
        }
        return String(decoding: stdout, as: UTF8.self)
    }

    /// Whether `/usr/bin/python3 -c "import <module>"` succeeds (`module` may list several: "xarray, h5netcdf").
    static func has(_ module: String) -> Bool {
        FileManager.default.isExecutableFile(atPath: executable) && (try? run("import \(module)")) != nil
    }

    /// Runs `script` and decodes its stdout as one JSON object.
    static func json(_ script: String, _ arguments: [String]) throws -> [String: Any] {
        let text = try run(script, arguments)
        return try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] ?? [:]
    }

    struct PythonFailure: Error, CustomStringConvertible {
        let message: String
        var description: String { "python3 failed: \(message)" }
    }
}

@Suite struct InteropTests {
    /// A small results file with the features other readers must understand.
    static func writeSample(_ path: String) throws {
        let writer = try HDF5File(creating: path)
        try writer.root.setAttribute("title", "interop sample")
        let config = try writer.root.createGroup("config")
        try config.setAttribute("method", "DSNAS")
        try config.setAttribute("cells", 2)
        try config.setAttribute("bn_eps", 1e-5)
        try config.setAttribute("op_names", ["none", "skip_connect"])
        try writer.root.write("op_names", strings: ["none", "skip_connect"])
        let outputs = try writer.root.createGroup("outputs")
        try outputs.write("edge_cost", [0.5, -1.25, 2, 0, 3, 4.75, -8, 1e-3, 9, 10], shape: [2, 5],
                          dimensions: ["cell", "edge"])
        try outputs.write("logits", (0..<2048).map { Float($0) / 8 }, shape: [2, 1024], dimensions: ["cell", "batch"])
        try outputs.write("loss", scalar: 2.25)
        try writer.commit()
    }

    @Test(.enabled(if: Python.has("h5py"), "/usr/bin/python3 cannot import h5py"))
    func h5pyReadsOurFileIncludingDimensionNames() throws {
        let folder = try TestFiles.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("ours.h5").path
        try Self.writeSample(path)
        let script = """
            import h5py, json, sys
            f = h5py.File(sys.argv[1], "r")
            d = f["outputs/edge_cost"]
            text = lambda v: v.decode() if isinstance(v, bytes) else str(v)
            print(json.dumps({
                "edge_cost": d[()].tolist(), "dtype": str(d.dtype), "shape": list(d.shape),
                "labels": [d.dims[i].label for i in range(d.ndim)],
                "scales": [[s.name for s in d.dims[i].values()] for i in range(d.ndim)],
                "cell_is_scale": bool(h5py.h5ds.is_scale(f["outputs/cell"].id)),
                "cell": f["outputs/cell"][()].tolist(),
                "logits_sum": float(f["outputs/logits"][()].astype("f8").sum()),
                "logits_compression": f["outputs/logits"].compression,
                "logits_shuffle": bool(f["outputs/logits"].shuffle),
                "loss": float(f["outputs/loss"][()]),
                "op_names": [text(x) for x in f["op_names"][()]],
                "method": text(f["config"].attrs["method"]),
                "cells": int(f["config"].attrs["cells"]),
                "bn_eps": float(f["config"].attrs["bn_eps"]),
                "attr_op_names": [text(x) for x in f["config"].attrs["op_names"]],
                "title": text(f.attrs["title"]),
            }))
            """
        let seen = try Python.json(script, [path])
        #expect(seen["edge_cost"] as? [[Double]] == [[0.5, -1.25, 2, 0, 3], [4.75, -8, 1e-3, 9, 10]])
        #expect(seen["dtype"] as? String == "float64")
        #expect(seen["shape"] as? [Int] == [2, 5])
        #expect(seen["labels"] as? [String] == ["cell", "edge"])
        #expect(seen["scales"] as? [[String]] == [["/outputs/cell"], ["/outputs/edge"]])
        #expect(seen["cell_is_scale"] as? Bool == true)
        #expect(seen["cell"] as? [Int] == [0, 1])
        #expect(seen["logits_sum"] as? Double == (0..<2048).reduce(0.0) { $0 + Double($1) / 8 })
        #expect(seen["logits_compression"] as? String == "gzip")
        #expect(seen["logits_shuffle"] as? Bool == true)
        #expect(seen["loss"] as? Double == 2.25)
        #expect(seen["op_names"] as? [String] == ["none", "skip_connect"])
        #expect(seen["method"] as? String == "DSNAS")
        #expect(seen["cells"] as? Int == 2)
        #expect(seen["bn_eps"] as? Double == 1e-5)
        #expect(seen["attr_op_names"] as? [String] == ["none", "skip_connect"])
        #expect(seen["title"] as? String == "interop sample")
    }

    @Test(.enabled(if: Python.has("h5py"), "/usr/bin/python3 cannot import h5py"))
    func weReadAFileH5pyWrote() throws {
        let folder = try TestFiles.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("theirs.h5").path
        _ = try Python.run("""
            import h5py, numpy as np, sys
            with h5py.File(sys.argv[1], "w") as f:
                f.attrs["note"] = "variable-length ünïcode"
                f.attrs["flags"] = np.array([1, 0], dtype=np.int8)
                f.create_dataset("x", data=np.arange(6, dtype="<f8").reshape(2, 3) * 0.5,
                                 compression="gzip", shuffle=True, chunks=(1, 3))
                f.create_dataset("names", data=["alpha", "beta"], dtype=h5py.string_dtype())
                f.create_dataset("u8", data=np.array([1, 2, 250], dtype=np.uint8))
                f.create_dataset("flag", data=True)
            """, [path])
        let file = try HDF5File(reading: path)
        #expect(try file.root.stringAttribute("note") == "variable-length ünïcode")
        #expect(try file.root.attributeArray("flags", as: Int.self).values == [1, 0])
        #expect(try file.dataset("x").read(Double.self) == HDF5Array(shape: [2, 3], values: [0, 0.5, 1, 1.5, 2, 2.5]))
        #expect(try file.dataset("names").storedType == .string(length: nil))
        #expect(try file.dataset("names").readStrings().values == ["alpha", "beta"])
        #expect(try file.dataset("u8").storedType == .integer(bytes: 1, signed: false))
        #expect(try file.dataset("u8").read(Int.self).values == [1, 2, 250])
        #expect(throws: ResultsError.typeMismatch(file: path, path: "/u8", stored: "uint8 with values out of range",
                                                  requested: "int8")) { try file.dataset("u8").read(Int8.self) }
        // numpy bools are HDF5 enums, which WiringResults does not read: a clear error, not a crash.
        #expect(throws: ResultsError.typeMismatch(file: path, path: "/flag", stored: "enum", requested: "int64")) {
            try file.dataset("flag").read(Int.self)
        }
    }

    @Test(.enabled(if: Python.has("xarray, h5netcdf"), "/usr/bin/python3 cannot import xarray and h5netcdf"))
    func xarrayOpensOurFileWithNamedDimensions() throws {
        let folder = try TestFiles.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("ours.h5").path
        try Self.writeSample(path)
        let seen = try Python.json("""
            import json, sys, xarray as xr
            ds = xr.open_dataset(sys.argv[1], group="outputs", engine="h5netcdf")
            print(json.dumps({"dims": list(ds["edge_cost"].dims), "all": sorted(ds.sizes)}))
            """, [path])
        #expect(seen["dims"] as? [String] == ["cell", "edge"])
        #expect((seen["all"] as? [String])?.contains { $0.hasPrefix("phony_dim") } == false)
    }
}
