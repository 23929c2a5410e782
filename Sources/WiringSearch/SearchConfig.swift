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
    /// false (the reference): a parameter the step's pass did not use (an op the child did not run)
    /// gets a zero gradient, so weight decay and momentum still move it at every step, as after the
    /// reference's `init_model` zero-filled every gradient. true: such parameters are left untouched
    /// (modern PyTorch, whose gradients stay None).
    public var skipMissingGradients: Bool

    /// The reference's theta optimiser (reference-spec section 5.4).
    public init(lr: Double = 0.025, momentum: Double = 0.9, weightDecay: Double = 3e-4, lrMin: Double = 0.001,
                gradClip: Double? = 5, schedule: LRSchedule = .cosine, skipMissingGradients: Bool = false) {
        self.lr = lr
        self.momentum = momentum
        self.weightDecay = weightDecay
        self.lrMin = lrMin
        self.gradClip = gradClip
        self.schedule = schedule
        self.skipMissingGradients = skipMissingGradients
    }

    private enum CodingKeys: String, CodingKey {
        case lr, momentum, weightDecay, lrMin, gradClip, schedule, skipMissingGradients
    }

    /// Reads configurations written before `skipMissingGradients` existed (it then takes the default).
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        lr = try c.decode(Double.self, forKey: .lr)
        momentum = try c.decode(Double.self, forKey: .momentum)
        weightDecay = try c.decode(Double.self, forKey: .weightDecay)
        lrMin = try c.decode(Double.self, forKey: .lrMin)
        gradClip = try c.decodeIfPresent(Double.self, forKey: .gradClip)
        schedule = try c.decode(LRSchedule.self, forKey: .schedule)
        skipMissingGradients = try c.decodeIfPresent(Bool.self, forKey: .skipMissingGradients) ?? false
    }

    /// Writes `skipMissingGradients` only when it is not the default, so the canonical JSON (and
    /// the run ids hashed from it) of existing configurations stays the same.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(lr, forKey: .lr)
        try c.encode(momentum, forKey: .momentum)
        try c.encode(weightDecay, forKey: .weightDecay)
        try c.encode(lrMin, forKey: .lrMin)
        try c.encodeIfPresent(gradClip, forKey: .gradClip)
        try c.encode(schedule, forKey: .schedule)
        if skipMissingGradients { try c.encode(skipMissingGradients, forKey: .skipMissingGradients) }
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

/// The architecture search algorithm (reference-spec sections 5.1-5.3; ProxylessNAS, paper Appx B.2).
/// Each maps to one `SearchStrategy` type in `SearchDispatch.swift`; what the experiment layer needs
/// to know about it (levels, orders, passes per step, its one-line summary) it asks that type.
public enum SearchAlgorithm: String, CaseIterable, Codable, Hashable, Sendable {
    /// One sampled child per batch, score-function alpha gradient with the edge's own cost.
    case dsnas
    /// Gumbel-softmax mixture of every op, alpha gradient by reparameterisation.
    case snas
    /// Softmax mixture of every op, alpha trained on the search half.
    case darts
    /// One sampled path per edge (binary gates), BinaryConnect alpha gradient dZhat/dalpha . C(Z).
    case proxyless

    /// The search a manifest gets when it names none: the reference's DSNAS.
    public static let standard = SearchAlgorithm.dsnas
}

/// ProxylessNAS: which ops' gates alpha's gradient involves on an edge.
public enum ProxylessGatePaths: String, CaseIterable, Codable, Hashable, Sendable {
    /// Every allowed op: dL/dZ^k of each (the original's `full_v2`; every allowed op runs in the
    /// alpha pass, the unsampled ones with gate 0).
    case all
    /// Two ops drawn from softmax(alpha) without replacement, the active one from the softmax
    /// renormalised over the pair; only the pair's gates and alphas take part (the original's `two`,
    /// with its rescaling that keeps the pair's total probability after the update).
    case two
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

/// How DSNAS weights each edge's reward in its alpha gradient (onehot_e - p_e) * w_e * reward_e.
public enum DSNASRewardWeighting: String, CaseIterable, Codable, Hashable, Sendable {
    /// The authors' code: w_e = p_e(o_e) / mean over the cell's edges e' of p_e'(o_e'), the sampled
    /// op's probability relative to the mean over edges (measured on trajectory T1 to 1e-16; docs/search.md).
    case sampleProbability = "sample_probability"
    /// w_e = 1: the plain score-function estimator of reference-spec 5.1 step 6.
    case none
}

/// DSNAS: the softmax behind the alpha gradient of an edge with a single allowed op (a fixed edge).
public enum DSNASFixedEdgeSoftmax: String, CaseIterable, Codable, Hashable, Sendable {
    /// Over the edge's allowed ops, like every other edge: the one op has probability 1, so the
    /// gradient is 0 and the fixed edge's alpha never moves but by weight decay.
    case allowedOps = "allowed_ops"
    /// The reference's forced edges (reference-spec 5.1 step 3): over all ops, so the gradient is
    /// (onehot(o) - softmax(alpha_e)) * reward_e and the fixed edge's alpha moves.
    case allOps = "all_ops"
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
    /// Single- or bi-level; `algorithm`'s `SearchStrategy.levels` says which it allows.
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
    /// DSNAS: the weight of each edge's clamped reward in the alpha gradient (the reference's by default).
    public var rewardWeighting: DSNASRewardWeighting
    /// When false, alpha stays at its initial value (DARTS `cal_stat`; cost statistics only).
    public var updateAlpha: Bool
    /// When false, theta stays frozen (DSNAS `child_reward_stat`).
    public var updateTheta: Bool
    /// The alpha optimiser.
    public var alphaOptimizer: AdamConfig
    /// DSNAS only. true (the reference, reference-spec 5.1 step 8): the running statistics of a step
    /// are those of one more training-mode supernet forward at theta before the SGD step, with every
    /// op of every edge evaluated and the one-hot weights of the sample; the child pass's own updates
    /// are dropped, so every batch norm moves once. false: skip that forward (only the norms the child
    /// ran move; only eval-mode results differ). See `Supernet.trainThetaStep`.
    public var refreshRunningStatistics: Bool
    /// DSNAS only: the softmax of a fixed edge's alpha gradient.
    public var fixedEdgeSoftmax: DSNASFixedEdgeSoftmax
    /// Second-order DARTS: the finite-difference step of the Hessian-vector product is r = radius / |v|
    /// (the reference's 0.01).
    public var hessianRadius: Double
    /// ProxylessNAS only: the gates alpha's gradient involves.
    public var gatePaths: ProxylessGatePaths

