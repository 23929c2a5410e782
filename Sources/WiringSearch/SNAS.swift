// SNAS as the reference runs it (reference-spec 5.2): every allowed op runs, mixed with Gumbel-softmax
// weights W_e = softmax((alpha_e + G_e) / lambda), G = -log(-log U) drawn once per batch and shared
// by every cell. One backward gives dL/dW (the probe's op costs, summed over cells because alpha is
// shared), and the reparameterisation chains it to alpha:
//   dL/dalpha_j = W_j (dL/dW_j - sum_k W_k dL/dW_k) / lambda.
// The temperature optionally anneals once per epoch. Derivation in docs/search.md.
import Foundation
import WiringEngine
import WiringModel

/// Gumbel-softmax relaxed search with the reparameterised alpha gradient.
public struct SNAS: SearchStrategy, Codable {
    /// The settings it was made with.
    public private(set) var config: SearchConfig
    var learner: AlphaLearner
    /// The current lambda.
    public private(set) var currentTemperature: Double

    /// The current alpha (shared by every cell).
    public var alpha: ArchitectureParameters { learner.alpha }
    /// The current lambda.
    public var temperature: Double? { currentTemperature }

    /// An SNAS search starting from `alpha` at temperature `config.temperature`.
    public init(config: SearchConfig, alpha: ArchitectureParameters) {
        self.config = config
        learner = AlphaLearner(alpha: alpha, optimizer: config.alphaOptimizer)
        currentTemperature = config.temperature
    }

    /// Single level only, as the reference runs it.
    public static let levels: [SearchLevel] = [.single]
    public static let orders: [DerivativeOrder] = [.first]
    public static let summary = "SNAS: Gumbel-softmax mixture of every op, alpha gradient by reparameterisation."
    public static let evaluationDraw = "SNAS a Gumbel mixture"
    public static let strengthPerturbation = StrengthPerturbation.removeFromMixture
    /// One mixture pass.
    public static func passes(_ config: SearchConfig) -> [SearchPass] { [.mixture] }
    /// The shared settings are SNAS's.
    public static func referenceDefaults(_ config: inout SearchConfig) {}

    public func evaluationArchitecture(cells: Int, rng: inout RNG) -> Architecture {
        mixtureArchitecture(gumbelWeights(rng: &rng), domains: alpha.domains, cells: cells)
    }

    /// With `config.anneal`: lambda = max(tMin, tMin + (1 - e / T)(t0 - tMin)) with e = epoch + 1,
    /// because the reference's scheduler has already stepped once when epoch 0 starts (reference-spec 5.2).
    public mutating func beginEpoch(_ epoch: Int, of epochs: Int) {
        guard config.anneal else { return }
        let e = Double(epoch + 1), t0 = config.temperature, tMin = config.temperatureMin
        currentTemperature = max(tMin, tMin + (1 - e / Double(max(1, epochs))) * (t0 - tMin))
    }

    /// Mixture weights softmax((alpha_e + G_e) / lambda) over each edge's allowed ops, with one fresh
    /// Gumbel draw per allowed (edge, op), edge by edge.
    public func gumbelWeights(rng: inout RNG) -> [[Double]] {
        alpha.domains.indices.map { e in
            let allowed = alpha.domains[e].deleted ? [] : alpha.domains[e].allowed
            var logits = Array(repeating: 0.0, count: alpha.ops)
            for o in allowed { logits[o] = (alpha.values[e][o] + rng.gumbel()) / currentTemperature }
            return softmax(logits, over: allowed)
        }
    }

    /// One search step (see `SearchStrategy.step` and the file header).
    public mutating func step<T: TensorElement>(net: Supernet<T>, tape: Tape<T>,
                                                train: (images: Tensor<T>, labels: [Int]),
                                                search: (images: Tensor<T>, labels: [Int])?, sgd: inout SGD<T>,
                                                lr: Double, rng: inout RNG) -> SearchStepRecord {
        let weights = gumbelWeights(rng: &rng)
        let architecture = mixtureArchitecture(weights, domains: alpha.domains, cells: net.config.cells)
        let (trace, probe) = net.trainingPass(tape: tape, batch: train, architecture: architecture,
                                              keepStatistics: !config.updateTheta)
        let dW = mixtureGradient(probe)
        let gradient = alpha.domains.indices.map { e in
            softmaxBackward(weights: weights[e], upstream: dW[e], over: alpha.domains[e].deleted ? [] : alpha.domains[e].allowed,
                            temperature: currentTemperature)
        }
        let thetaNorm = config.updateTheta ? net.updateTheta(trace: trace, tape: tape, sgd: &sgd, lr: lr) : nil
        let norm = learner.apply(gradient, update: config.updateAlpha)
        return SearchStepRecord(probe: probe, searchProbe: nil, architecture: architecture, searchArchitecture: nil,
                                alphaGradient: gradient, alphaGradientNorm: norm, temperature: currentTemperature,
                                thetaGradientNorm: thetaNorm)
    }
}
