// A `probe` phase: theta frozen, ops sampled (uniformly over each edge's allowed set, or fixed), one
// training-mode pass per batch whose batch-norm running statistics are thrown away afterwards, as the
// reference's child_reward_stat does. Only the measurements are kept. With `exact_cost`, the phase's
// end also enumerates every subnet for the exact expectation the samples estimate (`probe/exact_cost`).
import WiringData
import WiringEngine
import WiringModel

struct ProbePhase<T: TensorElement>: PhaseRunner {
    unowned let executor: RunExecutor<T>
    let phase: Int
    let settings: ProbeSettings

    mutating func step(images: Tensor<T>, labels: [Int], epoch: Int, epochs: Int, lr: Double) throws
        -> PhaseStepResult {
        let net = executor.net, tape = executor.tape
        let architecture = executor.sample(settings.sampling)
        tape.reset()
        let statistics = net.parameters.runningStatistics
        let (_, probe) = net.step(tape: tape, images: images, labels: labels, architecture: architecture)
        net.parameters.runningStatistics = statistics
        return PhaseStepResult(architecture: architecture, probe: probe)
    }

    func evaluationArchitecture(rng: inout RNG) -> Architecture { executor.sample(settings.sampling, rng: &rng) }

    /// After the phase's last epoch: the exact expected costs, when asked for.
    func endEpoch(_ epoch: Int) throws {
        guard let exact = settings.exactCost, epoch + 1 == executor.epochCount(phase: phase) else { return }
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
        let result: ExactCost
        do {
            result = try executor.net.exactCost(tape: executor.tape, batches: batches, domains: domains, probabilities: uniform)
        } catch let error as ExactCostError {
            throw RunError.unsupported(run: executor.spec.id, what: error.description)
        }
        var log = executor.probeLog
        log.phase.append(phase)
        log.exactCost += result.mean.joined().joined()
        log.exactCostZ.append(result.costZ)
        log.subnets.append(result.count)
        log.batches.append(batches.count)
        executor.probeLog = log
    }
}
