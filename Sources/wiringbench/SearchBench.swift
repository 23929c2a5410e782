// Whole search steps as a run makes them (the strategy's `step`: every pass, alpha's Adam step and
// theta's SGD step), for the settings the paper's regime needs: bi-level DARTS (two mixture passes),
// SNAS on 8 original cells (a Gumbel mixture of every op), and the steps of the regime tier's runs
// (experiments/paper/p1p2-dsnas.yaml, p3-darts.yaml) on Fashion-MNIST-shaped images.
import Dispatch
import WiringEngine
import WiringModel
import WiringSearch

/// One search step of the bench: a network, an algorithm's settings and the image shape.
struct SearchStepBench {
    let name: String
    /// The step tools/bench_torch.py times for the same work, when it has one.
    let torchName: String?
    let network: NetworkConfig
    let search: SearchConfig
    let batch: Int
    let imageSide: Int

    static let all: [SearchStepBench] = {
        func network(_ base: NetworkConfig, cells: Int, inputChannels: Int = 3) -> NetworkConfig {
            var config = base
            config.cells = cells
            config.inputChannels = inputChannels
            return config
        }
        var bilevel = SearchConfig(algorithm: .darts)
        bilevel.level = .bi
        let snas = SearchConfig(algorithm: .snas)
        // The regime tier's settings (experiments/paper/p1p2-dsnas.yaml, p3-darts.yaml).
        var regimeDSNAS = SearchConfig(algorithm: .dsnas)
        regimeDSNAS.refreshRunningStatistics = false
        return [
            SearchStepBench(name: "darts_bilevel_step_minimal", torchName: "darts_bilevel_minimal",
                            network: network(.minimal, cells: 1), search: bilevel, batch: 64, imageSide: 32),
            SearchStepBench(name: "darts_bilevel_step_2_minimal", torchName: "darts_bilevel_2_minimal",
                            network: network(.minimal, cells: 2), search: bilevel, batch: 64, imageSide: 32),
            SearchStepBench(name: "snas_step_8_original", torchName: "snas_original8",
                            network: network(.original, cells: 8), search: snas, batch: 64, imageSide: 32),
            SearchStepBench(name: "regime_p1p2_dsnas_step_2_original", torchName: "regime_dsnas_2_original",
                            network: network(.original, cells: 2, inputChannels: 1), search: regimeDSNAS, batch: 96,
                            imageSide: 28),
            SearchStepBench(name: "regime_p3_darts_bilevel_step_2_minimal", torchName: "regime_darts_bilevel_2_minimal",
                            network: network(.minimal, cells: 2, inputChannels: 1), search: bilevel, batch: 64,
                            imageSide: 28),
        ]
    }()

    /// The peer's request: its step name and the image shape.
    var torchRequest: String? { torchName.map { "\($0):\(network.inputChannels)x\(imageSide)" } }

    /// Forward multiply-adds of the batch (`stepForwardMACs`) times the step's passes (bi level: two).
    var forwardMACs: Double {
        let sampled = search.algorithm == .dsnas || search.algorithm == .proxyless
        return stepForwardMACs(network: network, sampled: sampled, batch: batch, side: imageSide)
            * Double(search.algorithm.strategy.passes(search).count)
    }

    /// A step function over fixed batches, with its state, and the tape it runs on.
    func makeStep() -> (step: () -> Void, tape: Tape<Float>) {
        var rng = RNG(seed: 2)
        let net = Supernet<Float>(config: network, rng: &rng)
        let domains = try! network.edgeDomains()
        let shape = [batch, network.inputChannels, imageSide, imageSide]
        let train = (images: Tensor<Float>.normal(shape: shape, rng: &rng), labels: (0..<batch).map { $0 % 10 })
        let searchBatch = (images: Tensor<Float>.normal(shape: shape, rng: &rng), labels: (0..<batch).map { ($0 + 3) % 10 })
        let tape = Tape<Float>()
        let step = withSearchStrategy(config: search, network: network, domains: domains, rng: &rng,
                                      StepMaker(net: net, tape: tape, train: train, search: searchBatch))
        return (step, tape)
    }

    /// Median milliseconds of a step.
    func time(repetitions: Int) -> Double {
        medianMilliseconds(repetitions: repetitions, warmup: 1, makeStep().step)
    }

    /// Median milliseconds of a step, and the tape's profile of as many more steps with the op timers on.
    func profile(repetitions: Int) -> (milliseconds: Double, profile: TapeProfile, profiledNanoseconds: UInt64) {
        let (step, tape) = makeStep()
        let median = medianMilliseconds(repetitions: repetitions, warmup: 1, step)
        tape.profile = TapeProfile()
        let start = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<repetitions { step() }
        return (median, tape.profile!, DispatchTime.now().uptimeNanoseconds - start)
    }
}

/// Builds the step closure with the strategy as its concrete type (specialised, as the runner's is).
private struct StepMaker: SearchStrategyConsumer {
    let net: Supernet<Float>
    let tape: Tape<Float>
    let train: (images: Tensor<Float>, labels: [Int])
    let search: (images: Tensor<Float>, labels: [Int])

    func consume<S: SearchStrategy>(_ strategy: S) throws(Never) -> () -> Void {
        var strategy = strategy
        var sgd = SGD<Float>(config: SGDConfig())
        var rng = RNG(seed: 3)
        let net = net, tape = tape, train = train, search = search
        return {
            _ = strategy.step(net: net, tape: tape, train: train, search: search, sgd: &sgd, lr: 0.025, rng: &rng)
        }
    }
}
