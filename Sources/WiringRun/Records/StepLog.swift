// Everything a run records per step, kept in memory as flat arrays (step-major) and written to
// /steps and /checks of the result file. The summaries are computed from it at the end, so a
// resumed run that reloads its log from the checkpoint produces bitwise the same summaries.
import WiringModel

/// Per-step records of one run. Each array is a column of `StepLog.columns`.
package struct StepLog: Equatable {
    package let cells: Int, edges: Int, ops: Int, steps: Int

    package var phase: [Int] = []
    package var epoch: [Int] = []
    package var edgeOp: [Int] = []
    package var edgeCost: [Double] = []
    package var opCost: [Double] = []
    package var nodeCost: [Double] = []
    package var nodeCostViaEdges: [Double] = []
    var loss: [Double] = []
    var entropy: [Double] = []
    var costZ: [Double] = []
    var accuracy: [Double] = []
    var lr: [Double] = []
    package var theorem2Residual: [Double] = []
    package var corollary12Residual: [Double] = []
    var sampleStep: [Int] = []
    var sampleLoss: [Double] = []
    var sampleEntropy: [Double] = []
    var sampleCost: [Double] = []
    var sampleCorrect: [Int] = []

    /// Everything a run records per step (and per sample), in file order.
    package static let columns: [RecordColumn<StepLog>] = [
        RecordColumn(path: "steps/phase", dimensions: ["step"], element: .int32, units: "",
                     doc: "phase index of the step (into `/phases`)", values: .ints(\.phase)),
        RecordColumn(path: "steps/epoch", dimensions: ["step"], element: .int32, units: "",
                     doc: "epoch within that phase, from 0", values: .ints(\.epoch)),
        RecordColumn(path: "steps/edge_op", dimensions: ["step", "cells", "edges"], element: .int32, units: "",
                     doc: "op index evaluated on the edge (into `/ops`); −1 for a mixture (all ops weighted), −2 for a deleted edge when the op list has no `none` (with one, a deleted edge records `none`)",
                     values: .ints(\.edgeOp)),
        RecordColumn(path: "steps/edge_cost", dimensions: ["step", "cells", "edges"], element: .float64, units: "nats",
                     doc: "C(e) = Σ ∂L/∂h_e · h_e of the edge output h_e: for a sampled op the reference's ∂L/∂Z; for a mixture the cost of the whole mixed edge; 0 on `none` and deleted edges",
                     values: .doubles(\.edgeCost)),
        RecordColumn(path: "steps/op_cost", dimensions: ["step", "cells", "edges", "ops"], element: .float64, units: "nats",
                     doc: "**only if some step ran a mixture**: ∂L/∂W[op] = Σ ∂L/∂h_e · op(x), not multiplied by W (the reference's `cal_stat`); zeros on one-hot steps",
                     values: .doubles(\.opCost), isStored: { $0.hasMixtures }),
        RecordColumn(path: "steps/node_cost", dimensions: ["step", "cells", "nodes"], element: .float64, units: "nats",
                     doc: "Σ ∂L/∂X · X of node i+2 with its total gradient (= Σ of its incoming edge costs, Theorem 1)", values: .doubles(\.nodeCost)),
        RecordColumn(path: "steps/node_cost_via_edges", dimensions: ["step", "cells", "nodes"], element: .float64,
                     units: "nats", doc: "the part of `node_cost` whose gradient arrives through the node's outgoing edges (≈ 0 when those ops end in BN; 0 for the last node)",
                     values: .doubles(\.nodeCostViaEdges)),
        RecordColumn(path: "steps/loss", dimensions: ["step"], element: .float64, units: "nats",
                     doc: "batch-mean cross-entropy as computed in the run's precision (the differentiated value)", values: .doubles(\.loss)),
        RecordColumn(path: "steps/entropy", dimensions: ["step"], element: .float64, units: "nats",
                     doc: "batch mean of H_b = −Σ_n p log p of softmax(logits)", values: .doubles(\.entropy)),
        RecordColumn(path: "steps/cost_Z", dimensions: ["step"], element: .float64, units: "nats",
                     doc: "batch mean of C_b = L_b − H_b (the network-level cost, Theorem 2)",
                     values: .doubles(\.costZ)),
        RecordColumn(path: "steps/accuracy", dimensions: ["step"], element: .float64, units: "1",
                     doc: "fraction of the batch classified correctly", values: .doubles(\.accuracy)),
        RecordColumn(path: "steps/lr", dimensions: ["step"], element: .float64, units: "",
                     doc: "learning rate used for θ (0 in probe phases)", values: .doubles(\.lr)),
        RecordColumn(path: "checks/thm2_residual", dimensions: ["step"], element: .float64, units: "1",
                     doc: "Theorem 2: \\|Σ_e C(e) of the last cell − skip shift − cost_Z\\| / Σ_e \\|C(e)\\| of that cell; the skip shift is the cost of skip ops on intermediate edges, which move the identity exactly. Expected ≲ 1e-3 (BN ε); exactly 0 when every edge cost of the cell and cost_Z are below 1e-6 nats (float noise, e.g. affine-free instance norm), and \\|Σ − cost_Z\\| / \\|cost_Z\\| when only the edge costs are",
                     values: .doubles(\.theorem2Residual)),
        RecordColumn(path: "checks/cor12_residual", dimensions: ["step"], element: .float64, units: "1",
                     doc: "Corollary 1.2: max over the non-last cells of \\|Σ_e C(e) − skip shift\\| / Σ_e \\|C(e)\\|, a cell whose edge costs are all below 1e-6 nats counting 0; 0 with one cell",
                     values: .doubles(\.corollary12Residual)),
        RecordColumn(path: "samples/step", dimensions: ["sample"], element: .int32, units: "",
                     doc: "the step the sample belongs to (index along `step`)", values: .ints(\.sampleStep),
                     isStored: { $0.recordsSamples }),
        RecordColumn(path: "samples/loss", dimensions: ["sample"], element: .float64, units: "nats",
                     doc: "L_b, cross-entropy of the sample", values: .doubles(\.sampleLoss), isStored: { $0.recordsSamples }),
        RecordColumn(path: "samples/entropy", dimensions: ["sample"], element: .float64, units: "nats",
                     doc: "H_b", values: .doubles(\.sampleEntropy),
                     isStored: { $0.recordsSamples }),
        RecordColumn(path: "samples/cost", dimensions: ["sample"], element: .float64, units: "nats",
                     doc: "C_b = L_b − H_b", values: .doubles(\.sampleCost),
                     isStored: { $0.recordsSamples }),
        RecordColumn(path: "samples/correct", dimensions: ["sample"], element: .int8, units: "",
                     doc: "1 if the sample was classified correctly", values: .ints(\.sampleCorrect),
                     isStored: { $0.recordsSamples }),
    ]

    /// Whether per-sample records are kept (`record.per_sample`).
    var recordsSamples = false

    /// The length of each dimension of the columns.
    package var sizes: [String: Int] {
        ["step": count, "cells": cells, "edges": edges, "ops": ops, "nodes": steps, "sample": sampleStep.count]
    }

    init(cells: Int, edges: Int, ops: Int, steps: Int, recordsSamples: Bool) {
        self.cells = cells
        self.edges = edges
        self.ops = ops
        self.steps = steps
        self.recordsSamples = recordsSamples
    }

    package var count: Int { phase.count }
    var hasMixtures: Bool { edgeOp.contains(-1) }

    mutating func append(phase p: Int, epoch e: Int, lr rate: Double, probe: StepProbe, architecture: Architecture,
                         noneIndex: Int?, skipIndex: Int?, topology: CellTopology) {
        let stepIndex = count
        phase.append(p)
        epoch.append(e)
        edgeOp += architecture.opIndices(noneIndex: noneIndex).flatMap { $0 }
        edgeCost += probe.edgeCost.flatMap { $0 }
        let isMixture = architecture.choices.contains { $0.contains { if case .mixture = $0 { return true }; return false } }
        opCost += isMixture ? probe.opCost.flatMap { $0.flatMap { $0 } } : Array(repeating: 0, count: cells * edges * ops)
        nodeCost += probe.nodeCost.flatMap { $0 }
        nodeCostViaEdges += probe.nodeCostViaEdges.flatMap { $0 }
        loss.append(probe.loss)
        entropy.append(probe.meanEntropy)
        costZ.append(probe.costZ)
        accuracy.append(probe.accuracy)
        lr.append(rate)
        theorem2Residual.append(IdentityResiduals.theorem2(probe, architecture: architecture, skipIndex: skipIndex,
                                                           topology: topology))
        corollary12Residual.append(IdentityResiduals.corollary12(probe, architecture: architecture,
                                                                 skipIndex: skipIndex, topology: topology))
        if recordsSamples {
            sampleStep += Array(repeating: stepIndex, count: probe.samples.loss.count)
            sampleLoss += probe.samples.loss
            sampleEntropy += probe.samples.entropy
            sampleCost += probe.samples.cost
            sampleCorrect += probe.samples.correct.map { $0 ? 1 : 0 }
        }
    }
}

