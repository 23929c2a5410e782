// A probe phase's `until_sign_known`: it stops once every sampled (cell, edge, op)'s mean cost has a
// confidence interval, mean ± z·SEM, that excludes 0 (after at least `min_samples` draws of it), or at
// its length, the cap. none (whose cost is identically 0) and deleted edges do not count. For each
// (cell, edge, op) it keeps the draw count at which the interval last came to exclude 0 and stayed
// so: the samples its sign needed (−1 if it was not known at the end). The state is rebuilt from the
// step log on resume, by the same updates in the same order, so a resumed run stops at the same step.
import WiringModel
import WiringSpec

struct SignKnownStopping {
    let settings: SignKnownSettings
    /// The (cell, edge, op) entries that count, as flat indices (cell · edges + edge) · ops + op.
    let required: [Int]
    var statistics: CostStatistics
    /// Per flat index: the draw count from which the interval has excluded 0, or −1.
    var knownSince: [Int]
    let edges: Int, ops: Int

    init(settings: SignKnownSettings, cells: Int, domains: [EdgeDomain], ops: Int, noneIndex: Int?) {
        self.settings = settings
        edges = domains.count
        self.ops = ops
        statistics = CostStatistics(cells: cells, edges: domains.count, ops: ops)
        knownSince = Array(repeating: -1, count: cells * domains.count * ops)
        var required: [Int] = []
        for c in 0..<cells {
            for (e, domain) in domains.enumerated() where !domain.deleted {
                for o in domain.allowed where o != noneIndex { required.append((c * domains.count + e) * ops + o) }
            }
        }
        self.required = required
    }

    /// Adds one draw: op `op` on (cell, edge) with its edge cost.
    mutating func observe(cell: Int, edge: Int, op: Int, cost: Double) {
        statistics.add(cell: cell, edge: edge, op: op, cost: cost)
        let m = statistics.moments[cell][edge][op], i = (cell * edges + edge) * ops + op
        let excludes = m.count >= settings.minSamples && abs(m.mean) > settings.z * m.standardError
        if !excludes { knownSince[i] = -1 } else if knownSince[i] < 0 { knownSince[i] = m.count }
    }

    /// Adds the one-hot draws of a step.
    mutating func observe(_ architecture: Architecture, probe: StepProbe) {
        for (c, row) in architecture.choices.enumerated() {
            for (e, choice) in row.enumerated() {
                if case let .op(o) = choice { observe(cell: c, edge: e, op: o, cost: probe.edgeCost[c][e]) }
            }
        }
    }

    /// Whether every counted entry's sign is known.
    var satisfied: Bool { required.allSatisfy { knownSince[$0] >= 0 } }

    /// The samples each entry's sign needed, −1 where unknown or not counted.
    var samplesNeeded: [Int] {
        let counted = Set(required)
        return knownSince.indices.map { counted.contains($0) ? knownSince[$0] : -1 }
    }
}
