// A `search` phase inside the runner: the algorithm from WiringSearch (DSNAS, SNAS or DARTS), the
// search-half loader of bi-level DARTS, and the per-epoch record of alpha (raw and softmax), the most
// likely topology with and without none, and each edge's probability of none.
import Foundation
import WiringData
import WiringEngine
import WiringModel
import WiringResults
import WiringSearch

/// The algorithm of a search phase, held concretely (not as an existential) so that its generic step
/// is specialised for the run's precision.
enum SearchAlgorithmState {
    case dsnas(DSNAS)
    case snas(SNAS)
    case darts(DARTS)

    init(config: SearchConfig, alpha: ArchitectureParameters) {
        switch config.algorithm {
        case .dsnas: self = .dsnas(DSNAS(config: config, alpha: alpha))
        case .snas: self = .snas(SNAS(config: config, alpha: alpha))
        case .darts: self = .darts(DARTS(config: config, alpha: alpha))
        }
    }

    var alpha: ArchitectureParameters {
        switch self {
        case let .dsnas(s): return s.alpha
        case let .snas(s): return s.alpha
        case let .darts(s): return s.alpha
        }
    }

    var temperature: Double? {
        switch self {
        case let .dsnas(s): return s.temperature
        case let .snas(s): return s.temperature
        case let .darts(s): return s.temperature
        }
    }

    mutating func beginEpoch(_ epoch: Int, of epochs: Int) {
        switch self {
        case var .dsnas(s): s.beginEpoch(epoch, of: epochs); self = .dsnas(s)
        case var .snas(s): s.beginEpoch(epoch, of: epochs); self = .snas(s)
        case var .darts(s): s.beginEpoch(epoch, of: epochs); self = .darts(s)
        }
    }

    mutating func step<T: TensorElement>(net: Supernet<T>, tape: Tape<T>, train: (images: Tensor<T>, labels: [Int]),
                                         search: (images: Tensor<T>, labels: [Int])?, sgd: inout SGD<T>, lr: Double,
                                         rng: inout RNG) -> SearchStepRecord {
        switch self {
        case var .dsnas(s):
            defer { self = .dsnas(s) }
            return s.step(net: net, tape: tape, train: train, search: search, sgd: &sgd, lr: lr, rng: &rng)
        case var .snas(s):
            defer { self = .snas(s) }
            return s.step(net: net, tape: tape, train: train, search: search, sgd: &sgd, lr: lr, rng: &rng)
        case var .darts(s):
            defer { self = .darts(s) }
            return s.step(net: net, tape: tape, train: train, search: search, sgd: &sgd, lr: lr, rng: &rng)
        }
    }

    func encodedState() throws -> Data {
        switch self {
        case let .dsnas(s): return try s.encodedState()
        case let .snas(s): return try s.encodedState()
        case let .darts(s): return try s.encodedState()
        }
    }

    mutating func restoreState(_ data: Data) throws {
        switch self {
        case var .dsnas(s): try s.restoreState(data); self = .dsnas(s)
        case var .snas(s): try s.restoreState(data); self = .snas(s)
        case var .darts(s): try s.restoreState(data); self = .darts(s)
        }
    }
}

/// The running search phase `phase` of an executor.
struct SearchPhase<T: TensorElement> {
    unowned let executor: RunExecutor<T>
    let phase: Int
    let config: SearchConfig
    var algorithm: SearchAlgorithmState
    var searchLoader: BatchLoader<T>?
    var currentEpoch = -1

    init(executor: RunExecutor<T>, phase: Int, config: SearchConfig) throws {
        self.executor = executor
        self.phase = phase
        self.config = config
        var rng = RNG(seed: executor.config.seed, stream: "alpha\(phase)")
        let alpha = ArchitectureParameters(domains: executor.domains, ops: executor.config.network.ops.count,
                                           initialisation: config.alphaInit, rng: &rng)
        algorithm = SearchAlgorithmState(config: config, alpha: alpha)
        if let state = executor.cursor.searchState { try algorithm.restoreState(state) }
        if config.algorithm == .darts && config.level == .bi {
            guard let half = executor.data.search else {
                throw RunError.unsupported(run: executor.spec.id, what: "bi-level search needs data.split: half")
            }
            var seedRNG = RNG(seed: executor.config.seed, stream: "search-batches\(phase)")
            var loader = try BatchLoader<T>(dataset: half, batchSize: executor.config.data.batchSize,
                                            mode: .randomBatches,
                                            augmentation: executor.config.data.augment ? .standard : .none,
                                            seed: seedRNG.next())
            if let position = executor.cursor.searchLoader { try loader.restore(position) }
            searchLoader = loader
        }
    }

