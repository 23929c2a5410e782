// A `train` phase: the probe phase's sampling, with theta trained by SGD (cosine schedule, global-norm
// clipping, momentum and weight decay) after every pass; alpha untouched (the reference's
// `random_sample` training).
import WiringEngine
import WiringModel
import WiringSearch

struct TrainPhase<T: TensorElement>: PhaseRunner {
    unowned let executor: RunExecutor<T>
    let settings: TrainSettings

    mutating func step(images: Tensor<T>, labels: [Int], epoch: Int, epochs: Int, lr: Double) throws
        -> PhaseStepResult {
        let net = executor.net, tape = executor.tape
        let architecture = executor.sample(settings.sampling)
        tape.reset()
        let (trace, probe) = net.step(tape: tape, images: images, labels: labels, architecture: architecture)
        var gradients = net.gradients(trace: trace, tape: tape)
        if let clip = settings.optimizer.gradClip { clipGlobalNorm(&gradients, maxNorm: clip) }
        var sgd = SGD<T>(config: settings.optimizer)
        swap(&sgd.momentum, &executor.momentum)  // move, not copy: the buffers are updated in place
        sgd.step(&net.parameters, gradients: gradients, lr: lr)
        swap(&sgd.momentum, &executor.momentum)
        return PhaseStepResult(architecture: architecture, probe: probe)
    }
}