/// The identity residuals measured on the fly (reference-spec section 10, claims 3 and 4).
enum IdentityResiduals {
    /// Edge costs below this (nats) are zero within float noise: affine-free instance norm gives
    /// |C| ~ 1e-9-1e-8 in float32 (reference-spec 10, claim 8), real costs are ≳ 1e-4.
    static let zeroCostTolerance = 1e-6

    /// Whether every cost of a cell is zero within `zeroCostTolerance`.
    static func isZeroCost(_ costs: [Double]) -> Bool { costs.allSatisfy { abs($0) < zeroCostTolerance } }

    /// Edge costs of the skip ops on intermediate edges of `cell` (they shift the identities exactly).
    static func skipShift(_ probe: StepProbe, architecture: Architecture, cell: Int, skipIndex: Int?,
                          topology: CellTopology) -> Double {
        guard let skip = skipIndex else { return 0 }
        var shift = 0.0
        for edge in topology.edges where edge.isIntermediate {
            switch architecture.choices[cell][edge.index] {
            case let .op(o) where o == skip: shift += probe.edgeCost[cell][edge.index]
            case let .mixture(m) where m.active[skip]: shift += m.weights[skip] * probe.opCost[cell][edge.index][skip]
            default: break
            }
        }
        return shift
    }

    static func theorem2(_ probe: StepProbe, architecture: Architecture, skipIndex: Int?, topology: CellTopology) -> Double {
        let last = probe.edgeCost.count - 1
        let sum = probe.cellEdgeCostSum(last) - skipShift(probe, architecture: architecture, cell: last,
                                                            skipIndex: skipIndex, topology: topology)
        guard !isZeroCost(probe.edgeCost[last]) else {
            // Every edge cost is zero within float noise: the identity holds exactly when C_Z is zero
            // too; else it fails by all of C_Z.
            return abs(probe.costZ) < zeroCostTolerance ? 0 : abs(sum - probe.costZ) / abs(probe.costZ)
        }
        let scale = probe.edgeCost[last].reduce(0) { $0 + abs($1) }
        return abs(sum - probe.costZ) / scale
    }

    static func corollary12(_ probe: StepProbe, architecture: Architecture, skipIndex: Int?, topology: CellTopology) -> Double {
        var worst = 0.0
        for c in 0..<max(0, probe.edgeCost.count - 1) {
            // A cell whose costs are all zero within float noise satisfies Σ = 0 exactly (a relative
            // residual there would be noise over noise, ~1).
            guard !isZeroCost(probe.edgeCost[c]) else { continue }
            let scale = probe.edgeCost[c].reduce(0) { $0 + abs($1) }
            let sum = probe.cellEdgeCostSum(c) - skipShift(probe, architecture: architecture, cell: c,
                                                             skipIndex: skipIndex, topology: topology)
            worst = max(worst, abs(sum) / scale)
        }
        return worst
    }
}
