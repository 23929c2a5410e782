// Writing then reading back: every element type, shapes from scalar to 3-D, strings, attributes on the file, a group
// and a dataset, and the contiguous/compressed layout policy. The oracle is the data we wrote.

import Foundation
import Testing
@testable import WiringResults

@Suite struct RoundTripTests {
    /// Writes `values` under `name` with `shape` into a fresh committed file and reads it back.
    func roundTrip<T: HDF5Element & Equatable>(_ values: [T], shape: [Int]) throws -> HDF5Array<T> {
        let folder = try TestFiles.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("t.h5").path
        let writer = try HDF5File(creating: path)
        try writer.root.write("data", values, shape: shape)
        try writer.commit()
        return try HDF5File(reading: path).dataset("data").read(T.self)
    }

    @Test(arguments: [[], [1], [5], [2, 3], [2, 1, 3], [0], [3, 0]])
    func everyTypeRoundTripsWithItsShape(shape: [Int]) throws {
        let count = shape.reduce(1, *)
        let doubles = (0..<count).map { Double($0) * 0.37 - 1.5 }
        #expect(try roundTrip(doubles, shape: shape) == HDF5Array(shape: shape, values: doubles))
        let floats = doubles.map { Float($0) }
        #expect(try roundTrip(floats, shape: shape) == HDF5Array(shape: shape, values: floats))
        let int8s = (0..<count).map { Int8($0 % 200 - 100) }
        #expect(try roundTrip(int8s, shape: shape) == HDF5Array(shape: shape, values: int8s))
        let int32s = (0..<count).map { Int32($0) * -70_001 }
        #expect(try roundTrip(int32s, shape: shape) == HDF5Array(shape: shape, values: int32s))
        let int64s = (0..<count).map { Int64($0) * 3_000_000_000_017 }
        #expect(try roundTrip(int64s, shape: shape) == HDF5Array(shape: shape, values: int64s))
        let ints = (0..<count).map { -$0 * 1_000_003 }
        #expect(try roundTrip(ints, shape: shape) == HDF5Array(shape: shape, values: ints))
    }

    @Test func extremeValuesSurvive() throws {
        let doubles = [Double.greatestFiniteMagnitude, -.leastNonzeroMagnitude, .infinity, -0.0, 1e-300]
        #expect(try roundTrip(doubles, shape: [5]).values == doubles)
        #expect(try roundTrip([Double.nan], shape: []).values[0].isNaN)
        let int64s = [Int64.min, Int64.max, 0]
        #expect(try roundTrip(int64s, shape: [3]).values == int64s)
    }

    @Test func largeDatasetsAreChunkedWithShuffleDeflateAndChecksumSmallOnesContiguous() throws {
        let folder = try TestFiles.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("layout.h5").path
        let writer = try HDF5File(creating: path)
        let big: [Float] = (0..<(4 * 300 * 300)).map { i in Float((i * 7919) % 1000) / 7 }
        try writer.root.write("big", big, shape: [4, 300, 300])
        try writer.root.write("small", [Double](repeating: 1, count: 1023), shape: [1023])
        try writer.commit()
        let file = try HDF5File(reading: path)
        let storage = try file.dataset("big").storage
        #expect(storage.filters == ["shuffle", "deflate", "fletcher32"])
        // 4·300·300 float32 = 1.44 MB: halving the outer axis once brings a chunk under 1 MiB.
        #expect(storage.chunks == [2, 300, 300])
        #expect(try file.dataset("big").read(Float.self).values == big)
        #expect(try file.dataset("small").storage == HDF5Storage(chunks: nil, filters: []))
    }

    @Test func chunkShapeHalvesOuterAxesUntilAChunkFitsInOneMebibyte() {
        #expect(HDF5Group.chunkShape([2048], elementBytes: 8) == [2048])
        #expect(HDF5Group.chunkShape([1 << 20], elementBytes: 4) == [1 << 18])
        // 3 → 2 → 1 on axis 1 (still 8 MiB), then 1024 → 512 → 256 → 128 on axis 2: 128·1024·8 B = 1 MiB.
        #expect(HDF5Group.chunkShape([1, 3, 1024, 1024], elementBytes: 8) == [1, 1, 128, 1024])
    }

    @Test func stringDatasetsRoundTripIncludingEmptyAndUnicode() throws {
        let folder = try TestFiles.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("s.h5").path
        let writer = try HDF5File(creating: path)
        let ops = ["none", "skip_connect", "", "sep_conv_5x5"]
        try writer.root.write("op_names", strings: ops)
        try writer.root.write("grid", strings: ["a", "bb", "ccc", "dddd", "e", "ff"], shape: [2, 3])
        try writer.root.write("unicode", strings: ["σ", "ε = 1e-5"])
        try writer.commit()
        let file = try HDF5File(reading: path)
        #expect(try file.dataset("op_names").storedType == .string(length: nil))  // variable-length UTF-8, what netCDF-C reads
        #expect(try file.dataset("op_names").readStrings() == HDF5Array(ops))
        #expect(try file.dataset("grid").readStrings().shape == [2, 3])
        #expect(try file.dataset("grid").readStrings().values[5] == "ff")
        #expect(try file.dataset("unicode").readStrings().values == ["σ", "ε = 1e-5"])
    }

