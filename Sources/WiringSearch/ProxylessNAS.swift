// ProxylessNAS (Cai et al. 2018) as the paper unifies it (Sec 4, Appx B.2): binary gates. Each step
// samples a one-hot Z_e per edge from p_e = softmax(alpha_e) (shared by every cell); the forward runs
// only the sampled path, theta trains on it, and alpha gets the BinaryConnect gradient
//   dL/dalpha_j = sum_k [dL/dZ^k]_c p_k (delta_jk - p_j)  =  dZhat/dalpha . C(Z),
// the straight-through estimate with Zhat = softmax(alpha): the gate gradients dL/dZ^k = sum dL/dh_e *
// op_k(x) (the probe's op costs at the one-hot gates, summed over cells) are taken at the sampled Z,
// then chained through the softmax as DARTS chains dL/dZhat. C(Z) at the sampled op is the edge cost
// DSNAS records, so Theorem 2 holds for the sampled path as it does for DSNAS's child.
//
// Levels. The original code alternates: a weight step on a train batch with one sample, then an
// architecture step on a batch of a held-out validation split with a fresh sample (first order, no
// unrolling), which is the bi-level objective ProxylessNAS inherits from DARTS. That is the default
// here (theta on the train batch, then alpha on the search half); single level takes both gradients
// from one pass on the train batch. The original updates alpha every 5th weight step
// (`grad_update_arch_param_every`); here every step, as the other algorithms do.
//
// The alpha pass evaluates every involved op with gate weight 0 except the sampled one (gate 1),
// so its output is the sampled path's bitwise and its op costs are every dL/dZ^k (the original's
// `full_v2` computes the same outputs in the backward). `gatePaths: .two` is the original's memory
// saver: two ops drawn from p without replacement, the active one from the softmax over the pair,
// only the pair's gates involved (dZhat/dalpha over the pair), and after the update the pair's
// alphas are shifted so that their total exp(alpha) is unchanged: the ops outside the pair keep their
// probability. It stays a cost-form estimator: dZhat/dalpha . C(Z) restricted to the pair.
import Foundation
import WiringEngine
import WiringModel

/// Binary-gate search with the BinaryConnect (straight-through) alpha gradient.
public struct ProxylessNAS: SearchStrategy, Codable {
    /// The settings it was made with.
    public private(set) var config: SearchConfig
    var learner: AlphaLearner

    /// The current alpha (shared by every cell).
    public var alpha: ArchitectureParameters { learner.alpha }
    /// nil: no temperature.
    public var temperature: Double? { nil }

    /// A ProxylessNAS search starting from `alpha`.
    public init(config: SearchConfig, alpha: ArchitectureParameters) {
        self.config = config
        learner = AlphaLearner(alpha: alpha, optimizer: config.alphaOptimizer)
    }

    /// Bi level (the original's alternation on a held-out split) or single level.
    public static let levels: [SearchLevel] = [.bi, .single]
    public static let orders: [DerivativeOrder] = [.first]
    public static let summary = "ProxylessNAS: one sampled path per edge (binary gates), BinaryConnect alpha gradient "
        + "dZhat/dalpha . C(Z) (paper Appx B.2); bi-level by default, as the original alternates with a held-out split."
    public static let evaluationDraw = "ProxylessNAS one op per edge from softmax(alpha)"
    public static let strengthPerturbation = StrengthPerturbation.replaceInLikeliestSubnet
    /// Bi level: the child's theta pass (and the statistics refresh when set), then the gate pass on
    /// the search batch; single level: the gate pass alone. Two-path gates run two ops per edge.
    public static func passes(_ config: SearchConfig) -> [SearchPass] {
        let gates: [SearchPass] = config.gatePaths == .all ? [.mixture] : [.child, .child]
        guard config.level == .bi else { return gates }
        return [.child] + (config.refreshRunningStatistics ? [.statisticsRefresh] : []) + gates
    }
    /// The original's: alpha from N(0, 0.001^2), no alpha clipping, only the sampled path's batch
    /// norms move in the weight step.
    public static func referenceDefaults(_ config: inout SearchConfig) {
        config.alphaInit = .normal(mean: 0, std: 1e-3)
        config.alphaOptimizer.gradClip = nil
        config.refreshRunningStatistics = false
    }

