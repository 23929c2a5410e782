// DSNAS as the reference runs it (reference-spec 5.1): one one-hot architecture per batch, drawn
// from softmax(alpha) and shared by every cell; only the sampled ops run (the child network).
// theta gets the child's gradient; alpha gets the score-function estimate with the edge's own cost:
//   dalpha_e = (onehot_e - p_e) * clamp(sum over cells of C[cell, e], -rewardClip, rewardClip),
// where C = sum dL/dh_e * h_e is the edge cost (= dL/dZ at the sampled op, Z = 1). Derivation in
// docs/search.md.
import Foundation
import WiringEngine
import WiringModel

/// Discrete-sampling search with the edge-cost score-function alpha gradient.
public struct DSNAS: SearchStrategy, Codable {
    /// The settings it was made with.
    public private(set) var config: SearchConfig
    var learner: AlphaLearner
    /// After each theta step, run the supernet forward once with every allowed op evaluated and the
    /// one-hot weights, only to update every op's batch-norm running statistics (reference-spec 5.1
    /// step 8). It changes nothing but eval-mode results, so it is off by default.
    public var refreshRunningStatistics = false

    /// The current alpha (shared by every cell).
    public var alpha: ArchitectureParameters { learner.alpha }
    /// nil: no temperature.
    public var temperature: Double? { nil }

    /// A DSNAS search starting from `alpha`.
    public init(config: SearchConfig, alpha: ArchitectureParameters) {
        self.config = config
        learner = AlphaLearner(alpha: alpha, optimizer: config.alphaOptimizer)
    }

    /// Nothing changes per epoch.
    public mutating func beginEpoch(_ epoch: Int, of epochs: Int) {}

    /// One op per edge: deleted edges stay deleted, single-op edges take it, the others draw from
    /// softmax(alpha_e) over their allowed ops.
    public func sample(rng: inout RNG) -> [EdgeChoice] {
        alpha.domains.indices.map { e in
            let domain = alpha.domains[e]
            if domain.deleted { return .deleted }
            if domain.allowed.count == 1 { return .op(domain.allowed[0]) }
            return .op(rng.categorical(alpha.probabilities(edge: e)))
        }
    }

    /// One search step (see `SearchStrategy.step` and the file header).
    public mutating func step<T: TensorElement>(net: Supernet<T>, tape: Tape<T>,
                                                train: (images: Tensor<T>, labels: [Int]),
                                                search: (images: Tensor<T>, labels: [Int])?, sgd: inout SGD<T>,
                                                lr: Double, rng: inout RNG) -> SearchStepRecord {
        let choices = sample(rng: &rng)
        let architecture = Architecture.shared(choices, cells: net.config.cells)
        let (trace, probe) = net.trainingPass(tape: tape, batch: train, architecture: architecture,
                                              keepStatistics: !config.updateTheta)

        // Score-function gradient with the edge's own reward; none and deleted edges get 0.
        var gradient = zeroGradient(like: alpha)
        for (e, choice) in choices.enumerated() {
            guard let o = choice.opIndex, o != net.noneIndex else { continue }
            let cost = probe.edgeCost.reduce(0) { $0 + $1[e] }
            let reward = min(max(cost, -config.rewardClip), config.rewardClip)
            let p = alpha.probabilities(edge: e)
            for j in alpha.domains[e].allowed { gradient[e][j] = ((j == o ? 1 : 0) - p[j]) * reward }
        }

        if config.updateTheta {
            net.updateTheta(trace: trace, tape: tape, sgd: &sgd, lr: lr)
            if refreshRunningStatistics {
                tape.reset()
                let oneHot = choices.map { c in (0..<alpha.ops).map { $0 == c.opIndex ? 1.0 : 0.0 } }
                _ = net.forward(tape: tape, images: train.images,
                                architecture: mixtureArchitecture(oneHot, domains: alpha.domains, cells: net.config.cells),
                                training: true, probes: false)
            }
        }
        let norm = learner.apply(gradient, update: config.updateAlpha)
        return SearchStepRecord(probe: probe, searchProbe: nil, architecture: architecture, searchArchitecture: nil,
                                alphaGradient: gradient, alphaGradientNorm: norm, temperature: nil)
    }
}
