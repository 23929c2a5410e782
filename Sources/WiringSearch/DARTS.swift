// DARTS (reference-spec 5.3): every allowed op runs, mixed with W_e = softmax(alpha_e).
//   single level  one pass on the train batch gives both gradients; dL/dalpha = softmax chain of dL/dW.
//   bi level      the architect steps alpha on the search batch first (its training-mode forward also
//                 updates the batch-norm running statistics, as the reference's does), then theta
//                 steps on the train batch with the new alpha.
//   second order  the architect differentiates the unrolled objective L_search(theta'(alpha), alpha),
//                 theta' = theta - xi (momentum * buf + dL_train/dtheta + wd * theta), xi = current lr:
//                   dalpha = dL_search(theta')/dalpha - xi * H v,  v = dL_search(theta')/dtheta',
//                   H v ~ (dL_train(theta + r v)/dalpha - dL_train(theta - r v)/dalpha) / (2 r),
//                   r = 0.01 / |v| (`hessianRadius`).
//                 The reference's version of this does not run; this one follows its code. Its virtual
//                 passes leave theta and the running statistics exactly as they were.
// Derivation in docs/search.md.
import Foundation
import WiringEngine
import WiringModel

/// Softmax-relaxed search, single- or bi-level, first or second order.
public struct DARTS: SearchStrategy, Codable {
    /// The settings it was made with.
    public private(set) var config: SearchConfig
    var learner: AlphaLearner

    /// The current alpha (shared by every cell).
    public var alpha: ArchitectureParameters { learner.alpha }
    /// The finite-difference step of the Hessian-vector product, as a fraction of |v|: r = radius / |v|.
    /// The reference's 0.01 moves theta by 0.01 in L2 norm, which can cross ReLU kinks on small networks;
    /// a smaller radius tracks the exact product more closely (docs/search.md).
    public var hessianRadius = 0.01
    /// nil: no temperature.
    public var temperature: Double? { nil }

    /// A DARTS search starting from `alpha`.
    public init(config: SearchConfig, alpha: ArchitectureParameters) {
        self.config = config
        learner = AlphaLearner(alpha: alpha, optimizer: config.alphaOptimizer)
        hessianRadius = config.hessianRadius
    }

    /// Bi level (the reference) or single level.
    public static let levels: [SearchLevel] = [.bi, .single]
    public static let orders: [DerivativeOrder] = [.first, .second]
    public static let summary = "DARTS: softmax mixture of every op (reference-spec 5)."
    public static let evaluationDraw = "DARTS the softmax mixture"
    public static let strengthPerturbation = StrengthPerturbation.removeFromMixture
    /// The theta pass; bi level adds the architect's pass, second order its three virtual passes.
    public static func passes(_ config: SearchConfig) -> [SearchPass] {
        Array(repeating: .mixture, count: config.level == .bi ? (config.order == .second ? 4 : 2) : 1)
    }
    /// No alpha clipping; alpha starts at 1e-3 N(0, 1).
    public static func referenceDefaults(_ config: inout SearchConfig) {
        config.alphaInit = .normal(mean: 0, std: 1e-3)
        config.alphaOptimizer.gradClip = nil
    }

    public func evaluationArchitecture(cells: Int, rng: inout RNG) -> Architecture { architecture(cells: cells) }

    /// Nothing changes per epoch.
    public mutating func beginEpoch(_ epoch: Int, of epochs: Int) {}

    /// softmax(alpha_e) on every edge, mixed in every cell.
    func architecture(cells: Int) -> Architecture {
        mixtureArchitecture(alpha.probabilities, domains: alpha.domains, cells: cells)
    }

    /// dL/dalpha from a pass with `architecture(cells:)`: the softmax chain of dL/dW.
    func alphaGradient(_ probe: StepProbe) -> [[Double]] {
        let dW = mixtureGradient(probe), p = alpha.probabilities
        return alpha.domains.indices.map { e in
            softmaxBackward(weights: p[e], upstream: dW[e], over: alpha.domains[e].deleted ? [] : alpha.domains[e].allowed)
        }
    }

