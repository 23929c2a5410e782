// The phases of a run as a sum type: one case per kind, each with exactly the settings that kind
// uses, so adding a kind makes the compiler point at every place that must handle it (the schema,
// the runner's phase factory, the cost model, the encoding below).
import WiringSearch

/// What a phase does with theta and alpha (the manifest's `kind`).
public enum PhaseKind: String, CaseIterable, Codable, Hashable, Sendable {
    /// Theta and alpha frozen; Monte-Carlo cost statistics under sampling (`child_reward_stat`).
    case probe
    /// Theta trained by SGD with uniformly sampled or fixed ops; alpha untouched (`random_sample`).
    case train
    /// Alpha updated by a search algorithm (and theta, unless `updateTheta` is false).
    case search
    /// Theta and alpha frozen; passes over the test images in eval-mode batch norm (`EvalLog`).
    case eval
}

/// How each edge's op is chosen in probe and train phases.
public enum SamplingMode: String, CaseIterable, Codable, Hashable, Sendable {
    /// Every edge draws uniformly from its allowed ops, independently every batch (`random_sample`).
    case uniform
    /// Every edge is fixed or deleted by `edges`, so there is nothing to draw.
    case fixed
}

/// How long a phase lasts.
public struct PhaseLength: Codable, Hashable, Sendable {
    /// Whether `count` counts epochs or batches.
    public enum Unit: String, Codable, Hashable, Sendable {
        case epochs
        case batches
    }

    /// Epochs or batches.
    public var unit: Unit
    /// How many, at least 1.
    public var count: Int

    /// `count` epochs or batches.
    public init(_ unit: Unit, _ count: Int) {
        self.unit = unit
        self.count = count
    }

    /// Steps (batches) this lasts with `batchesPerEpoch` batches in an epoch.
    public func steps(batchesPerEpoch: Int) -> Int { unit == .epochs ? count * batchesPerEpoch : count }
}

/// A probe phase: theta frozen, ops sampled, cost statistics only.
public struct ProbeSettings: Hashable, Sendable {
    public var sampling: SamplingMode = .uniform
    /// Enumerate every subnet at the phase's end for the exact expected costs; nil: no.
    public var exactCost: ExactCostSettings?
    /// Stop once every mean cost's sign is known (the phase's length is the cap); nil: run the length.
    public var untilSignKnown: SignKnownSettings?
    public init() {}

    /// The settings, or their defaults when off (what an `exact_cost:` mapping starts from).
    var exactCostOrDefaults: ExactCostSettings {
        get { exactCost ?? ExactCostSettings() }
        set { exactCost = newValue }
    }

    /// The settings, or their defaults when off (what an `until_sign_known:` mapping starts from).
    var untilSignKnownOrDefaults: SignKnownSettings {
        get { untilSignKnown ?? SignKnownSettings() }
        set { untilSignKnown = newValue }
    }
}

/// A probe phase that stops when every (cell, edge, op)'s mean cost interval mean ± z·SEM excludes 0.
public struct SignKnownSettings: Codable, Hashable, Sendable {
    /// The interval's half-width in standard errors (1.96: 95 %).
    public var z = 1.96
    /// Draws of an (edge, op) before its interval counts.
    public var minSamples = 5
    public init() {}
}

/// A probe phase's exact expectation (`probe/exact_cost`): every subnet on `batches` batches of its own stream.
public struct ExactCostSettings: Codable, Hashable, Sendable {
    public var batches = 2
    public init() {}
}

/// A train phase: theta trained by SGD under sampled or fixed ops.
public struct TrainSettings: Hashable, Sendable {
    public var sampling: SamplingMode = .uniform
    public var optimizer = SGDConfig()
    /// The reference's batch-norm statistics: one supernet forward (every op, one-hot weights) before
    /// each SGD step sets them (`Supernet.trainThetaStep`); false: only the sampled child's norms move.
    public var refreshRunningStatistics = true
    /// An eval pass over the test images after every this many epochs (and after the last); nil: none.
    public var evalEvery: Int?
    public init() {}
}

