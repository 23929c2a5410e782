// Per-batch architecture samplers. The search module plugs alpha-driven samplers in through the
// same protocol; the harness only sees `ArchitectureSampler`.
import WiringEngine

/// Draws the architecture of one batch.
public protocol ArchitectureSampler {
    /// - Parameters:
    ///   - domains: the allowed ops per edge (after constraints).
    ///   - cells: the number of cells.
    mutating func sample(domains: [EdgeDomain], cells: Int, rng: inout RNG) -> Architecture
}

/// One op per edge, uniform over the edge's allowed set; shared by all cells unless `perCell`.
public struct UniformSampler: ArchitectureSampler {
    public var perCell: Bool
    public init(perCell: Bool = false) { self.perCell = perCell }

    public mutating func sample(domains: [EdgeDomain], cells: Int, rng: inout RNG) -> Architecture {
        func draw() -> [EdgeChoice] {
            domains.map { d in d.deleted ? .deleted : .op(d.allowed[rng.index(below: d.allowed.count)]) }
        }
        if perCell { return Architecture(choices: (0..<cells).map { _ in draw() }) }
        return .shared(draw(), cells: cells)
    }
}

/// The same architecture every batch.
public struct FixedSampler: ArchitectureSampler {
    public var architecture: Architecture
    public init(_ architecture: Architecture) { self.architecture = architecture }
    public mutating func sample(domains: [EdgeDomain], cells: Int, rng: inout RNG) -> Architecture { architecture }
}

/// Every allowed op evaluated with equal weight (DARTS with uniform alpha).
public struct UniformMixtureSampler: ArchitectureSampler {
    public var opCount: Int
    public init(opCount: Int) { self.opCount = opCount }
    public mutating func sample(domains: [EdgeDomain], cells: Int, rng: inout RNG) -> Architecture {
        let edges: [EdgeChoice] = domains.map { d in
            if d.deleted { return .deleted }
            let w = 1 / Double(d.allowed.count)
            var weights = Array(repeating: 0.0, count: opCount)
            var active = Array(repeating: false, count: opCount)
            for i in d.allowed { weights[i] = w; active[i] = true }
            return .mixture(Mixture(weights: weights, active: active))
        }
        return .shared(edges, cells: cells)
    }
}