    /// The binary gate of one edge.
    public struct Gate: Hashable, Sendable {
        /// The sampled op (gate 1); nil for a deleted edge.
        public var active: Int?
        /// The ops whose gate gradient alpha's gradient uses (the allowed ops, or the sampled pair).
        public var involved: [Int]

        public init(active: Int?, involved: [Int]) {
            self.active = active
            self.involved = involved
        }
    }

    public func evaluationArchitecture(cells: Int, rng: inout RNG) -> Architecture {
        .shared(sampleOps(rng: &rng), cells: cells)
    }

    /// One op per edge from softmax(alpha_e) over its allowed ops (single-op edges take it, deleted
    /// edges stay deleted): the weight step's sample, which the original draws this way in either
    /// gate mode (its `MixedEdge.MODE` is `two` only in the architecture step).
    public func sampleOps(rng: inout RNG) -> [EdgeChoice] {
        alpha.sampleOneOpPerEdge(rng: &rng)
    }

    /// Nothing changes per epoch.
    public mutating func beginEpoch(_ epoch: Int, of epochs: Int) {}

    /// One gate per edge: deleted edges none, single-op edges their op, the others a draw from
    /// softmax(alpha_e) over their allowed ops (`.all`, the same draw as DSNAS's), or two draws
    /// without replacement and the active one from the softmax renormalised over the pair (`.two`).
    public func sampleGates(rng: inout RNG) -> [Gate] {
        alpha.domains.indices.map { e in
            let domain = alpha.domains[e]
            if domain.deleted { return Gate(active: nil, involved: []) }
            if domain.allowed.count == 1 { return Gate(active: domain.allowed[0], involved: domain.allowed) }
            var p = alpha.probabilities(edge: e)
            guard config.gatePaths == .two else { return Gate(active: rng.categorical(p), involved: domain.allowed) }
            let first = rng.categorical(p)
            p[first] = 0
            let pair = [first, rng.categorical(p)]
            let q = softmax(alpha.values[e], over: pair)
            return Gate(active: rng.categorical(pair.map { q[$0] }) == 0 ? pair[0] : pair[1], involved: pair)
        }
    }

    /// The sampled path: the active op of every edge.
    public static func childArchitecture(_ gates: [Gate], cells: Int) -> Architecture {
        .shared(gates.map { $0.active.map(EdgeChoice.op) ?? .deleted }, cells: cells)
    }

    /// The gates as mixture weights: 1 on the active op, 0 on the other involved ops (evaluated, so
    /// their dL/dZ^k is measured), the rest left out. Its output equals the sampled path's.
    public static func gateArchitecture(_ gates: [Gate], ops: Int, cells: Int) -> Architecture {
        .shared(gates.map { gate in
            guard let active = gate.active else { return .deleted }
            if gate.involved.count == 1 { return .op(active) }
            let weights = (0..<ops).map { $0 == active ? 1.0 : 0.0 }
            return .mixture(Mixture(weights: weights, active: (0..<ops).map { gate.involved.contains($0) }))
        }, cells: cells)
    }

    /// The BinaryConnect gradient: on each edge, dL/dalpha_j = sum_k gateCost[e][k] q_k (delta_jk - q_j)
    /// over the involved ops, q = softmax(alpha_e) over them (p_e itself for `.all`); 0 on edges with
    /// fewer than two involved ops and on ops not involved.
    /// - Parameter gateCost: dL/dZ^k of every (edge, op), summed over cells (alpha is shared).
    public static func alphaGradient(alpha: ArchitectureParameters, gates: [Gate], gateCost: [[Double]]) -> [[Double]] {
        var gradient = zeroGradient(like: alpha)
        for (e, gate) in gates.enumerated() where gate.involved.count > 1 {
            let q = softmax(alpha.values[e], over: gate.involved)
            gradient[e] = softmaxBackward(weights: q, upstream: gateCost[e], over: gate.involved)
        }
        return gradient
    }