    mutating func step(images: Tensor<T>, labels: [Int], epoch: Int, epochs: Int, lr: Double) throws -> SearchStepRecord {
        if epoch != currentEpoch {
            algorithm.beginEpoch(epoch, of: epochs)  // idempotent: also right after a resume
            currentEpoch = epoch
        }
        let searchBatch = searchLoader?.next()
        var sgd = SGD<T>(config: executor.config.phases[phase].optimizer ?? SGDConfig())
        swap(&sgd.momentum, &executor.momentum)
        let record = algorithm.step(net: executor.net, tape: executor.tape, train: (images, labels),
                                    search: searchBatch, sgd: &sgd, lr: lr, rng: &executor.cursor.sampleRNG)
        swap(&sgd.momentum, &executor.momentum)
        executor.cursor.searchLoader = searchLoader?.position
        executor.cursor.searchState = try algorithm.encodedState()
        if let probe = record.searchProbe {
            executor.searchLog.appendSearchBatch(step: executor.log.count, probe: probe)
        }
        return record
    }

    /// Records alpha at the end of `epoch`.
    func endEpoch(_ epoch: Int) {
        executor.searchLog.appendEpoch(phase: phase, epoch: epoch, alpha: algorithm.alpha,
                                       temperature: algorithm.temperature, noneIndex: executor.net.noneIndex)
    }
}

/// Alpha per epoch and the search-batch measurements of a run's search phases.
struct SearchLog: Equatable {
    var epochPhase: [Int] = []
    var epochIndex: [Int] = []
    /// (epoch, edge, op), flattened.
    var alpha: [Double] = []
    var probability: [Double] = []
    /// (epoch, edge): argmax op with none, and without none (-1 for a deleted edge).
    var topology: [Int] = []
    var topologyWithoutNone: [Int] = []
    var noneProbability: [Double] = []
    var temperature: [Double] = []
    /// Bi-level DARTS: the step each search batch belongs to, its costs and loss terms.
    var searchStep: [Int] = []
    var searchEdgeCost: [Double] = []
    var searchOpCost: [Double] = []
    var searchLoss: [Double] = []
    var searchEntropy: [Double] = []
    var searchCostZ: [Double] = []

    var epochs: Int { epochPhase.count }

    mutating func appendEpoch(phase: Int, epoch: Int, alpha a: ArchitectureParameters, temperature t: Double?,
                              noneIndex: Int?) {
        epochPhase.append(phase)
        epochIndex.append(epoch)
        alpha += a.flattened
        let p = a.probabilities
        probability += p.flatMap { $0 }
        topology += a.mostLikely().map { $0 ?? -1 }
        topologyWithoutNone += a.mostLikely(excluding: noneIndex).map { $0 ?? -1 }
        noneProbability += p.map { row in noneIndex.map { row[$0] } ?? 0 }
        temperature.append(t ?? .nan)
    }

    mutating func appendSearchBatch(step: Int, probe: StepProbe) {
        searchStep.append(step)
        searchEdgeCost += probe.edgeCost.flatMap { $0 }
        searchOpCost += probe.opCost.flatMap { $0.flatMap { $0 } }
        searchLoss.append(probe.loss)
        searchEntropy.append(probe.meanEntropy)
        searchCostZ.append(probe.costZ)
    }

    private var intColumns: [(String, [Int])] {
        [("epoch_phase", epochPhase), ("epoch_index", epochIndex), ("topology", topology),
         ("topology_without_none", topologyWithoutNone), ("search_step", searchStep)]
    }

    private var doubleColumns: [(String, [Double])] {
        [("alpha", alpha), ("probability", probability), ("none_probability", noneProbability),
         ("temperature", temperature), ("search_edge_cost", searchEdgeCost), ("search_op_cost", searchOpCost),
         ("search_loss", searchLoss), ("search_entropy", searchEntropy), ("search_cost_Z", searchCostZ)]
    }

    /// Stores every column (for checkpoints).
    func write(to group: HDF5Group) throws {
        for (name, values) in intColumns { try group.write(name, values) }
        for (name, values) in doubleColumns { try group.write(name, values) }
    }

    mutating func read(from group: HDF5Group) throws {
        func ints(_ name: String) throws -> [Int] { try group.dataset(name).read(Int.self).values }
        func doubles(_ name: String) throws -> [Double] { try group.dataset(name).read(Double.self).values }
        epochPhase = try ints("epoch_phase")
        epochIndex = try ints("epoch_index")
        topology = try ints("topology")
        topologyWithoutNone = try ints("topology_without_none")
        searchStep = try ints("search_step")
        alpha = try doubles("alpha")
        probability = try doubles("probability")
        noneProbability = try doubles("none_probability")
        temperature = try doubles("temperature")
        searchEdgeCost = try doubles("search_edge_cost")
        searchOpCost = try doubles("search_op_cost")
        searchLoss = try doubles("search_loss")
        searchEntropy = try doubles("search_entropy")
        searchCostZ = try doubles("search_cost_Z")
    }
}
