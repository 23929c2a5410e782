// The reference's "averaged cost on an edge" (Fig 7b, 9, 27, 28; reference-spec 6.1): at the end of
// every epoch, the running mean since the phase's first step of each op's batch cost on each edge
// (never reset between epochs, as the authors' M), summed over the ops and divided by the number
// of ops in the op list (8) — the plain mean for an edge with a single allowed op, as the plot script
// leaves fixed edge 1 undivided. Ops never evaluated count 0, as in the reference. Computed from the
// step log at the end, so a resumed run writes the same values.
import WiringModel
import WiringRun

struct AveragedCost {
    /// (row = (phase, epoch) in step order, the rows of `SplitSums`) x cells x edges.
    var values: [Double] = []
    /// Per row and cell: the sum over the edges.
    var sums: [Double] = []
    var rows = 0

    /// - Parameter singleOp: per edge, whether it has exactly one allowed op (no division).
    init(log: StepLog, singleOp: [Bool]) {
        let (cells, edges, ops) = (log.cells, log.edges, log.ops)
        var mean = Array(repeating: 0.0, count: cells * edges * ops)
        var count = Array(repeating: 0, count: cells * edges * ops)
        func add(_ i: Int, _ cost: Double) {
            count[i] += 1
            mean[i] += (cost - mean[i]) / Double(count[i])
        }
        for s in 0..<log.count {
            if s > 0 && log.phase[s] != log.phase[s - 1] {  // a new phase starts its own statistics
                mean = mean.map { _ in 0 }
                count = count.map { _ in 0 }
            }
            for c in 0..<cells {
                for e in 0..<edges {
                    let flat = (s * cells + c) * edges + e
                    let op = log.edgeOp[flat]
                    if op >= 0 {
                        add((c * edges + e) * ops + op, log.edgeCost[flat])
                    } else if op == -1 {  // a mixture: every op's dL/dW
                        for o in 0..<ops { add((c * edges + e) * ops + o, log.opCost[flat * ops + o]) }
                    }
                }
            }
            let endsEpoch = s + 1 == log.count || log.phase[s + 1] != log.phase[s] || log.epoch[s + 1] != log.epoch[s]
            guard endsEpoch else { continue }
            rows += 1
            for c in 0..<cells {
                var cellSum = 0.0
                for e in 0..<edges {
                    let base = (c * edges + e) * ops
                    let total = mean[base..<(base + ops)].reduce(0, +)
                    let value = singleOp[e] ? total : total / Double(ops)
                    values.append(value)
                    cellSum += value
                }
                sums.append(cellSum)
            }
        }
    }
}
