// A `probe` phase: theta frozen, ops sampled (uniformly over each edge's allowed set, or fixed), one
// training-mode pass per batch whose batch-norm running statistics are thrown away afterwards, as the
// reference's child_reward_stat does. Only the measurements are kept.
import WiringEngine
import WiringModel

struct ProbePhase<T: TensorElement>: PhaseRunner {
    unowned let executor: RunExecutor<T>
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
}