/// A search phase: alpha (and theta) updated by a search algorithm.
public struct SearchSettings: Hashable, Sendable {
    public var search = SearchConfig(algorithm: .standard)
    /// The theta optimiser.
    public var optimizer = SGDConfig()
    /// An eval pass over the test images after every this many epochs (and after the last); nil: none.
    public var evalEvery: Int?
    /// Per-epoch diagnostics on held-out batches (Hessian, op strength, op costs); nil: none.
    public var diagnostics: SearchDiagnostics?
    public init() {}
}

extension SearchSettings {
    /// The diagnostics, or their defaults when off (what a `diagnostics:` mapping starts from).
    var diagnosticsOrDefaults: SearchDiagnostics {
        get { diagnostics ?? SearchDiagnostics() }
        set { diagnostics = newValue }
    }
}

/// What a search phase measures after its epochs besides alpha (issue 34), on `batches` batches of its
/// own stream (the search half when bi-level, else the training images), theta and the running
/// statistics untouched: dL/dW of every op, the Hessian of the loss in alpha and op strength.
public struct SearchDiagnostics: Codable, Hashable, Sendable {
    /// After every this many epochs of the phase, and after its last.
    public var every = 1
    /// Batches (of `data.batch_size`) the measurements average over.
    public var batches = 4
    /// The Hessian of the search loss in alpha: dominant eigenvalue, and the matrix when small.
    public var hessian = true
    /// Op strength by perturbation (DARTS-PT).
    public var strength = true
    /// Hessian-vector products power iteration may take when the matrix is not recorded.
    public var powerIterations = 20
    /// The most alpha entries (edges x ops) for which the full matrix is recorded.
    public var fullMatrixLimit = 64
    public init() {}

    /// Whether the measurements run after `epoch` of `epochs`.
    public func runs(after epoch: Int, of epochs: Int) -> Bool { (epoch + 1) % every == 0 || epoch + 1 == epochs }
}

/// An eval phase: one pass over the test images per epoch of its length, theta and alpha frozen,
/// batch norm in eval mode (running statistics), ops drawn per batch as a probe draws them.
public struct EvalSettings: Hashable, Sendable {
    public var sampling: SamplingMode = .uniform
    public init() {}
}

/// What a phase does, with the settings of its kind.
public enum PhaseWork: Hashable, Sendable {
    case probe(ProbeSettings)
    case train(TrainSettings)
    case search(SearchSettings)
    case eval(EvalSettings)

    /// The manifest's `kind`.
    public var kind: PhaseKind {
        switch self {
        case .probe: return .probe
        case .train: return .train
        case .search: return .search
        case .eval: return .eval
        }
    }

    /// The theta optimiser, for the kinds that train theta.
    public var optimizer: SGDConfig? {
        switch self {
        case .probe, .eval: return nil
        case let .train(s): return s.optimizer
        case let .search(s): return s.optimizer
        }
    }

    /// Epochs between eval passes of a train or search phase (nil: none).
    public var evalEvery: Int? {
        switch self {
        case .probe, .eval: return nil
        case let .train(s): return s.evalEvery
        case let .search(s): return s.evalEvery
        }
    }
}

/// One phase of a run, in order.
public struct PhaseConfig: Hashable, Sendable {
    /// Unique within the run; the HDF5 `/phases` label.
    public var name: String
    /// How long it lasts.
    public var length: PhaseLength
    /// What it does.
    public var work: PhaseWork

    public init(name: String, length: PhaseLength, work: PhaseWork) {
        self.name = name
        self.length = length
        self.work = work
    }

    public var kind: PhaseKind { work.kind }

    /// Whether the phase makes eval passes over the test images.
    public var evaluates: Bool { kind == .eval || work.evalEvery != nil }

    // The one place for a phase's length: the executor's step loop, the manifest checks and the cost model
    // all ask these (with `DataConfig.batchesPerEpoch`).

    /// Training steps (batches) the phase takes with `batchesPerEpoch` batches in an epoch. An eval phase
    /// takes none: its passes over the test images run whole between phases.
    public func steps(batchesPerEpoch: Int) -> Int {
        kind == .eval ? 0 : length.steps(batchesPerEpoch: batchesPerEpoch)
    }

