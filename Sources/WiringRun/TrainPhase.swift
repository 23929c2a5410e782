// A `train` phase: the probe phase's sampling, with theta trained by SGD (cosine schedule, global-norm
// clipping, momentum and weight decay) after every pass, through WiringSearch's `trainThetaStep` (the
// step the trajectory replay checks against the authors' loop); alpha untouched (the reference's
// `random_sample` training).
import WiringEngine
import WiringModel
import WiringSearch
import WiringSpec

struct TrainPhase<T: TensorElement>: PhaseRunner {
    unowned let executor: RunExecutor<T>
    let settings: TrainSettings

    mutating func step(images: Tensor<T>, labels: [Int], epoch: Int, epochs: Int, lr: Double) throws
        -> PhaseStepResult {
        let net = executor.net, tape = executor.tape
        let architecture = executor.sample(settings.sampling)
        let record = net.trainThetaStep(tape: tape, batch: (images, labels), architecture: architecture,
                                        sgd: &executor.optimizer, lr: lr,
                                        refreshRunningStatistics: settings.refreshRunningStatistics)
        return PhaseStepResult(architecture: architecture, probe: record.probe)
    }

    /// Uniform over each edge's allowed ops per batch (as a probe), or the fixed architecture.
    func evaluationArchitecture(rng: inout RNG) -> Architecture { executor.sample(settings.sampling, rng: &rng) }
}