    /// One search step (see `SearchStrategy.step` and the file header).
    public mutating func step<T: TensorElement>(net: Supernet<T>, tape: Tape<T>,
                                                train: (images: Tensor<T>, labels: [Int]),
                                                search: (images: Tensor<T>, labels: [Int])?, sgd: inout SGD<T>,
                                                lr: Double, rng: inout RNG) -> SearchStepRecord {
        let cells = net.config.cells
        var searchProbe: StepProbe?, searchArchitecture: Architecture?
        var gradient: [[Double]]?, norm = 0.0
        if config.level == .bi {
            guard let search else { preconditionFailure("DARTS: bi-level search needs a search batch") }
            searchArchitecture = architecture(cells: cells)
            let architect = config.order == .first
                ? firstOrder(net: net, tape: tape, search: search)
                : secondOrder(net: net, tape: tape, train: train, search: search, sgd: sgd, lr: lr)
            (gradient, searchProbe) = (architect.gradient, architect.probe)
            norm = learner.apply(architect.gradient, update: config.updateAlpha)
        }
        // The theta pass sees alpha after the architect's step.
        let architecture = architecture(cells: cells)
        let (trace, probe) = net.trainingPass(tape: tape, batch: train, architecture: architecture,
                                              keepStatistics: !config.updateTheta)
        if gradient == nil {
            gradient = alphaGradient(probe)
            norm = learner.apply(gradient!, update: config.updateAlpha)
        }
        let thetaNorm = config.updateTheta ? net.updateTheta(trace: trace, tape: tape, sgd: &sgd, lr: lr) : nil
        return SearchStepRecord(probe: probe, searchProbe: searchProbe, architecture: architecture,
                                searchArchitecture: searchArchitecture, alphaGradient: gradient!,
                                alphaGradientNorm: norm, temperature: nil, thetaGradientNorm: thetaNorm)
    }

    // MARK: - Architect

    /// dL_search/dalpha at the current theta. Its forward updates the running statistics (reference).
    func firstOrder<T>(net: Supernet<T>, tape: Tape<T>, search: (images: Tensor<T>, labels: [Int]))
        -> (gradient: [[Double]], probe: StepProbe) {
        let (_, probe) = net.trainingPass(tape: tape, batch: search, architecture: architecture(cells: net.config.cells),
                                          keepStatistics: !config.updateTheta)
        return (alphaGradient(probe), probe)
    }

    /// The unrolled hypergradient (see the file header). `sgd` supplies the momentum buffers and the
    /// momentum and weight-decay factors of the virtual step; the step's gradient is not clipped,
    /// as in the reference's `_compute_unrolled_model`.
    func secondOrder<T>(net: Supernet<T>, tape: Tape<T>, train: (images: Tensor<T>, labels: [Int]),
                        search: (images: Tensor<T>, labels: [Int]), sgd: SGD<T>, lr: Double)
        -> (gradient: [[Double]], probe: StepProbe) {
        let saved = net.parameters
        defer { net.parameters = saved }  // theta and running statistics, bitwise
        let architecture = architecture(cells: net.config.cells)
        func trainGradients(_ batch: (images: Tensor<T>, labels: [Int])) -> (theta: [String: Tensor<T>], probe: StepProbe) {
            let (trace, probe) = net.trainingPass(tape: tape, batch: batch, architecture: architecture, keepStatistics: true)
            return (net.gradients(trace: trace, tape: tape), probe)
        }

        // theta' = theta - xi (momentum * buf + g + wd * theta); parameters the pass skips have g = 0.
        let g = trainGradients(train).theta
        let xi = T(lr), mu = T(sgd.config.momentum), wd = T(sgd.config.weightDecay)
        for name in saved.names {
            var theta = saved[name]!
            let zeros = Tensor<T>(zeros: theta.shape)
            (sgd.momentum[name] ?? zeros).withUnsafeBufferPointer { buffer in
                (g[name] ?? zeros).withUnsafeBufferPointer { grad in
                    theta.withUnsafeMutableBufferPointer { w in
                        for i in w.indices { w[i] -= xi * (mu * buffer[i] + grad[i] + wd * w[i]) }
                    }
                }
            }
            net.parameters[name] = theta
        }

        // dL_search/dalpha and v = dL_search/dtheta' at theta'.
        let (v, probe) = trainGradients(search)
        var gradient = alphaGradient(probe)
        let vNorm = saved.names.reduce(0.0) { total, name in
            total + (v[name].map { t in t.withUnsafeBufferPointer { DeterministicSum.dot($0, $0) } } ?? 0)
        }.squareRoot()
        guard vNorm > 0 else { return (gradient, probe) }

        // Finite-difference Hessian-vector product d2L_train/(dalpha dtheta) v around theta.
        let r = hessianRadius / vNorm
        func trainAlphaGradient(shiftedBy scale: Double) -> [[Double]] {
            for name in saved.names {
                var theta = saved[name]!
                if let direction = v[name] {
                    theta.withUnsafeMutableBufferPointer { w in
                        direction.withUnsafeBufferPointer { d in
                            for i in w.indices { w[i] += T(scale) * d[i] }
                        }
                    }
                }
                net.parameters[name] = theta
            }
            return alphaGradient(trainGradients(train).probe)
        }
        let plus = trainAlphaGradient(shiftedBy: r), minus = trainAlphaGradient(shiftedBy: -r)
        for e in gradient.indices {
            for o in gradient[e].indices {
                let hessianVector: Double = (plus[e][o] - minus[e][o]) / (2 * r)
                gradient[e][o] -= lr * hessianVector
            }
        }
        return (gradient, probe)
    }
}
