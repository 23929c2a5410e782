// Reading the golden fixtures (layout: Tests/Fixtures/reference/README.md §2). Expected values were printed by the
// HDF5 command-line tools (`h5dump -m %.9g`, `h5ls`), an oracle independent of WiringResults.

import Foundation
import Testing
@testable import WiringResults

@Suite struct FixtureReadingTests {
    let file: HDF5File

    init() throws { file = try HDF5File(reading: TestFiles.caseA) }

    @Test func logitsReadAsDoubleAndFloatWithTheirShape() throws {
        let logits = try file.dataset("/arch0/outputs/logits")
        #expect(try logits.storedType == .float(bytes: 4))
        let asDouble = try logits.read(Double.self)
        let asFloat = try logits.read(Float.self)
        #expect(asDouble.shape == [8, 10])
        #expect(asFloat.shape == [8, 10])
        // float32 → float64 is exact, so both reads hold the same numbers.
        #expect(asDouble.values == asFloat.values.map(Double.init))
        // h5dump -m %.9g prints 9 significant digits, enough to pin a float32 down exactly.
        #expect(asFloat.values[0] == Float("0.0419539213")!)
        #expect(asFloat.values[1] == Float("-0.0252289921")!)
        #expect(asFloat.values[79] == Float("-0.0653114095")!)
    }

    @Test func labelsReadAsIntegersFromRootAndHardLink() throws {
        let expected = [3, 1, 2, 0, 5, 8, 4, 1]
        #expect(try file.dataset("labels").storedType == .integer(bytes: 8, signed: true))
        #expect(try file.dataset("/labels").read(Int.self) == HDF5Array(expected))
        // /arch0/labels is a hard link to /labels: the same dataset under a second name.
        #expect(try file.group("arch0").dataset("labels").read(Int32.self).values == expected.map(Int32.init))
        #expect(try file.dataset("/arch0/labels").read(Double.self).values == expected.map(Double.init))
    }

