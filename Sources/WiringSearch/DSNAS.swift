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
    /// The reference's extra supernet forward after each theta step (reference-spec 5.1 step 8), which
    /// only refreshes the batch-norm running statistics: `SearchConfig.refreshRunningStatistics`.
    public var refreshRunningStatistics: Bool {
        get { config.refreshRunningStatistics }
        set { config.refreshRunningStatistics = newValue }
    }

    /// The current alpha (shared by every cell).
    public var alpha: ArchitectureParameters { learner.alpha }
    /// nil: no temperature.
    public var temperature: Double? { nil }

    /// A DSNAS search starting from `alpha`.
    public init(config: SearchConfig, alpha: ArchitectureParameters) {
        self.config = config
        learner = AlphaLearner(alpha: alpha, optimizer: config.alphaOptimizer)
    }

    /// Single level only: alpha's gradient comes from the same child pass as theta's.
    public static let levels: [SearchLevel] = [.single]
    public static let orders: [DerivativeOrder] = [.first]
    public static let summary = "DSNAS: one sampled child per batch, score-function alpha gradient with the edge's own cost."
    public static let evaluationDraw = "DSNAS one op per edge from softmax(alpha)"
    public static let strengthPerturbation = StrengthPerturbation.replaceInLikeliestSubnet
    /// The child, and with `refreshRunningStatistics` the supernet forward that sets the statistics.
    public static func passes(_ config: SearchConfig) -> [SearchPass] {
        config.refreshRunningStatistics ? [.child, .statisticsRefresh] : [.child]
    }
    /// The shared settings are DSNAS's.
    public static func referenceDefaults(_ config: inout SearchConfig) {}

    public func evaluationArchitecture(cells: Int, rng: inout RNG) -> Architecture {
        .shared(sample(rng: &rng), cells: cells)
    }

    /// Nothing changes per epoch.
    public mutating func beginEpoch(_ epoch: Int, of epochs: Int) {}

    /// One op per edge: deleted edges stay deleted, single-op edges take it, the others draw from
    /// softmax(alpha_e) over their allowed ops.
    public func sample(rng: inout RNG) -> [EdgeChoice] {
        alpha.sampleOneOpPerEdge(rng: &rng)
    }

    /// One search step (see `SearchStrategy.step` and the file header): draws the architecture with
    /// `sample(rng:)`, then runs `step(net:tape:train:choices:sgd:lr:)`.
    public mutating func step<T: TensorElement>(net: Supernet<T>, tape: Tape<T>,
                                                train: (images: Tensor<T>, labels: [Int]),
                                                search: (images: Tensor<T>, labels: [Int])?, sgd: inout SGD<T>,
                                                lr: Double, rng: inout RNG) -> SearchStepRecord {
        step(net: net, tape: tape, train: train, choices: sample(rng: &rng), sgd: &sgd, lr: lr)
    }

    /// One search step with the sample given (one choice per edge, shared by every cell): the child
    /// pass, and unless `config.updateTheta` is false the theta step of `Supernet.trainThetaStep`
    /// (clip, SGD, running-statistics refresh); then the alpha gradient `alphaGradient(...)`,
    /// clipped and stepped by Adam unless `config.updateAlpha` is false. A replay of a recorded
    /// trajectory forces the recorded samples through here.
    public mutating func step<T: TensorElement>(net: Supernet<T>, tape: Tape<T>,
                                                train: (images: Tensor<T>, labels: [Int]), choices: [EdgeChoice],
                                                sgd: inout SGD<T>, lr: Double) -> SearchStepRecord {
        precondition(choices.count == alpha.edges, "DSNAS.step: \(choices.count) choices for \(alpha.edges) edges")
        let architecture = Architecture.shared(choices, cells: net.config.cells)
        let (probe, thetaNorm) = net.thetaStepOrProbe(tape: tape, batch: train, architecture: architecture,
                                                      updateTheta: config.updateTheta, sgd: &sgd, lr: lr,
                                                      refreshRunningStatistics: config.refreshRunningStatistics)
        let gradient = DSNAS.alphaGradient(alpha: alpha, choices: choices, edgeCost: probe.edgeCost,
                                           rewardClip: config.rewardClip, weighting: config.rewardWeighting,
                                           fixedEdgeSoftmax: config.fixedEdgeSoftmax, noneIndex: net.noneIndex)
        let norm = learner.apply(gradient, update: config.updateAlpha)
        return SearchStepRecord(probe: probe, searchProbe: nil, architecture: architecture, searchArchitecture: nil,
                                alphaGradient: gradient, alphaGradientNorm: norm, temperature: nil,
                                thetaGradientNorm: thetaNorm)
    }

    /// The alpha gradient with the edge's own reward (reference-spec 5.1 steps 5-6, docs/search.md):
    /// (onehot(o_e) - p_e) * w_e * clamp(sum over cells of edgeCost[cell][e], -rewardClip, rewardClip) on
    /// the edge's allowed ops, p_e = softmax(alpha_e) over them; 0 on edges that took none or are
    /// deleted. w_e = 1 (`.none`) or, as the authors' code, p_e(o_e) / mean over all edges e' of
    /// p_e'(o_e') (`.sampleProbability`; an edge with a single allowed op, or deleted, counts with
    /// the probability of its op, none for deleted, in the softmax over all ops, as the reference's
    /// forced edges do). An edge with a single allowed op takes p_e over its allowed op (gradient 0,
    /// `.allowedOps`) or over all ops (`.allOps`, the reference's forced edges).
    public static func alphaGradient(alpha: ArchitectureParameters, choices: [EdgeChoice], edgeCost: [[Double]],
                                     rewardClip: Double, weighting: DSNASRewardWeighting = .sampleProbability,
                                     fixedEdgeSoftmax: DSNASFixedEdgeSoftmax = .allowedOps,
                                     noneIndex: Int?) -> [[Double]] {
        var weight = Array(repeating: 1.0, count: choices.count)
        if weighting == .sampleProbability {
            let sampled = choices.enumerated().map { e, choice -> Double in
                let domain = alpha.domains[e]
                guard let o = choice.opIndex ?? (domain.deleted ? noneIndex : nil) else { return 0 }
                if domain.deleted || domain.allowed.count == 1 {
                    return softmax(alpha.values[e], over: Array(0..<alpha.ops))[o]
                }
                return alpha.probabilities(edge: e)[o]
            }
            let mean = sampled.reduce(0, +) / Double(max(1, sampled.count))
            if mean > 0 { weight = sampled.map { $0 / mean } }
        }
        var gradient = zeroGradient(like: alpha)
        for (e, choice) in choices.enumerated() {
            guard let o = choice.opIndex, o != noneIndex else { continue }
            let cost = edgeCost.reduce(0) { $0 + $1[e] }
            let reward = min(max(cost, -rewardClip), rewardClip) * weight[e]
            let domain = alpha.domains[e]
            if fixedEdgeSoftmax == .allOps && domain.allowed.count == 1 {
                let p = softmax(alpha.values[e], over: Array(0..<alpha.ops))
                for j in 0..<alpha.ops { gradient[e][j] = ((j == o ? 1 : 0) - p[j]) * reward }
                continue
            }
            let p = alpha.probabilities(edge: e)
            for j in domain.allowed { gradient[e][j] = ((j == o ? 1 : 0) - p[j]) * reward }
        }
        return gradient
    }
}
