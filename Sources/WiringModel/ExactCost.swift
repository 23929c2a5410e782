// The exact expectation the Monte Carlo probe estimates, for cells small enough to enumerate: with
// theta fixed and a fixed set of batches, each drawn with equal probability, and one op per edge drawn
// independently from p_e (shared by the cells, as the probe's default sampler draws), the probe's
// cost mean of (cell, edge, op) estimates
//     E[C_{c,e} | Z_e = o] = sum over subnets Z with Z_e = o of p(Z) mean_b C_{c,e}(Z, b) / p_e(o),
// p(Z) = prod_e p_e(Z_e). This enumerates every Z (at most `ExactCost.limit`), one training-mode pass
// per (Z, batch) with the running statistics restored, as the probe phase does.
import WiringEngine

/// The exact conditional expected costs of a small cell, and the passes they came from.
public struct ExactCost {
    /// The most subnets an enumeration may visit.
    public static let limit = 100_000
    /// [cell][edge][op]: E[C | Z_e = o]; NaN where p_e(o) = 0 or the edge is deleted.
    public var mean: [[[Double]]]
    /// E_Z[C_Z], the expected batch-mean C_b = L_b - H_b.
    public var costZ: Double
    /// Subnets enumerated.
    public var count: Int
    /// Every enumerated subnet with its probability and the probe of each batch (for samplers that
    /// replay them); empty unless asked for (`keepSubnets`).
    public var subnets: [(architecture: Architecture, probability: Double, probes: [StepProbe])]
}

/// Why an enumeration cannot run.
public enum ExactCostError: Error, Equatable, CustomStringConvertible {
    case tooManySubnets(Int)

    public var description: String {
        switch self {
        case let .tooManySubnets(n):
            return "exact cost: the cell has \(n) subnets, more than \(ExactCost.limit); constrain edges or use fewer ops"
        }
    }
}

extension Supernet {
    /// Enumerates every subnet of the allowed ops (one op per edge, shared by the cells) under the
    /// per-edge distributions `probabilities[edge][op]` (0 for ops an edge does not allow).
    public func exactCost(tape: Tape<T>, batches: [(images: Tensor<T>, labels: [Int])], domains: [EdgeDomain],
                          probabilities: [[Double]], keepSubnets: Bool = false) throws -> ExactCost {
        let live = domains.indices.filter { !domains[$0].deleted }
        let count = live.reduce(1) { $0 * domains[$1].allowed.count }
        guard count <= ExactCost.limit else { throw ExactCostError.tooManySubnets(count) }
        let cells = config.cells, edges = domains.count, ops = config.ops.count
        var weighted = Array(repeating: Array(repeating: Array(repeating: 0.0, count: ops), count: edges), count: cells)
        var costZ = 0.0
        var subnets: [(architecture: Architecture, probability: Double, probes: [StepProbe])] = []
        var digits = Array(repeating: 0, count: live.count)  // a mixed-radix counter over the live edges
        for _ in 0..<count {
            var choices = Array(repeating: EdgeChoice.deleted, count: edges)
            var probability = 1.0
            for (k, e) in live.enumerated() {
                let o = domains[e].allowed[digits[k]]
                choices[e] = .op(o)
                probability *= probabilities[e][o]
            }
            let architecture = Architecture.shared(choices, cells: cells)
            var probes: [StepProbe] = []
            for batch in batches {
                tape.reset()
                let statistics = parameters.runningStatistics
                let (_, probe) = step(tape: tape, images: batch.images, labels: batch.labels, architecture: architecture)
                parameters.runningStatistics = statistics
                probes.append(probe)
                let w = probability / Double(batches.count)
                costZ += w * probe.costZ
                for c in 0..<cells {
                    for e in live {
                        guard case let .op(o) = choices[e] else { continue }
                        weighted[c][e][o] += w * probe.edgeCost[c][e]
                    }
                }
            }
            if keepSubnets { subnets.append((architecture, probability, probes)) }
            for k in digits.indices {  // next subnet
                digits[k] += 1
                if digits[k] < domains[live[k]].allowed.count { break }
                digits[k] = 0
            }
        }
        let mean = weighted.map { cell in
            cell.indices.map { e in
                cell[e].indices.map { o in
                    domains[e].deleted || probabilities[e][o] == 0 ? Double.nan : cell[e][o] / probabilities[e][o]
                }
            }
        }
        return ExactCost(mean: mean, costZ: costZ, count: count, subnets: subnets)
    }
}
