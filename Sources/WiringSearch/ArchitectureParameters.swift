// The architecture parameters alpha of the normal cell, one logit per (edge, op). The reference
// keeps one alpha for all normal cells (reference-spec 5.1 step 1, 5.2, 5.3), so every cell of the
// network reads the same row. Probabilities are a softmax over the ops an edge may take (its
// `EdgeDomain`); ops outside the domain, and every op of a deleted edge, have probability 0.
import WiringEngine
import WiringModel

/// alpha[edge][op] with the edge domains it is normalised over.
public struct ArchitectureParameters: Codable, Hashable, Sendable {
    /// Raw logits, values[edge][op], indexed like the network's op list.
    public var values: [[Double]]
    /// The ops each edge may take; probabilities are normalised over `domains[e].allowed`.
    public let domains: [EdgeDomain]

    /// Alpha with given logits.
    /// - Precondition: one row per domain.
    public init(values: [[Double]], domains: [EdgeDomain]) {
        precondition(values.count == domains.count, "ArchitectureParameters: \(values.count) rows, \(domains.count) domains")
        self.values = values
        self.domains = domains
    }

    /// Draws alpha for `domains.count` edges x `ops` ops, row by row (reference-spec 5.4: DSNAS/SNAS
    /// N(1, 0.01^2), DARTS 1e-3 N(0, 1), `cal_stat` exactly 1e-3). Every entry is drawn, allowed or
    /// not, so the stream does not depend on the constraints.
    public init(domains: [EdgeDomain], ops: Int, initialisation: AlphaInit, rng: inout RNG) {
        let values = domains.indices.map { _ in
            (0..<ops).map { _ -> Double in
                switch initialisation {
                case let .normal(mean, std): return mean + std * rng.normal()
                case let .constant(c): return c
                }
            }
        }
        self.init(values: values, domains: domains)
    }

    /// Number of edges.
    public var edges: Int { values.count }
    /// Number of ops per edge.
    public var ops: Int { values.first?.count ?? 0 }

    /// softmax(alpha_e) over the edge's allowed ops, 0 elsewhere (all 0 for a deleted edge).
    public func probabilities(edge e: Int) -> [Double] {
        softmax(values[e], over: domains[e].deleted ? [] : domains[e].allowed)
    }

    /// probabilities[edge][op] of every edge.
    public var probabilities: [[Double]] { values.indices.map { probabilities(edge: $0) } }

    /// One op per edge drawn from softmax(alpha_e) over its allowed ops: deleted edges stay deleted and single-op
    /// edges take their op without a draw (so they use no random number).
    public func sampleOneOpPerEdge(rng: inout RNG) -> [EdgeChoice] {
        domains.indices.map { e in
            let domain = domains[e]
            if domain.deleted { return .deleted }
            if domain.allowed.count == 1 { return .op(domain.allowed[0]) }
            return .op(rng.categorical(probabilities(edge: e)))
        }
    }

    /// The most likely op of every edge (nil for deleted edges), optionally ignoring op `excluding`
    /// (the none op: the paper's "topology without none"). Ties go to the lower index.
    public func mostLikely(excluding: Int? = nil) -> [Int?] {
        values.indices.map { e in
            let candidates = domains[e].deleted ? [] : domains[e].allowed.filter { $0 != excluding }
            return candidates.max { values[e][$0] < values[e][$1] || (values[e][$0] == values[e][$1] && $0 > $1) }
        }
    }

    /// Row-major copy (edge, then op): the layout the Adam moments use.
    public var flattened: [Double] { values.flatMap { $0 } }

    /// Replaces the logits from a row-major vector.
    public mutating func setFlattened(_ flat: [Double]) {
        precondition(flat.count == edges * ops, "ArchitectureParameters: \(flat.count) values for \(edges) x \(ops)")
        for e in values.indices { values[e] = Array(flat[e * ops..<(e + 1) * ops]) }
    }
}

/// exp(z_i - max) / sum over `indices`, 0 outside `indices` (shifting by the max keeps exp finite).
func softmax(_ z: [Double], over indices: [Int]) -> [Double] {
    var p = Array(repeating: 0.0, count: z.count)
    guard let top = indices.map({ z[$0] }).max() else { return p }
    var total = 0.0
    for i in indices {
        p[i] = Double.exp(z[i] - top)
        total += p[i]
    }
    for i in indices { p[i] /= total }
    return p
}

/// The chain rule through w = softmax((alpha + c) / lambda) restricted to `indices` (c constant):
/// given g_k = dL/dw_k, returns dL/dalpha_j = w_j (g_j - sum_k g_k w_k) / lambda for j in `indices`,
/// 0 elsewhere. lambda = 1, c = 0 is DARTS's softmax; c = Gumbel noise is SNAS (docs/search.md).
func softmaxBackward(weights w: [Double], upstream g: [Double], over indices: [Int], temperature: Double = 1) -> [Double] {
    let mean = indices.reduce(0.0) { $0 + g[$1] * w[$1] }
    var d = Array(repeating: 0.0, count: w.count)
    for j in indices { d[j] = w[j] * (g[j] - mean) / temperature }
    return d
}