    /// One search step (see `SearchStrategy.step` and the file header).
    public mutating func step<T: TensorElement>(net: Supernet<T>, tape: Tape<T>,
                                                train: (images: Tensor<T>, labels: [Int]),
                                                search: (images: Tensor<T>, labels: [Int])?, sgd: inout SGD<T>,
                                                lr: Double, rng: inout RNG) -> SearchStepRecord {
        let cells = net.config.cells, ops = net.config.ops.count
        if config.level == .bi {
            guard let search else { preconditionFailure("ProxylessNAS: bi-level search needs a search batch") }
            // The weight step first, on the train batch with its own sample, as the original alternates.
            let child = Architecture.shared(sampleOps(rng: &rng), cells: cells)
            let (probe, thetaNorm) = net.thetaStepOrProbe(tape: tape, batch: train, architecture: child,
                                                          updateTheta: config.updateTheta, sgd: &sgd, lr: lr,
                                                          refreshRunningStatistics: config.refreshRunningStatistics)
            // Then alpha on the search batch with a fresh sample.
            let gates = sampleGates(rng: &rng)
            let gateArchitecture = Self.gateArchitecture(gates, ops: ops, cells: cells)
            let searchProbe = net.trainingPass(tape: tape, batch: search, architecture: gateArchitecture,
                                               keepStatistics: !config.updateTheta).probe
            let (gradient, norm) = updateAlpha(gates: gates, probe: searchProbe)
            return SearchStepRecord(probe: probe, searchProbe: searchProbe, architecture: child,
                                    searchArchitecture: gateArchitecture, alphaGradient: gradient,
                                    alphaGradientNorm: norm, temperature: nil, thetaGradientNorm: thetaNorm)
        }
        // Single level: one gate pass gives both gradients; theta takes the sampled path's only.
        let gates = sampleGates(rng: &rng)
        let child = Self.childArchitecture(gates, cells: cells)
        let (trace, probe) = net.trainingPass(tape: tape, batch: train,
                                              architecture: Self.gateArchitecture(gates, ops: ops, cells: cells),
                                              keepStatistics: !config.updateTheta)
        var thetaNorm: Double?
        if config.updateTheta {
            let used = net.activeParameterNames(child)
            var gradients = net.gradients(trace: trace, tape: tape).filter { used.contains($0.key) }
            thetaNorm = net.applyTheta(&gradients, sgd: &sgd, lr: lr)
        }
        let (gradient, norm) = updateAlpha(gates: gates, probe: probe)
        return SearchStepRecord(probe: probe, searchProbe: nil, architecture: child, searchArchitecture: nil,
                                alphaGradient: gradient, alphaGradientNorm: norm, temperature: nil,
                                thetaGradientNorm: thetaNorm)
    }

    /// The gradient from a gate pass's probe, clipped and stepped by Adam; with two-path gates the
    /// pair's alphas are then shifted back to their total exp(alpha) before the step.
    mutating func updateAlpha(gates: [Gate], probe: StepProbe) -> (gradient: [[Double]], norm: Double) {
        let gradient = Self.alphaGradient(alpha: alpha, gates: gates, gateCost: mixtureGradient(probe))
        let before = alpha.values
        let norm = learner.apply(gradient, update: config.updateAlpha)
        if config.gatePaths == .two && config.updateAlpha {
            for (e, gate) in gates.enumerated() where gate.involved.count > 1 {
                let offset = logSumExp(gate.involved.map { alpha.values[e][$0] })
                    - logSumExp(gate.involved.map { before[e][$0] })
                for o in gate.involved { learner.alpha.values[e][o] -= offset }
            }
        }
        return (gradient, norm)
    }
}

/// log sum exp(x), shifted by the max so exp stays finite.
func logSumExp(_ x: [Double]) -> Double {
    guard let top = x.max() else { return -.infinity }
    return top + Double.log(x.reduce(0) { $0 + Double.exp($1 - top) })
}
