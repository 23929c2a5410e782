// Running cost statistics per (cell, edge, op): count, mean and standard error of the batch costs,
// accumulated with Welford's update (numerically stable over tens of thousands of batches). This
// is the paper's Fig 4 matrix (reference-spec 6.1), with standard errors the reference lacks.

/// Mean and spread of a stream of values.
public struct RunningMoments: Codable, Hashable, Sendable {
    public private(set) var count: Int = 0
    public private(set) var mean: Double = 0
    /// Sum of squared deviations from the mean.
    public private(set) var m2: Double = 0

    public init() {}

    public mutating func add(_ x: Double) {
        count += 1
        let delta = x - mean
        mean += delta / Double(count)
        m2 += delta * (x - mean)
    }

    /// Sample variance (n - 1); 0 below two values.
    public var variance: Double { count > 1 ? m2 / Double(count - 1) : 0 }
    /// Standard error of the mean.
    public var standardError: Double { count > 1 ? (variance / Double(count)).squareRoot() : 0 }
}

/// Cost statistics of every (cell, edge, op) over the batches of a phase.
public struct CostStatistics: Codable, Hashable, Sendable {
    /// moments[cell][edge][op]
    public private(set) var moments: [[[RunningMoments]]]

    public init(cells: Int, edges: Int, ops: Int) {
        moments = Array(repeating: Array(repeating: Array(repeating: RunningMoments(), count: ops), count: edges),
                        count: cells)
    }

    /// Adds one batch cost of op `op` on (cell, edge).
    public mutating func add(cell: Int, edge: Int, op: Int, cost: Double) { moments[cell][edge][op].add(cost) }

    /// Adds one step: for one-hot edges the evaluated op's cost, for mixtures every active op's cost.
    public mutating func add(_ probe: StepProbe, architecture: Architecture) {
        for c in moments.indices {
            for e in moments[c].indices {
                switch architecture.choices[c][e] {
                case let .op(o):
                    moments[c][e][o].add(probe.edgeCost[c][e])
                case let .mixture(m):
                    for o in m.weights.indices where m.active[o] { moments[c][e][o].add(probe.opCost[c][e][o]) }
                case .deleted:
                    continue
                }
            }
        }
    }

    public var mean: [[[Double]]] { moments.map { $0.map { $0.map(\.mean) } } }
    public var standardError: [[[Double]]] { moments.map { $0.map { $0.map(\.standardError) } } }
    public var count: [[[Int]]] { moments.map { $0.map { $0.map(\.count) } } }
}