    /// The settings for `algorithm`: the shared ones below, then the strategy's own
    /// (`SearchStrategy.referenceDefaults`): DARTS runs bi-level without alpha clipping and starts
    /// alpha at 1e-3 N(0, 1); DSNAS and SNAS are single-level, clip alpha at 10, start at N(1, 0.01^2).
    public init(algorithm: SearchAlgorithm) {
        self.algorithm = algorithm
        level = .single
        order = .first
        temperature = 1.0
        temperatureMin = 0.03
        anneal = false
        alphaInit = .normal(mean: 1, std: 0.01)
        rewardClip = 5
        rewardWeighting = .sampleProbability
        updateAlpha = true
        updateTheta = true
        alphaOptimizer = AdamConfig(gradClip: 10)
        refreshRunningStatistics = true
        fixedEdgeSoftmax = .allowedOps
        hessianRadius = 0.01
        gatePaths = .all
        algorithm.strategy.referenceDefaults(&self)
        level = algorithm.strategy.levels[0]
    }

    private enum CodingKeys: String, CodingKey {
        case algorithm, level, order, temperature, temperatureMin, anneal, alphaInit, rewardClip, rewardWeighting,
             updateAlpha, updateTheta, alphaOptimizer, refreshRunningStatistics, fixedEdgeSoftmax, hessianRadius,
             gatePaths
    }

    /// Reads configurations and search states written before `rewardWeighting` and
    /// `refreshRunningStatistics` existed (they then take their defaults).
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        algorithm = try c.decode(SearchAlgorithm.self, forKey: .algorithm)
        level = try c.decode(SearchLevel.self, forKey: .level)
        order = try c.decode(DerivativeOrder.self, forKey: .order)
        temperature = try c.decode(Double.self, forKey: .temperature)
        temperatureMin = try c.decode(Double.self, forKey: .temperatureMin)
        anneal = try c.decode(Bool.self, forKey: .anneal)
        alphaInit = try c.decode(AlphaInit.self, forKey: .alphaInit)
        rewardClip = try c.decode(Double.self, forKey: .rewardClip)
        rewardWeighting = try c.decodeIfPresent(DSNASRewardWeighting.self, forKey: .rewardWeighting) ?? .sampleProbability
        updateAlpha = try c.decode(Bool.self, forKey: .updateAlpha)
        updateTheta = try c.decode(Bool.self, forKey: .updateTheta)
        alphaOptimizer = try c.decode(AdamConfig.self, forKey: .alphaOptimizer)
        refreshRunningStatistics = try c.decodeIfPresent(Bool.self, forKey: .refreshRunningStatistics)
            ?? SearchConfig(algorithm: algorithm).refreshRunningStatistics
        fixedEdgeSoftmax = try c.decodeIfPresent(DSNASFixedEdgeSoftmax.self, forKey: .fixedEdgeSoftmax) ?? .allowedOps
        hessianRadius = try c.decodeIfPresent(Double.self, forKey: .hessianRadius) ?? 0.01
        gatePaths = try c.decodeIfPresent(ProxylessGatePaths.self, forKey: .gatePaths) ?? .all
    }

    /// Writes `rewardWeighting` and `refreshRunningStatistics` only when they are not the algorithm's
    /// default (reading takes that default when they are absent), so
    /// the canonical JSON (and the run ids hashed from it) of existing configurations stays the same.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(algorithm, forKey: .algorithm)
        try c.encode(level, forKey: .level)
        try c.encode(order, forKey: .order)
        try c.encode(temperature, forKey: .temperature)
        try c.encode(temperatureMin, forKey: .temperatureMin)
        try c.encode(anneal, forKey: .anneal)
        try c.encode(alphaInit, forKey: .alphaInit)
        try c.encode(rewardClip, forKey: .rewardClip)
        if rewardWeighting != .sampleProbability { try c.encode(rewardWeighting, forKey: .rewardWeighting) }
        try c.encode(updateAlpha, forKey: .updateAlpha)
        try c.encode(updateTheta, forKey: .updateTheta)
        try c.encode(alphaOptimizer, forKey: .alphaOptimizer)
        if refreshRunningStatistics != SearchConfig(algorithm: algorithm).refreshRunningStatistics {
            try c.encode(refreshRunningStatistics, forKey: .refreshRunningStatistics)
        }
        if fixedEdgeSoftmax != .allowedOps { try c.encode(fixedEdgeSoftmax, forKey: .fixedEdgeSoftmax) }
        if hessianRadius != 0.01 { try c.encode(hessianRadius, forKey: .hessianRadius) }
        if gatePaths != .all { try c.encode(gatePaths, forKey: .gatePaths) }
    }
}
