// Per-phase statistics computed from a step log at the end of a run (so a resumed run, which reloads
// its log, writes bitwise the same summaries): the Fig 4 matrix of mean costs with standard errors and
// counts, and the mean node costs.
import WiringModel
import WiringRun

/// Per-phase statistics computed from a step log.
struct RunSummary {
    var costs: [CostStatistics]
    var nodeCost: [[[Double]]]
    var nodeCostViaEdges: [[[Double]]]

    init(log: StepLog, phases: Int) {
        let (cells, edges, ops, nodes) = (log.cells, log.edges, log.ops, log.steps)
        costs = Array(repeating: CostStatistics(cells: cells, edges: edges, ops: ops), count: phases)
        nodeCost = Array(repeating: Array(repeating: Array(repeating: 0, count: nodes), count: cells), count: phases)
        nodeCostViaEdges = nodeCost
        var stepsPerPhase = Array(repeating: 0, count: phases)
        for s in 0..<log.count {
            let p = log.phase[s]
            stepsPerPhase[p] += 1
            for c in 0..<cells {
                for e in 0..<edges {
                    let flat = (s * cells + c) * edges + e
                    let op = log.edgeOp[flat]
                    if op >= 0 {
                        costs[p].add(cell: c, edge: e, op: op, cost: log.edgeCost[flat])
                    } else if op == -1 {  // a mixture: every op's dL/dW (0 for ops left out of the sum)
                        for o in 0..<ops { costs[p].add(cell: c, edge: e, op: o, cost: log.opCost[flat * ops + o]) }
                    }
                }
                for i in 0..<nodes {
                    nodeCost[p][c][i] += log.nodeCost[(s * cells + c) * nodes + i]
                    nodeCostViaEdges[p][c][i] += log.nodeCostViaEdges[(s * cells + c) * nodes + i]
                }
            }
        }
        for p in 0..<phases where stepsPerPhase[p] > 0 {
            let n = Double(stepsPerPhase[p])
            nodeCost[p] = nodeCost[p].map { $0.map { $0 / n } }
            nodeCostViaEdges[p] = nodeCostViaEdges[p].map { $0.map { $0 / n } }
        }
    }
}

