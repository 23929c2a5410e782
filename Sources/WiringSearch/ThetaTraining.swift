// One theta training step with the reference's semantics (reference-spec 5.1 steps 2-8; the
// trajectory fixtures' README, "What the loop does"): the runner's `train` phase and the theta half
// of a DSNAS search step both go through `Supernet.trainThetaStep`.
//   1. a training-mode pass of `architecture` on the batch: mean cross-entropy, backward, probes;
//   2. clip_grad_norm_ over every theta gradient of the pass (`SGDConfig.gradClip`, coefficient
//      clip / (norm + 1e-6) when below 1);
//   3. SGD with momentum and L2 weight decay on every parameter; one the pass did not use gets a
//      zero gradient (`SGDConfig.skipMissingGradients` false), so it still decays and keeps moving
//      with its momentum, as after the reference's `init_model` zero-filled every gradient;
//   4. with `refreshRunningStatistics` (the reference), the running statistics are those of one more
//      training-mode forward of the supernet, at theta before the SGD step, with every op of every
//      edge evaluated and the one-hot weights of `architecture`; the child pass's own updates are
//      not kept (the reference's child is a copy whose buffers are thrown away). So every batch
//      norm, sampled or not, moves exactly once per step. Without it, only the batch norms the
//      pass ran move (once). Measured on trajectory T1: the stem's running mean after step 0 is
//      0.9 m0 + 0.1 mean(stem conv at theta_0) to 1e-17, and neither "twice" nor "at theta_1".
import WiringEngine
import WiringModel

/// What one theta step did.
public struct ThetaStepRecord {
    /// Probes of the training pass (before the update).
    public var probe: StepProbe
    /// Global L2 norm of the theta gradient before clipping (what `clip_grad_norm_` returns).
    public var gradientNorm: Double
}

extension Supernet {
    /// One theta training step (see the file header): pass, clip, SGD at `lr`, then optionally the
    /// running-statistics refresh. `sgd` carries the momentum buffers between steps.
    @discardableResult
    public func trainThetaStep(tape: Tape<T>, batch: (images: Tensor<T>, labels: [Int]), architecture: Architecture,
                               sgd: inout SGD<T>, lr: Double, refreshRunningStatistics: Bool = true) -> ThetaStepRecord {
        let (trace, probe) = trainingPass(tape: tape, batch: batch, architecture: architecture,
                                          keepStatistics: refreshRunningStatistics)
        var gradients = gradients(trace: trace, tape: tape)
        if refreshRunningStatistics { self.refreshRunningStatistics(tape: tape, images: batch.images, architecture: architecture) }
        let norm = applyTheta(&gradients, sgd: &sgd, lr: lr)
        return ThetaStepRecord(probe: probe, gradientNorm: norm)
    }

    /// The theta half of a sampled search step (DSNAS, ProxylessNAS): a theta step on the sampled child, or, with
    /// theta frozen (`updateTheta` false), only its training pass for the probes. The gradient norm is nil then.
    public func thetaStepOrProbe(tape: Tape<T>, batch: (images: Tensor<T>, labels: [Int]), architecture: Architecture,
                                 updateTheta: Bool, sgd: inout SGD<T>, lr: Double,
                                 refreshRunningStatistics: Bool) -> (probe: StepProbe, gradientNorm: Double?) {
        guard updateTheta else {
            return (trainingPass(tape: tape, batch: batch, architecture: architecture, keepStatistics: true).probe, nil)
        }
        let theta = trainThetaStep(tape: tape, batch: batch, architecture: architecture, sgd: &sgd, lr: lr,
                                   refreshRunningStatistics: refreshRunningStatistics)
        return (theta.probe, theta.gradientNorm)
    }

    /// The reference's supernet forward after a child step (reference-spec 5.1 step 8): training mode,
    /// every op of every edge evaluated (constraints and deletions notwithstanding, as the reference's
    /// mixed op sums all its ops), mixed with the one-hot weights of `architecture` (a deleted edge:
    /// one-hot on none). Only the running statistics change; the tape is reset before and after.
    public func refreshRunningStatistics(tape: Tape<T>, images: Tensor<T>, architecture: Architecture) {
        let ops = config.ops.count
        let every = Array(repeating: true, count: ops)
        func oneHot(_ o: Int?) -> [Double] { (0..<ops).map { $0 == o ? 1 : 0 } }
        let mixed = Architecture(choices: architecture.choices.map { row in
            row.map { choice -> EdgeChoice in
                switch choice {
                case let .op(o): return .mixture(Mixture(weights: oneHot(o), active: every))
                case .deleted: return .mixture(Mixture(weights: oneHot(noneIndex), active: every))
                case let .mixture(m): return .mixture(Mixture(weights: m.weights, active: every))
                }
            }
        })
        tape.reset()
        _ = forward(tape: tape, images: images, architecture: mixed, training: true, probes: false)
        tape.reset()
    }
}
