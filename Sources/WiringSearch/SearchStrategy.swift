// The interface the runner drives a `search` phase through, and the pieces the algorithms
// share: the alpha optimiser (clip, then Adam), the theta step (clip, then SGD), one training pass
// on a fresh tape, and mixture architectures built from per-edge weights.
//
// A strategy is a value: alpha, the Adam moments and the temperature are its whole state, so a
// checkpoint stores `encodedState()` and a resumed run continues bitwise. The network's theta,
// the SGD momentum and the random stream stay with the runner, which checkpoints them already.
import Foundation
import WiringEngine
import WiringModel

/// A differentiable architecture search algorithm (reference-spec 5.1-5.3, ProxylessNAS), called once
/// per batch. Besides the step, the type states its facts (levels, orders, passes, defaults, the
/// manifest's one-liners), so the experiment layer asks `SearchConfig` (`SearchFacts.swift`) rather
/// than testing which algorithm it has, and a new algorithm is its file plus one line in each
/// switch of `SearchDispatch.swift`.
public protocol SearchStrategy {
    /// A search starting from `alpha`.
    init(config: SearchConfig, alpha: ArchitectureParameters)

    /// The levels it runs, its default first.
    static var levels: [SearchLevel] { get }
    /// The derivative orders it runs at bi level (every algorithm runs `.first`).
    static var orders: [DerivativeOrder] { get }
    /// One line for the manifest reference: what a step samples or mixes, and alpha's gradient.
    static var summary: String { get }
    /// How `evaluationArchitecture` draws an eval batch's architecture, for the manifest reference.
    static var evaluationDraw: String { get }
    /// The network passes one step of `config` computes (the planner's cost estimate).
    static func passes(_ config: SearchConfig) -> [SearchPass]
    /// Sets the reference's settings that differ from the shared ones of `SearchConfig(algorithm:)`
    /// (the level comes from `levels`).
    static func referenceDefaults(_ config: inout SearchConfig)
    /// How op strength is measured (`OperationStrength.swift`): in the mixture or in the likeliest subnet.
    static var strengthPerturbation: StrengthPerturbation { get }

    /// The settings it was made with.
    var config: SearchConfig { get }
    /// The current architecture parameters of the normal cell (shared by every cell).
    var alpha: ArchitectureParameters { get }
    /// The Gumbel-softmax temperature for SNAS, nil for the others.
    var temperature: Double? { get }

    /// Called at the start of every epoch (SNAS anneals its temperature here). Idempotent: the
    /// runner may call it again for the epoch it resumes in.
    mutating func beginEpoch(_ epoch: Int, of epochs: Int)

    /// One search step: builds the architecture from alpha (sample, Gumbel mixture or softmax mixture),
    /// runs `net` on `train` (and first on `search` for bi-level DARTS), updates alpha with Adam
    /// unless `config.updateAlpha` is false, and theta with `sgd` at `lr` unless `config.updateTheta`
    /// is false (then the batch-norm running statistics are left as they were, too).
    ///
    /// - Parameters:
    ///   - tape: reset and reused for every pass of the step.
    ///   - search: the search-half batch; required for bi-level DARTS, ignored otherwise.
    ///   - rng: the sampling stream (DSNAS's one-hot draw, SNAS's Gumbel noise).
    /// - Precondition: `search` is given when `config.level` is `.bi` and the algorithm is DARTS.
    mutating func step<T: TensorElement>(net: Supernet<T>, tape: Tape<T>, train: (images: Tensor<T>, labels: [Int]),
                                         search: (images: Tensor<T>, labels: [Int])?, sgd: inout SGD<T>, lr: Double,
                                         rng: inout RNG) -> SearchStepRecord

    /// Everything needed to resume bitwise (alpha, Adam moments, temperature), as JSON.
    func encodedState() throws -> Data
    /// Replaces the state with one from `encodedState()`.
    /// - Throws: `SearchError.stateMismatch` when the state belongs to another algorithm or alpha shape;
    ///   a `DecodingError` when the data is not a state at all.
    mutating func restoreState(_ data: Data) throws

