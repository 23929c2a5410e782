// Resuming a search from `encodedState()` continues bitwise: k steps, save, restore into a fresh
// strategy (with a different alpha), k more steps equals 2k uninterrupted steps, in alpha, the Adam
// state and theta. Also the shared alpha clipping and a state that does not fit.
import Foundation
import Testing
import WiringEngine
import WiringModel
@testable import WiringSearch

@Suite struct SearchStrategyTests {
    static let cases: [(String, SearchConfig)] = {
        var snas = SearchConfig(algorithm: .snas)
        snas.anneal = true
        var darts = SearchConfig(algorithm: .darts)
        darts.order = .second
        var proxylessTwo = SearchConfig(algorithm: .proxyless)
        proxylessTwo.level = .single
        proxylessTwo.gatePaths = .two
        return [("dsnas", SearchConfig(algorithm: .dsnas)), ("snas annealed", snas), ("darts bi second", darts),
                ("proxyless bi", SearchConfig(algorithm: .proxyless)), ("proxyless single two-path", proxylessTwo)]
    }()

    @Test(arguments: 0..<5)
    func resumedSearchEqualsUninterruptedBitwise(caseIndex: Int) throws {
        let (name, config) = Self.cases[caseIndex]
        let network = tinyNetwork(constraints: [EdgeConstraint(.edge(2), .delete)])
        let domains = try network.edgeDomains()
        var dataRNG = RNG(seed: 4)
        let train = randomBatch(&dataRNG, labels: [3, 1, 2, 0]), search = randomBatch(&dataRNG, labels: [5, 7, 1, 9])
        let sgdConfig = SGDConfig()

        /// Steps `steps` of a 2-epoch phase of 2 steps per epoch, as the runner would.
        func run(_ strategy: inout any SearchStrategy, _ net: Supernet<Double>, _ sgd: inout SGD<Double>,
                 _ rng: inout RNG, steps: Range<Int>) {
            for s in steps {
                strategy.beginEpoch(s / 2, of: 2)
                _ = strategy.step(net: net, tape: Tape(), train: train, search: search, sgd: &sgd,
                                  lr: sgdConfig.learningRate(epoch: s / 2, of: 2), rng: &rng)
            }
        }
        func start(seed: UInt64) -> (Supernet<Double>, any SearchStrategy, RNG) {
            var rng = RNG(seed: 1)
            let net = Supernet<Double>(config: network, rng: &rng)
            var alphaRNG = RNG(seed: seed)
            return (net, makeSearchStrategy(config: config, network: network, domains: domains, rng: &alphaRNG),
                    RNG(seed: 9))
        }

        var (straightNet, straight, straightRNG) = start(seed: 2)
        var straightSGD = SGD<Double>(config: sgdConfig)
        run(&straight, straightNet, &straightSGD, &straightRNG, steps: 0..<4)

        var (net, first, rng) = start(seed: 2)
        var sgd = SGD<Double>(config: sgdConfig)
        run(&first, net, &sgd, &rng, steps: 0..<1)  // stop mid-epoch
        let saved = try first.encodedState()
        var (_, resumed, _) = start(seed: 77)  // another alpha, overwritten by the restore
        try resumed.restoreState(saved)
        run(&resumed, net, &sgd, &rng, steps: 1..<4)

        #expect(resumed.alpha == straight.alpha, "\(name): alpha")
        #expect(resumed.temperature == straight.temperature, "\(name): temperature")
        #expect(try resumed.encodedState() == straight.encodedState(), "\(name): Adam state")
        #expect(net.parameters.values == straightNet.parameters.values, "\(name): theta")
        #expect(net.parameters.buffers == straightNet.parameters.buffers, "\(name): running statistics")
        #expect(resumed.alpha != (start(seed: 2).1).alpha, "\(name): alpha moved")
    }

    @Test func restoringAnotherAlgorithmsStateThrows() throws {
        let network = tinyNetwork()
        var rng = RNG(seed: 1)
        let dsnas = makeSearchStrategy(config: SearchConfig(algorithm: .dsnas), network: network,
                                       domains: try network.edgeDomains(), rng: &rng)
        var darts = makeSearchStrategy(config: SearchConfig(algorithm: .darts), network: network,
                                       domains: try network.edgeDomains(), rng: &rng)
        #expect(throws: SearchError.self) { try darts.restoreState(try dsnas.encodedState()) }
    }

    @Test func alphaGradientIsClippedToItsGlobalNormBeforeAdam() throws {
        // Adam's first moment after one step is (1 - beta1) times the gradient it was given, which
        // shows the clipped gradient: torch's clip_grad_norm_ scales by max / (norm + 1e-6).
        let domains = [try tinyNetwork().edgeDomains()[0]]
        var adam = AdamConfig(weightDecay: 0, gradClip: 10)
        var learner = AlphaLearner(alpha: ArchitectureParameters(values: [[0, 0, 0, 0]], domains: domains),
                                   optimizer: adam)
        let norm = learner.apply([[30, 40, 0, 0]], update: true)  // |g| = 50 -> scaled by 10 / (50 + 1e-6)
        #expect(norm == 50)
        let scale = 10 / (50 + 1e-6)
        #expect(learner.adam.firstMoment == [0.5 * 30 * scale, 0.5 * 40 * scale, 0, 0])
        adam.gradClip = nil
        learner = AlphaLearner(alpha: ArchitectureParameters(values: [[0, 0, 0, 0]], domains: domains), optimizer: adam)
        _ = learner.apply([[30, 40, 0, 0]], update: true)
        #expect(learner.adam.firstMoment == [15, 20, 0, 0], "no clip for DARTS")
    }
}
