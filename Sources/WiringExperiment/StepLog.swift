// Everything a run records per step, kept in memory as flat arrays (step-major) and written to
// /steps and /checks of the result file. The summaries are computed from it at the end, so a
// resumed run that reloads its log from the checkpoint produces bitwise the same summaries.
import WiringModel

/// Per-step records of one run.
struct StepLog: Equatable {
    let cells: Int, edges: Int, ops: Int, steps: Int

    var phase: [Int] = []
    var epoch: [Int] = []
    /// (step, cell, edge): sampled op index; -1 for mixtures, -2 for deleted edges without a none op.
    var edgeOp: [Int] = []
    /// (step, cell, edge)
    var edgeCost: [Double] = []
    /// (step, cell, edge, op): mixture op costs (zeros for one-hot steps).
    var opCost: [Double] = []
    /// (step, cell, node)
    var nodeCost: [Double] = []
    var nodeCostViaEdges: [Double] = []
    var loss: [Double] = []
    var entropy: [Double] = []
    var costZ: [Double] = []
    var accuracy: [Double] = []
    var lr: [Double] = []
    /// |sum of last-cell edge costs - C_Z| / sum |C| (Theorem 2), skip edges on intermediate edges subtracted.
    var theorem2Residual: [Double] = []
    /// max over non-last cells of |sum of edge costs| / sum |C| (Corollary 1.2); 0 with one cell.
    var corollary12Residual: [Double] = []
    /// Per-sample values when `record.per_sample` is on: (sample) flattened over steps.
    var sampleStep: [Int] = []
    var sampleLoss: [Double] = []
    var sampleEntropy: [Double] = []
    var sampleCost: [Double] = []
    var sampleCorrect: [Int] = []

    init(cells: Int, edges: Int, ops: Int, steps: Int) {
        self.cells = cells
        self.edges = edges
        self.ops = ops
        self.steps = steps
    }

    var count: Int { phase.count }
    var hasMixtures: Bool { edgeOp.contains(-1) }

    mutating func append(phase p: Int, epoch e: Int, lr rate: Double, probe: StepProbe, architecture: Architecture,
                         noneIndex: Int?, skipIndex: Int?, topology: CellTopology, perSample: Bool) {
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
        if perSample {
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
        let scale = probe.edgeCost[last].reduce(0) { $0 + abs($1) }
        guard scale > 0 else { return 0 }
        let sum = probe.cellEdgeCostSum(last) - skipShift(probe, architecture: architecture, cell: last,
                                                            skipIndex: skipIndex, topology: topology)
        return abs(sum - probe.costZ) / scale
    }

    static func corollary12(_ probe: StepProbe, architecture: Architecture, skipIndex: Int?, topology: CellTopology) -> Double {
        var worst = 0.0
        for c in 0..<max(0, probe.edgeCost.count - 1) {
            let scale = probe.edgeCost[c].reduce(0) { $0 + abs($1) }
            guard scale > 0 else { continue }
            let sum = probe.cellEdgeCostSum(c) - skipShift(probe, architecture: architecture, cell: c,
                                                             skipIndex: skipIndex, topology: topology)
            worst = max(worst, abs(sum) / scale)
        }
        return worst
    }
}
