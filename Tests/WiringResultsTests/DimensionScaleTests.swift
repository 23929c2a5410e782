// Dimension scales: `write(..., dimensions:)` must leave every axis with an attached, named scale and a label, so
// netCDF readers (xarray) see named dimensions. The h5py cross-check is in InteropTests.

import Foundation
import Testing
@testable import WiringResults

@Suite struct DimensionScaleTests {
    @Test func writeWithDimensionsAttachesNamedScalesAndLabels() throws {
        let folder = try TestFiles.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("dims.h5").path
        let writer = try HDF5File(creating: path)
        let outputs = try writer.root.createGroup("outputs")
        try outputs.createDimensionScale("op", labels: ["none", "skip_connect", "max_pool_3x3"])
        try outputs.write("edge_cost", (0..<10).map(Double.init), shape: [2, 5], dimensions: ["cell", "edge"])
        try outputs.write("Z_grad", [Float](repeating: 0, count: 30), shape: [2, 5, 3], dimensions: ["cell", "edge", "op"])
        #expect(throws: ResultsError.shapeMismatch(file: path, path: "/outputs/cell",
                                                   problem: "dimension scale has shape [2], the axis needs [3]")) {
            try outputs.write("wrong", [1, 2, 3], dimensions: ["cell"])
        }
        try writer.commit()

        let file = try HDF5File(reading: path)
        let edgeCost = try file.dataset("outputs/edge_cost")
        #expect(try edgeCost.dimensionLabels() == ["cell", "edge"])
        #expect(try edgeCost.dimensionScalePaths(dimension: 0) == ["/outputs/cell"])
        #expect(try edgeCost.dimensionScalePaths(dimension: 1) == ["/outputs/edge"])
        #expect(try !edgeCost.isDimensionScale)
        // Scales created on demand hold the indices 0..<n; the two datasets share them.
        #expect(try file.dataset("outputs/edge").isDimensionScale)
        #expect(try file.dataset("outputs/edge").read(Int.self) == HDF5Array([0, 1, 2, 3, 4]))
        let zGrad = try file.dataset("outputs/Z_grad")
        #expect(try zGrad.dimensionLabels() == ["cell", "edge", "op"])
        #expect(try zGrad.dimensionScalePaths(dimension: 2) == ["/outputs/op"])
        #expect(try file.dataset("outputs/op").readStrings().values == ["none", "skip_connect", "max_pool_3x3"])
        #expect(try file.dataset("outputs/op").attributeNames().contains("NAME"))  // H5DS marks a scale by NAME/CLASS
    }

    @Test func datasetsWithoutDimensionsHaveNoScales() throws {
        let folder = try TestFiles.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("plain.h5").path
        let writer = try HDF5File(creating: path)
        let data = try writer.root.write("x", [1.0, 2.0])
        #expect(try data.dimensionLabels() == [""])
        #expect(try data.dimensionScalePaths(dimension: 0) == [])
        #expect(throws: ResultsError.shapeMismatch(file: path, path: "/x", problem: "no axis 1 (rank 1)")) {
            try data.dimensionScalePaths(dimension: 1)
        }
        writer.discard()
    }
}
