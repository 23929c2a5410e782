// A `search` phase: the strategy WiringSearch makes for the phase's algorithm, held as its concrete
// type `S`, the search-half loader of a bi-level search, and the per-epoch record of
// alpha (raw and softmax), the most likely topology with and without none, and each edge's
// probability of none.
import Foundation
import WiringData
import WiringEngine
import WiringModel
import WiringSearch
import WiringSpec

struct SearchPhase<T: TensorElement, S: SearchStrategy>: PhaseRunner {
    unowned let executor: RunExecutor<T>
    let phase: Int
    let settings: SearchSettings
    var strategy: S
    var searchLoader: BatchLoader<T>?
    var currentEpoch = -1

    init(executor: RunExecutor<T>, phase: Int, settings: SearchSettings, strategy: S) throws {
        self.executor = executor
        self.phase = phase
        self.settings = settings
        self.strategy = strategy
        if let state = executor.cursor.searchState { try self.strategy.restoreState(state) }
        if settings.search.usesSearchBatch {
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

    mutating func step(images: Tensor<T>, labels: [Int], epoch: Int, epochs: Int, lr: Double) throws
        -> PhaseStepResult {
        if epoch != currentEpoch {
            strategy.beginEpoch(epoch, of: epochs)  // idempotent: also right after a resume
            currentEpoch = epoch
        }
        let searchBatch = searchLoader?.next()
        let record = strategy.step(net: executor.net, tape: executor.tape, train: (images, labels),
                                   search: searchBatch, sgd: &executor.optimizer, lr: lr, rng: &executor.cursor.sampleRNG)
        executor.cursor.searchLoader = searchLoader?.position
        executor.cursor.searchState = try strategy.encodedState()
        if let probe = record.searchProbe {
            executor.searchLog.appendSearchBatch(step: executor.log.count, probe: probe)
        }
        return PhaseStepResult(architecture: record.architecture, probe: record.probe)
    }

    /// Records alpha at the end of `epoch`, and the diagnostics when they run after it.
    func endEpoch(_ epoch: Int) throws {
        executor.searchLog.appendEpoch(phase: phase, epoch: epoch, alpha: strategy.alpha,
                                       temperature: strategy.temperature, noneIndex: executor.net.noneIndex)
        var measured: EpochDiagnostics?
        if let diagnostics = settings.diagnostics,
           diagnostics.runs(after: epoch, of: executor.epochCount(phase: phase)) {
            measured = try executor.measureDiagnostics(diagnostics, phase: phase, epoch: epoch, alpha: strategy.alpha,
                                                       perturbation: settings.search.strengthPerturbation)
        }
        executor.searchLog.appendDiagnostics(measured, layout: executor.diagnosticsLayout)
    }

    /// The phase's own draw under the current alpha (see `SearchStrategy.evaluationArchitecture`).
    func evaluationArchitecture(rng: inout RNG) -> Architecture {
        strategy.evaluationArchitecture(cells: executor.config.network.cells, rng: &rng)
    }
}

/// Runs a search phase's steps with the strategy WiringSearch made, as its concrete type.
struct SearchPhaseLoop<T: TensorElement>: SearchStrategyConsumer {
    let executor: RunExecutor<T>
    let phase: Int
    let settings: SearchSettings

    /// - Returns: false when the run stopped early (see `RunExecutor.runSteps`).
    func consume<S: SearchStrategy>(_ strategy: S) throws -> Bool {
        var runner = try SearchPhase<T, S>(executor: executor, phase: phase, settings: settings, strategy: strategy)
        return try executor.runSteps(of: phase, &runner)
    }
}