    /// The architecture of an eval pass batch under the current alpha, drawn the way `step` draws
    /// it (DSNAS: one op per edge from softmax(alpha); SNAS: a Gumbel-softmax mixture at the current
    /// temperature; DARTS: the softmax mixture), with `rng` (not the training stream).
    func evaluationArchitecture(cells: Int, rng: inout RNG) -> Architecture
}

/// What one search step did, for the runner to record.
public struct SearchStepRecord {
    /// Probes of the theta pass on the train batch (the architecture in `architecture`).
    public var probe: StepProbe
    /// Bi level: probes of alpha's pass on the search batch (DARTS: the architect's, with second
    /// order at the unrolled theta', its `opCost` the reference's `cal_stat` cost, reference-spec 6.2;
    /// ProxylessNAS: the binary-gate pass, its `opCost` dL/dZ^k of every involved op).
    public var searchProbe: StepProbe?
    /// What was evaluated on the train batch: one-hot choices (DSNAS, ProxylessNAS: the sampled path)
    /// or mixtures (SNAS, DARTS).
    public var architecture: Architecture
    /// Bi level: what alpha's pass evaluated on the search batch (DARTS: the mixture at alpha before
    /// this step's update; ProxylessNAS: the binary gates, one-hot weights over the involved ops).
    public var searchArchitecture: Architecture?
    /// dLoss/dalpha[edge][op] of this step, before clipping and before Adam's weight decay.
    public var alphaGradient: [[Double]]
    /// Global L2 norm of `alphaGradient` (before clipping).
    public var alphaGradientNorm: Double
    /// SNAS's temperature in this step; nil for the others.
    public var temperature: Double?
    /// Global L2 norm of theta's gradient before clipping; nil when theta was not updated.
    public var thetaGradientNorm: Double? = nil
}

/// Errors a user can cause in this module.
public enum SearchError: Error, CustomStringConvertible, Hashable, Sendable {
    /// A saved search state does not fit the strategy it is restored into.
    case stateMismatch(String)

    /// One line: what does not fit and how to fix it.
    public var description: String {
        switch self {
        case let .stateMismatch(why): return "search state: \(why); resume with the manifest that wrote the checkpoint"
        }
    }
}

// MARK: - State

extension SearchStrategy where Self: Codable {
    /// The whole strategy value as sorted-key JSON.
    public func encodedState() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        // Swift writes the shortest decimal that reads back to the same Double, so JSON is bitwise.
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf",
                                                                      nan: "nan")
        return try encoder.encode(self)
    }

    /// Decodes a whole strategy value after checking that it was written by this algorithm.
    public mutating func restoreState(_ data: Data) throws {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf",
                                                                        negativeInfinity: "-inf", nan: "nan")
        // Read the algorithm first: another algorithm's state may not even decode as this one.
        let saved = try decoder.decode(StateHeader.self, from: data).config.algorithm
        guard saved == config.algorithm else {
            throw SearchError.stateMismatch("saved by \(saved.rawValue), restored into \(config.algorithm.rawValue)")
        }
        let restored = try decoder.decode(Self.self, from: data)
        guard restored.alpha.domains == alpha.domains, restored.alpha.ops == alpha.ops else {
            throw SearchError.stateMismatch("saved alpha is \(restored.alpha.edges) edges x \(restored.alpha.ops) ops "
                                            + "with other edge domains, expected \(alpha.edges) x \(alpha.ops)")
        }
        self = restored
    }
}

/// The part of every strategy's state that says which algorithm wrote it.
private struct StateHeader: Decodable {
    var config: SearchConfig
}

// MARK: - Shared pieces

/// Alpha and its optimiser: global-norm clipping (`AdamConfig.gradClip`), then Adam with L2 decay.
struct AlphaLearner: Codable, Hashable, Sendable {
    var alpha: ArchitectureParameters
    var adam: Adam

    init(alpha: ArchitectureParameters, optimizer: AdamConfig) {
        self.alpha = alpha
        adam = Adam(config: optimizer)
    }