    @Test func attributesOfEveryKindOnFileGroupAndDataset() throws {
        let folder = try TestFiles.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("a.h5").path
        let writer = try HDF5File(creating: path)
        let config = try writer.root.createGroup("config")
        let data = try writer.root.write("outputs/logits", [Float](repeating: 0.5, count: 6), shape: [2, 3])
        for object in [writer.root as any HDF5Object, config, data] {
            try object.setAttribute("method", "DSNAS")
            try object.setAttribute("op_names", ["none", "skip_connect"])
            try object.setAttribute("cells", 8)
            try object.setAttribute("bn_eps", 1e-5)
            try object.setAttribute("affine", false)
            try object.setAttribute("seed32", Int32(-7))
            try object.setAttribute("gain", Float(0.25))
            try object.setAttribute("edges", [Int64(0), 4, 13])
            try object.setAttribute("weights", [0.125, 0.875])
            try object.setAttribute("empty", [Double]())
            try object.setAttribute("cells", 4)  // replaces the earlier value
        }
        try writer.commit()
        let file = try HDF5File(reading: path)
        for object in [file.root as any HDF5Object, try file.group("config"), try file.dataset("outputs/logits")] {
            #expect(try object.stringAttribute("method") == "DSNAS")
            #expect(try object.stringsAttribute("op_names") == ["none", "skip_connect"])
            #expect(try object.attribute("cells", as: Int.self) == 4)
            #expect(try object.attribute("bn_eps", as: Double.self) == 1e-5)
            #expect(try object.attribute("affine", as: Int8.self) == 0)
            #expect(try object.attribute("seed32", as: Int.self) == -7)
            #expect(try object.attribute("gain", as: Double.self) == 0.25)
            #expect(try object.attributeArray("edges", as: Int32.self) == HDF5Array([0, 4, 13]))
            #expect(try object.attributeArray("weights", as: Float.self).values == [0.125, 0.875])
            #expect(try object.attributeArray("empty", as: Double.self) == HDF5Array(shape: [0], values: []))
            #expect(try object.attributeNames() == [
                "affine", "bn_eps", "cells", "edges", "empty", "gain", "method", "op_names", "seed32", "weights",
            ])
            #expect(try object.attributeValue("op_names").description == "['none', 'skip_connect']")
        }
    }

    @Test func narrowingReadsThatLoseValuesThrowInsteadOfClamping() throws {
        let folder = try TestFiles.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("n.h5").path
        let writer = try HDF5File(creating: path)
        try writer.root.write("wide", [Int64(1), 300])
        try writer.root.setAttribute("wide", [Int64(1), 300])
        try writer.root.write("fits", [Int64(-128), 127])
        try writer.commit()
        let file = try HDF5File(reading: path)
        #expect(throws: ResultsError.typeMismatch(file: path, path: "/wide", stored: "int64 with values out of range",
                                                  requested: "int8")) { try file.dataset("wide").read(Int8.self) }
        #expect(throws: ResultsError.typeMismatch(file: path, path: "/@wide", stored: "integer with value 300",
                                                  requested: "int8")) { try file.root.attributeArray("wide", as: Int8.self) }
        #expect(try file.dataset("fits").read(Int8.self).values == [-128, 127])
        #expect(try file.dataset("wide").read(Int32.self).values == [1, 300])
    }

    @Test func groupsNestAndNamesResolveRelativeOrAbsolute() throws {
        let folder = try TestFiles.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("g.h5").path
        let writer = try HDF5File(creating: path)
        let cell = try writer.root.createGroup("cells/0")
        try cell.write("edge_cost", [1.0, 2.0])
        try cell.write("/top", scalar: Int32(3))
        #expect(throws: ResultsError.alreadyExists(file: path, path: "/cells/0")) { try writer.root.createGroup("cells/0") }
        #expect(throws: ResultsError.alreadyExists(file: path, path: "/cells/0/edge_cost")) {
            try cell.write("edge_cost", [3.0])
        }
        #expect(throws: ResultsError.shapeMismatch(file: path, path: "/bad",
                                                   problem: "shape [2, 2] needs 4 values, got 3")) {
            try writer.root.write("bad", [1, 2, 3], shape: [2, 2])
        }
        try writer.commit()
        let file = try HDF5File(reading: path)
        #expect(try file.root.members() == [HDF5Member(name: "cells", kind: .group), HDF5Member(name: "top", kind: .dataset)])
        #expect(try file.group("cells").group("0").dataset("edge_cost").read(Double.self).values == [1, 2])
        #expect(try file.dataset("top").readScalar(Int.self) == 3)
    }
}
