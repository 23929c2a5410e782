// Eval passes: one pass over the first `data.test_size` test images in batches of 96 (the reference's
// validation loader, reference-spec 5.4), batch norm in eval mode with the running statistics, theta,
// alpha and the running statistics untouched. Every batch gets the full probe (loss, edge costs,
// identity residuals), and the pass becomes one `EvalLog` row. The architecture of each batch comes
// from the caller: uniform or fixed as a probe draws it, or the search phase's current alpha. Draws
// use a stream of their own per (phase, epoch), so an eval pass changes nothing the training sees and
// a resumed run repeats it bitwise.
//
// The `eval` phase kind runs one such pass per epoch of its length; it takes no training steps, so it
// is not a `PhaseRunner` (whose unit is one training batch) but runs whole between two phases.
import WiringData
import WiringEngine
import WiringModel
import WiringResults
import WiringSpec

/// The reference's validation batch size.
let evalBatchSize = 96

extension RunExecutor {
    /// One eval pass after `epoch` of phase `p`, appended to `evalLog`.
    func evaluate(phase p: Int, epoch: Int, architecture: (inout RNG) -> Architecture) throws {
        guard let test = data.test else {
            throw RunError.unsupported(run: spec.id, what: "an eval pass needs the test images (data.test_size)")
        }
        var loader = try BatchLoader<T>(dataset: test, batchSize: evalBatchSize, mode: .sequential, seed: config.seed)
        var rng = RNG(seed: config.seed, stream: "eval\(p)-\(epoch)")
        var sums = EvalPassSums(cells: log.cells, edges: log.edges)
        let skipIndex = config.network.ops.firstIndex(of: .skipConnect)
        while let batch = loader.next() {
            let arch = architecture(&rng)
            tape.reset()
            let (_, probe) = net.step(tape: tape, images: batch.images, labels: batch.labels, architecture: arch,
                                      training: false)
            sums.add(probe,
                     theorem2: IdentityResiduals.theorem2(probe, architecture: arch, skipIndex: skipIndex, topology: net.topology),
                     corollary12: IdentityResiduals.corollary12(probe, architecture: arch, skipIndex: skipIndex,
                                                                topology: net.topology))
        }
        sums.append(to: &evalLog, phase: p, epoch: epoch)
    }

    /// After `epoch` of a train or search phase: whether `eval_every` asks for a pass.
    func evaluatesAfter(epoch: Int, of epochs: Int, every: Int?) -> Bool {
        guard let k = every else { return false }
        return (epoch + 1) % k == 0 || epoch + 1 == epochs
    }

    /// An `eval` phase: its epochs are passes over the test images, each with its own draws.
    func runEvalPhase(_ p: Int, settings: EvalSettings) throws {
        let passes = epochCount(phase: p)
        // Resumed between passes: the ones already in the log are done.
        let done = zip(evalLog.phase, evalLog.epoch).filter { $0.0 == p }.count
        for pass in done..<passes {
            try evaluate(phase: p, epoch: pass) { rng in sample(settings.sampling, rng: &rng) }
        }
    }
}