    /// Clips `gradient` and, when `update`, takes one Adam step. Returns the norm before clipping.
    mutating func apply(_ gradient: [[Double]], update: Bool) -> Double {
        var g = gradient.flatMap { $0 }
        let norm = g.reduce(0) { $0 + $1 * $1 }.squareRoot()
        // torch.nn.utils.clip_grad_norm_: scale by max / (norm + 1e-6) when that is below 1.
        if let clip = adam.config.gradClip, clip / (norm + 1e-6) < 1 {
            let coefficient = clip / (norm + 1e-6)
            for i in g.indices { g[i] *= coefficient }
        }
        if update {
            var x = alpha.flattened
            adam.step(&x, gradient: g)
            alpha.setFlattened(x)
        }
        return norm
    }
}

/// A zero alpha-shaped matrix.
func zeroGradient(like alpha: ArchitectureParameters) -> [[Double]] {
    Array(repeating: Array(repeating: 0, count: alpha.ops), count: alpha.edges)
}

/// The same mixture on every cell: `weights[edge]` over the edge's allowed ops (the others are left
/// out of the sum), deleted edges deleted.
func mixtureArchitecture(_ weights: [[Double]], domains: [EdgeDomain], cells: Int) -> Architecture {
    let edges: [EdgeChoice] = domains.indices.map { e in
        if domains[e].deleted { return .deleted }
        var active = Array(repeating: false, count: weights[e].count)
        for o in domains[e].allowed { active[o] = true }
        return .mixture(Mixture(weights: weights[e], active: active))
    }
    return .shared(edges, cells: cells)
}

/// dL/dW[edge][op] summed over cells: alpha is shared, so each cell's mixture contributes.
func mixtureGradient(_ probe: StepProbe) -> [[Double]] {
    var g = probe.opCost[0]
    for cell in probe.opCost.dropFirst() {
        for e in cell.indices { for o in cell[e].indices { g[e][o] += cell[e][o] } }
    }
    return g
}

extension Supernet {
    /// One training-mode pass on a fresh tape: forward, mean cross-entropy, backward, probes. With
    /// `keepStatistics` the batch-norm running statistics are restored afterwards (frozen theta,
    /// virtual passes), as the runner's probe phase does (it calls this).
    public func trainingPass(tape: Tape<T>, batch: (images: Tensor<T>, labels: [Int]), architecture: Architecture,
                      keepStatistics: Bool) -> (trace: ForwardTrace, probe: StepProbe) {
        tape.reset()
        let statistics = keepStatistics ? parameters.runningStatistics : nil
        let result = step(tape: tape, images: batch.images, labels: batch.labels, architecture: architecture)
        if let statistics { parameters.runningStatistics = statistics }
        return result
    }

    /// Clips theta's gradient from the last pass (`SGDConfig.gradClip`) and takes one SGD step.
    /// Parameters the pass did not use get a zero gradient unless `SGDConfig.skipMissingGradients`
    /// (reference-spec 5.1). Returns the gradient's global norm before clipping.
    @discardableResult
    func updateTheta(trace: ForwardTrace, tape: Tape<T>, sgd: inout SGD<T>, lr: Double) -> Double {
        var gradients = gradients(trace: trace, tape: tape)
        return applyTheta(&gradients, sgd: &sgd, lr: lr)
    }

    /// clip_grad_norm_ (`SGDConfig.gradClip`), then one SGD step at `lr`. Returns the norm before clipping.
    func applyTheta(_ gradients: inout [String: Tensor<T>], sgd: inout SGD<T>, lr: Double) -> Double {
        let norm: Double
        if let clip = sgd.config.gradClip {
            norm = clipGlobalNorm(&gradients, maxNorm: clip)
        } else {
            norm = gradients.keys.sorted().reduce(0.0) { total, name in
                total + gradients[name]!.withUnsafeBufferPointer { DeterministicSum.dot($0, $0) }
            }.squareRoot()
        }
        sgd.step(&parameters, gradients: gradients, lr: lr)
        return norm
    }
}
