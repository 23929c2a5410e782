// The one interface the step loop (RunExecutor.runSteps) drives a phase through. Each kind of phase
// is a type of its own file; the executor picks it with one exhaustive switch over `PhaseWork`, so a
// new kind is a new case there and a new type here.
import WiringEngine
import WiringModel

/// What one step of a phase evaluated and measured, for the logs.
struct PhaseStepResult {
    /// The architecture the train batch ran (one-hot choices or mixtures).
    var architecture: Architecture
    /// The probes of that pass: loss, costs, per-sample statistics.
    var probe: StepProbe
}

/// A running phase of one kind.
protocol PhaseRunner {
    associatedtype Element: TensorElement

    /// One step on a training batch; `lr` is the theta optimiser's rate for `epoch` (0 without one).
    mutating func step(images: Tensor<Element>, labels: [Int], epoch: Int, epochs: Int, lr: Double) throws
        -> PhaseStepResult

    /// Called after the last step of every epoch (and of the phase).
    func endEpoch(_ epoch: Int) throws

    /// True when the phase is done before its length (a probe's `until_sign_known`): the step just
    /// taken ends the epoch and the phase.
    var stopsHere: Bool { get }

    /// The architecture of one eval-pass batch after an epoch (`eval_every`), drawn with `rng`.
    func evaluationArchitecture(rng: inout RNG) -> Architecture
}

extension PhaseRunner {
    func endEpoch(_ epoch: Int) throws {}
    var stopsHere: Bool { false }
}