    /// Epochs the phase spans: of the training images (the last one partial when `length` counts batches), or,
    /// for an eval phase, its passes over the test images.
    public func epochs(batchesPerEpoch: Int) -> Int {
        if kind == .eval || length.unit == .epochs { return length.count }
        return (length.count + batchesPerEpoch - 1) / max(1, batchesPerEpoch)
    }
}

extension RunConfig {
    /// Training steps of phase `p` (0 for an eval phase).
    public func steps(ofPhase p: Int) -> Int { phases[p].steps(batchesPerEpoch: data.batchesPerEpoch) }

    /// Epochs of phase `p` (an eval phase: its passes over the test images).
    public func epochs(ofPhase p: Int) -> Int { phases[p].epochs(batchesPerEpoch: data.batchesPerEpoch) }

    /// Training steps of the whole run.
    public var totalSteps: Int { phases.indices.reduce(0) { $0 + steps(ofPhase: $1) } }
}

// The encoding is flat ({name, kind, length, sampling?, optimizer?, search?}): it is what run ids hash
// (RunConfig.canonicalJSON), so it stays the same however the Swift types are arranged.
extension PhaseConfig: Codable {
    private enum Key: String, CodingKey { case name, kind, length, sampling, optimizer, search, refreshRunningStatistics, evalEvery, diagnostics, exactCost, untilSignKnown }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        try c.encode(name, forKey: .name)
        try c.encode(kind, forKey: .kind)
        try c.encode(length, forKey: .length)
        switch work {
        case let .probe(s):
            try c.encode(s.sampling, forKey: .sampling)
            try c.encodeIfPresent(s.exactCost, forKey: .exactCost)  // absent when off: ids stay as they were
            try c.encodeIfPresent(s.untilSignKnown, forKey: .untilSignKnown)
        case let .train(s):
            try c.encode(s.sampling, forKey: .sampling)
            try c.encode(s.optimizer, forKey: .optimizer)
            // Written only when off, so the run ids of default train phases stay what they were.
            if !s.refreshRunningStatistics { try c.encode(false, forKey: .refreshRunningStatistics) }
            try c.encodeIfPresent(s.evalEvery, forKey: .evalEvery)  // absent when off: ids stay as they were
        case let .search(s):
            try c.encode(s.optimizer, forKey: .optimizer)
            try c.encode(s.search, forKey: .search)
            try c.encodeIfPresent(s.evalEvery, forKey: .evalEvery)
            try c.encodeIfPresent(s.diagnostics, forKey: .diagnostics)  // absent when off: ids stay as they were
        case let .eval(s):
            try c.encode(s.sampling, forKey: .sampling)
        }
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: Key.self)
        name = try c.decode(String.self, forKey: .name)
        length = try c.decode(PhaseLength.self, forKey: .length)
        switch try c.decode(PhaseKind.self, forKey: .kind) {
        case .probe:
            var s = ProbeSettings()
            s.sampling = try c.decode(SamplingMode.self, forKey: .sampling)
            s.exactCost = try c.decodeIfPresent(ExactCostSettings.self, forKey: .exactCost)
            s.untilSignKnown = try c.decodeIfPresent(SignKnownSettings.self, forKey: .untilSignKnown)
            work = .probe(s)
        case .train:
            var s = TrainSettings()
            s.sampling = try c.decode(SamplingMode.self, forKey: .sampling)
            s.optimizer = try c.decode(SGDConfig.self, forKey: .optimizer)
            s.refreshRunningStatistics = try c.decodeIfPresent(Bool.self, forKey: .refreshRunningStatistics) ?? true
            s.evalEvery = try c.decodeIfPresent(Int.self, forKey: .evalEvery)
            work = .train(s)
        case .search:
            var s = SearchSettings()
            s.optimizer = try c.decode(SGDConfig.self, forKey: .optimizer)
            s.search = try c.decode(SearchConfig.self, forKey: .search)
            s.evalEvery = try c.decodeIfPresent(Int.self, forKey: .evalEvery)
            s.diagnostics = try c.decodeIfPresent(SearchDiagnostics.self, forKey: .diagnostics)
            work = .search(s)
        case .eval:
            var s = EvalSettings()
            s.sampling = try c.decode(SamplingMode.self, forKey: .sampling)
            work = .eval(s)
        }
    }
}
