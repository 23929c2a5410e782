// Settings of the `search` phase and of the two optimisers, as plain Codable values. The manifest
// (WiringExperiment) decodes YAML into these; the search code reads them and nothing else.
// Defaults are the reference scripts' (reference-spec section 5.4): SGD lr 0.025, momentum 0.9,
// wd 3e-4, cosine to 0.001, theta clip 5; Adam lr 3e-4, betas (0.5, 0.999), eps 1e-8, L2 wd 1e-3,
// alpha clip 10 (DSNAS/SNAS) or none (DARTS).

/// How the learning rate moves over a phase.
public enum LRSchedule: String, CaseIterable, Codable, Hashable, Sendable {
    /// lr_e = lrMin + (lr - lrMin)(1 + cos(pi (e + 1) / T)) / 2, stepped at the start of epoch e
    /// (0-based) of a T-epoch phase, as the reference's scheduler (reference-spec section 5.4).
    case cosine
    /// lr stays at `lr`.
    case constant
}

/// Stochastic gradient descent with momentum and L2 weight decay, for the network weights theta.
public struct SGDConfig: Codable, Hashable, Sendable {
    /// Initial learning rate.
    public var lr: Double
    /// Momentum factor (PyTorch SGD, dampening 0, not Nesterov).
    public var momentum: Double
    /// L2 penalty added to the gradient (PyTorch `weight_decay`).
    public var weightDecay: Double
    /// Final learning rate of the cosine schedule.
    public var lrMin: Double
    /// Maximum global L2 norm of the gradient; nil = no clipping.
    public var gradClip: Double?
    /// How lr moves over the phase.
    public var schedule: LRSchedule

    /// The reference's theta optimiser (reference-spec section 5.4).
    public init(lr: Double = 0.025, momentum: Double = 0.9, weightDecay: Double = 3e-4, lrMin: Double = 0.001,
                gradClip: Double? = 5, schedule: LRSchedule = .cosine) {
        self.lr = lr
        self.momentum = momentum
        self.weightDecay = weightDecay
        self.lrMin = lrMin
        self.gradClip = gradClip
        self.schedule = schedule
    }
}

/// Adam with L2 weight decay added to the gradient (so alpha decays even with a zero gradient), for
/// the architecture parameters alpha.
public struct AdamConfig: Codable, Hashable, Sendable {
    /// Learning rate.
    public var lr: Double
    /// Decay of the first-moment average.
    public var beta1: Double
    /// Decay of the second-moment average.
    public var beta2: Double
    /// Added to the square root of the second moment.
    public var eps: Double
    /// L2 penalty added to the gradient (PyTorch Adam `weight_decay`, not AdamW).
    public var weightDecay: Double
    /// Maximum global L2 norm of the alpha gradient; nil = no clipping (DARTS).
    public var gradClip: Double?

    /// The reference's alpha optimiser (reference-spec section 5.4); `gradClip` 10 is DSNAS/SNAS's.
    public init(lr: Double = 3e-4, beta1: Double = 0.5, beta2: Double = 0.999, eps: Double = 1e-8,
                weightDecay: Double = 1e-3, gradClip: Double? = 10) {
        self.lr = lr
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps
        self.weightDecay = weightDecay
        self.gradClip = gradClip
    }
}

/// The architecture search algorithm (reference-spec sections 5.1-5.3).
public enum SearchAlgorithm: String, CaseIterable, Codable, Hashable, Sendable {
    /// One sampled child per batch, score-function alpha gradient with the edge's own cost.
    case dsnas
    /// Gumbel-softmax mixture of every op, alpha gradient by reparameterisation.
    case snas
    /// Softmax mixture of every op, alpha trained on the search half.
    case darts
}

/// Whether alpha and theta see the same batch (single) or separate train/search halves (bi).
public enum SearchLevel: String, CaseIterable, Codable, Hashable, Sendable {
    case single
    case bi
}

/// Order of the bi-level alpha gradient: first ignores how theta depends on alpha.
public enum DerivativeOrder: String, CaseIterable, Codable, Hashable, Sendable {
    case first
    case second
}

/// How alpha is initialised.
public enum AlphaInit: Codable, Hashable, Sendable {
    /// Each entry drawn from N(mean, std^2): DSNAS/SNAS N(1, 0.01^2); DARTS 1e-3 N(0, 1) = N(0, 0.001^2).
    case normal(mean: Double, std: Double)
    /// Every entry equal: DARTS `cal_stat` uses 1e-3 (an exactly uniform softmax).
    case constant(Double)
}

/// Everything a `search` phase needs besides the theta optimiser.
public struct SearchConfig: Codable, Hashable, Sendable {
    /// Which search algorithm.
    public var algorithm: SearchAlgorithm
    /// Single-level (dsnas, snas, darts) or bi-level (darts only).
    public var level: SearchLevel
    /// First or second order alpha gradient (bi-level only).
    public var order: DerivativeOrder
    /// Gumbel-softmax temperature (SNAS); initial value when annealed.
    public var temperature: Double
    /// Floor of the annealed temperature.
    public var temperatureMin: Double
    /// Anneal the temperature once per epoch: max(tMin, tMin + (1 - e / T)(t0 - tMin)) (reference-spec 5.2).
    public var anneal: Bool
    /// Initial alpha, drawn from the run's seed.
    public var alphaInit: AlphaInit
    /// DSNAS clamps each edge reward to [-rewardClip, rewardClip] (reference-spec 5.1 step 5).
    public var rewardClip: Double
    /// When false, alpha stays at its initial value (DARTS `cal_stat`; cost statistics only).
    public var updateAlpha: Bool
    /// When false, theta stays frozen (DSNAS `child_reward_stat`).
    public var updateTheta: Bool
    /// The alpha optimiser.
    public var alphaOptimizer: AdamConfig

    /// The reference's settings for `algorithm`: DARTS runs bi-level without alpha clipping and starts
    /// alpha at 1e-3 N(0, 1); DSNAS and SNAS are single-level, clip alpha at 10, start at N(1, 0.01^2).
    public init(algorithm: SearchAlgorithm) {
        self.algorithm = algorithm
        level = algorithm == .darts ? .bi : .single
        order = .first
        temperature = 1.0
        temperatureMin = 0.03
        anneal = false
        alphaInit = algorithm == .darts ? .normal(mean: 0, std: 1e-3) : .normal(mean: 1, std: 0.01)
        rewardClip = 5
        updateAlpha = true
        updateTheta = true
        alphaOptimizer = AdamConfig(gradClip: algorithm == .darts ? nil : 10)
    }
}
