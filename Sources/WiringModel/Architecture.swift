// What a forward pass evaluates on each (cell, edge): one sampled op (DSNAS, uniform Monte-Carlo
// probes), nothing (a deleted edge), or a weighted mixture of ops (DARTS, SNAS).

/// Mixing weights of one edge, indexed like the network's op list. Ops with `active` false are left
/// out of the sum entirely (the reference's DARTS `fix_edge4_noskip`), so their cost is 0.
public struct Mixture: Hashable, Codable, Sendable {
    public var weights: [Double]
    public var active: [Bool]

    public init(weights: [Double], active: [Bool]? = nil) {
        self.weights = weights
        self.active = active ?? Array(repeating: true, count: weights.count)
    }
}

/// The choice on one edge of one cell.
public enum EdgeChoice: Hashable, Codable, Sendable {
    /// The edge is removed: its output is zero and its cost exactly 0.
    case deleted
    /// Only op `index` (into the network's op list) is evaluated; a none op behaves as deleted.
    case op(Int)
    case mixture(Mixture)

    /// The op index for one-hot choices, nil for mixtures and deletions.
    public var opIndex: Int? {
        if case let .op(i) = self { return i }
        return nil
    }
}

/// The choices for every (cell, edge) of one forward pass.
public struct Architecture: Hashable, Codable, Sendable {
    /// choices[cell][edge]
    public var choices: [[EdgeChoice]]

    public init(choices: [[EdgeChoice]]) { self.choices = choices }

    /// The same edge choices in each of `cells` cells (the reference's default: one sample per
    /// batch shared by all cells).
    public static func shared(_ edges: [EdgeChoice], cells: Int) -> Architecture {
        Architecture(choices: Array(repeating: edges, count: cells))
    }

    /// One-hot op indices (cell, edge); -1 for mixtures, -2 for deleted edges when there is no none op
    /// (with one, a deleted edge counts as none, as in the reference).
    public func opIndices(noneIndex: Int?) -> [[Int]] {
        choices.map { row in
            row.map { choice in
                switch choice {
                case let .op(i): return i
                case .deleted: return noneIndex ?? -2
                case .mixture: return -1
                }
            }
        }
    }
}
