// A `probe` phase: theta frozen, ops sampled (uniformly over each edge's allowed set, or fixed), one
// training-mode pass per batch whose batch-norm running statistics are thrown away afterwards, as the
// reference's child_reward_stat does. Only the measurements are kept. With `exact_cost`, the phase's
// end also enumerates every subnet for the exact expectation the samples estimate (`probe/exact_cost`).
import WiringData
import WiringEngine
import WiringModel
import WiringSpec

struct ProbePhase<T: TensorElement>: PhaseRunner {
    unowned let executor: RunExecutor<T>
    let phase: Int
    let settings: ProbeSettings
    /// `until_sign_known`'s running state, rebuilt from the step log on resume.
    var stopping: SignKnownStopping?

    init(executor: RunExecutor<T>, phase: Int, settings: ProbeSettings) {
        self.executor = executor
        self.phase = phase
        self.settings = settings
        if let sign = settings.untilSignKnown {
            let cells = executor.config.network.cells, edges = executor.domains.count
            var state = SignKnownStopping(settings: sign, cells: cells, domains: executor.domains,
                                          ops: executor.config.network.ops.count, noneIndex: executor.net.noneIndex)
            let log = executor.log
            for step in 0..<log.count where log.phase[step] == phase {
                for c in 0..<cells {
                    for e in 0..<edges where !executor.domains[e].deleted {
                        let i = (step * cells + c) * edges + e
                        state.observe(cell: c, edge: e, op: log.edgeOp[i], cost: log.edgeCost[i])
                    }
                }
            }
            stopping = state
        }
    }

    /// Whether `until_sign_known` is satisfied: the step loop ends the phase here.
    var stopsHere: Bool { stopping?.satisfied ?? false }

    mutating func step(images: Tensor<T>, labels: [Int], epoch: Int, epochs: Int, lr: Double) throws
        -> PhaseStepResult {
        let architecture = executor.sample(settings.sampling)
        // The model's training-mode pass with theta frozen: the running statistics are kept as they were.
        let (_, probe) = executor.net.trainingPass(tape: executor.tape, batch: (images, labels),
                                                   architecture: architecture, keepStatistics: true)
        stopping?.observe(architecture, probe: probe)
        return PhaseStepResult(architecture: architecture, probe: probe)
    }

    func evaluationArchitecture(rng: inout RNG) -> Architecture { executor.sample(settings.sampling, rng: &rng) }

    /// At the phase's end (its last epoch, or where `until_sign_known` stops it): its `/probe` row.
    func endEpoch(_ epoch: Int) throws {
        guard settings.exactCost != nil || settings.untilSignKnown != nil,
              epoch + 1 == executor.epochCount(phase: phase) || stopsHere else { return }
        let size = executor.config.network.cells * executor.domains.count * executor.config.network.ops.count
        var log = executor.probeLog
        log.phase.append(phase)
        log.steps.append(executor.log.phase.filter { $0 == phase }.count)
        log.signSamples += stopping?.samplesNeeded ?? Array(repeating: -1, count: size)
        if let exact = try exactCost() {
            log.exactCost += exact.mean.joined().joined()
            log.exactCostZ.append(exact.costZ)
            log.subnets.append(exact.count)
            log.batches.append(settings.exactCost!.batches)
        } else {
            log.exactCost += Array(repeating: .nan, count: size)
            log.exactCostZ.append(.nan)
            log.subnets.append(0)
            log.batches.append(0)
        }
        executor.probeLog = log
    }

    /// Every subnet on `exact_cost.batches` batches of a stream of their own; nil when not asked for.
    func exactCost() throws -> ExactCost? {
        guard let exact = settings.exactCost else { return nil }
        guard settings.sampling == .uniform, !executor.config.sampling.perCell else {
            throw RunError.unsupported(run: executor.spec.id,
                                       what: "exact_cost enumerates shared uniform draws: use sampling: uniform and sampling.per_cell: false")
        }
        var seeds = RNG(seed: executor.config.seed, stream: "exact\(phase)")
        var loader = try BatchLoader<T>(dataset: executor.data.train, batchSize: executor.config.data.batchSize,
                                        mode: .randomBatches, augmentation: .none, seed: seeds.next())
        var batches: [(images: Tensor<T>, labels: [Int])] = []
        while batches.count < exact.batches {
            if let batch = loader.next() { batches.append(batch) }
        }
        let domains = executor.domains, ops = executor.config.network.ops.count
        let uniform = domains.map { d in (0..<ops).map { d.allowed.contains($0) ? 1 / Double(d.allowed.count) : 0 } }
        do {
            return try executor.net.exactCost(tape: executor.tape, batches: batches, domains: domains, probabilities: uniform)
        } catch let error as ExactCostError {
            throw RunError.unsupported(run: executor.spec.id, what: error.description)
        }
    }
}