    @Test func configAttributesOfEveryKind() throws {
        let config = try file.group("/arch0/config")
        #expect(try config.stringsAttribute("op_names") == [
            "none", "skip_connect", "max_pool_3x3", "avg_pool_3x3",
            "sep_conv_3x3", "dil_conv_3x3", "dil_conv_5x5", "sep_conv_5x5",
        ])
        #expect(try config.attribute("cells", as: Int.self) == 1)
        #expect(try config.attribute("steps", as: Int.self) == 2)
        #expect(try config.attribute("bn_eps", as: Double.self) == 1e-5)
        #expect(try config.attribute("bn_affine_ops", as: Int8.self) == 0)
        #expect(try config.attribute("bn_affine_ops", as: Int.self) == 0)
        #expect(try config.stringAttribute("case") == "A")
        #expect(try config.stringAttribute("arch_group") == "arch0")
        #expect(try config.hasAttribute("multiplier"))
        #expect(try !config.hasAttribute("no_such_setting"))
        let names = try config.attributeNames()
        #expect(names.contains("reference_commit") && names.contains("torch_version"))
        #expect(names == names.sorted())
    }

    @Test func rootAttributesAndNumericArrayAttributes() throws {
        #expect(try file.root.stringsAttribute("groups") == ["arch0", "arch1", "arch2"])
        #expect(try file.root.stringAttribute("description").hasPrefix("DSNAS golden fixture, case A"))
        let checks = try file.group("/arch0/checks")
        let perCell = try checks.attributeArray("f32_vs_f64_edge_cost_rel_per_cell", as: Double.self)
        #expect(perCell == HDF5Array(shape: [1], values: [1.3000987977508285e-06]))
        #expect(try checks.attributeValue("f32_vs_f64_edge_cost_rel_per_cell") == .real(perCell))
        #expect(try file.group("/arch0/config").attributeValue("cells") == .integer(HDF5Array(shape: [], values: [1])))
    }

    @Test func groupMembersIncludeHardLinkedDatasetsAndSubgroups() throws {
        let arch0 = try file.group("arch0")
        #expect(try arch0.groupNames() == [
            "analysis", "buffers", "buffers_after", "checks", "config", "grads", "grads_f64",
            "outputs", "outputs_f64", "params",
        ])
        #expect(try arch0.datasetNames() == ["arch", "arch_ops", "input", "labels", "node_inputs_cost", "op_names"])
        #expect(try file.root.members().contains(HDF5Member(name: "arch0", kind: .group)))
        // h5ls lists 66 parameter datasets and no subgroups.
        let params = try arch0.group("params").members()
        #expect(params.count == 66)
        #expect(params.allSatisfy { $0.kind == .dataset })
        #expect(params.first?.name == "cells.0._ops.0._ops.4.op.1.weight")
        #expect(try arch0.contains("params/stem.0.weight"))
        #expect(try !arch0.contains("params/no.such.weight"))
        #expect(try !arch0.contains("no_group/x"))
    }

    @Test func gzipCompressedDatasetReads() throws {
        let input = try file.dataset("/arch0/input")
        #expect(try input.storage.filters == ["deflate"])
        let values = try input.read(Float.self)
        #expect(values.shape == [8, 3, 32, 32])
        #expect(Array(values.values.prefix(3)) == [Float("-1.47980773")!, Float("0.487305999")!, Float("-3.01279378")!])
    }

    @Test func scalarDatasetReadsWithEmptyShape() throws {
        let loss = try file.dataset("/arch0/outputs/loss")
        #expect(try loss.shape == [])
        #expect(try loss.read(Float.self) == HDF5Array(shape: [], values: [Float("2.29545188")!]))
        #expect(try loss.readScalar(Double.self) == Double(Float("2.29545188")!))
    }

    @Test func fixedLengthStringDatasetReadsWithoutPadding() throws {
        let opNames = try file.dataset("/arch0/op_names")
        #expect(try opNames.storedType == .string(length: 12))
        let names = try opNames.readStrings()
        #expect(names.shape == [8])
        #expect(names.values.first == "none")  // stored as "none" + 8 NUL bytes
        #expect(names.values.last == "sep_conv_5x5")
    }

    @Test func concurrentReadsFromManyThreadsAgree() throws {
        // Every HDF5 call is serialised by one lock; reads from several threads must neither crash nor mix up data.
        let expected = try file.dataset("/arch0/outputs/logits").read(Float.self)
        let lock = NSLock()
        nonisolated(unsafe) var results = Array(repeating: HDF5Array<Float>?.none, count: 8)
        DispatchQueue.concurrentPerform(iterations: 8) { i in
            let read = try? HDF5File(reading: TestFiles.caseA).dataset("/arch0/outputs/logits").read(Float.self)
            lock.withLock { results[i] = read }
        }
        #expect(results == Array(repeating: expected, count: 8))
    }

    @Test func wrongTypeAndWrongKindAreReportedWithThePath() throws {
        let opNames = try file.dataset("/op_names")
        #expect(throws: ResultsError.typeMismatch(file: TestFiles.caseA, path: "/op_names", stored: "string(12)",
                                                  requested: "float64")) { try opNames.read(Double.self) }
        let logits = try file.dataset("/arch0/outputs/logits")
        #expect(throws: ResultsError.typeMismatch(file: TestFiles.caseA, path: "/arch0/outputs/logits",
                                                  stored: "float32", requested: "int64")) { try logits.read(Int.self) }
        #expect(throws: ResultsError.wrongKind(file: TestFiles.caseA, path: "/arch0", expected: "dataset",
                                               found: "group")) { try file.dataset("arch0") }
        #expect(throws: ResultsError.notFound(file: TestFiles.caseA, path: "/arch0/outputs/nothing")) {
            try file.dataset("arch0/outputs/nothing")
        }
        #expect(throws: ResultsError.notFound(file: TestFiles.caseA, path: "/arch0/config@nothing")) {
            try file.group("arch0/config").attribute("nothing", as: Int.self)
        }
        #expect(throws: ResultsError.notWritable(file: TestFiles.caseA, operation: "write dataset")) {
            try file.root.write("x", [1.0])
        }
    }
}
