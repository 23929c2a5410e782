// SNAS's reparameterised alpha gradient (reference-spec 5.2) against central finite differences of
// the loss as a function of alpha with the Gumbel noise held fixed, and the temperature schedule.
import Foundation
import Testing
import WiringEngine
import WiringModel
@testable import WiringSearch

@Suite struct SNASTests {
    @Test func alphaGradientMatchesFiniteDifferencesWithFixedNoise() throws {
        let network = tinyNetwork(constraints: [EdgeConstraint(.edge(0), .delete),
                                                EdgeConstraint(.edge(4), .exclude([.skipConnect]))])
        let domains = try network.edgeDomains()
        var rng = RNG(seed: 5)
        let net = Supernet<Double>(config: network, rng: &rng)
        let train = randomBatch(&rng, labels: [3, 1, 2, 0])
        var config = SearchConfig(algorithm: .snas)
        config.temperature = 0.5  // lambda != 1, so the 1/lambda factor is tested
        config.alphaInit = .normal(mean: 0, std: 0.5)
        config.updateTheta = false
        var strategy = makeSearchStrategy(config: config, network: network, domains: domains, rng: &rng)
        var sgd = SGD<Double>(config: SGDConfig())
        let alpha = strategy.alpha.values
        let record = strategy.step(net: net, tape: Tape(), train: train, search: nil, sgd: &sgd, lr: 0.025, rng: &rng)
        #expect(record.temperature == 0.5)

        // The noise, recovered from the weights: W = softmax((alpha + G) / lambda), so lambda log W - alpha
        // equals G up to a per-edge constant, which the softmax ignores.
        let lambda = 0.5
        let noise = domains.indices.map { e -> [Double] in
            guard case let .mixture(m) = record.architecture.choices[0][e] else { return alpha[e].map { _ in 0 } }
            return alpha[e].indices.map { m.active[$0] ? lambda * Foundation.log(m.weights[$0]) - alpha[e][$0] : 0 }
        }
        // h = 1e-6 in Double: truncation ~h^2, rounding ~1e-16 * L / h ~ 1e-10, against gradients ~1e-2.
        let numeric = finiteDifferenceGradient(alpha, domains: domains, h: 1e-6) { a in
            let weights = a.indices.map { e in
                referenceSoftmax(a[e].indices.map { (a[e][$0] + noise[e][$0]) / lambda }, allowed: domains[e].allowed)
            }
            return loss(net, train, mixture(weights, domains: domains, cells: 1))
        }
        #expect(relativeError(record.alphaGradient, numeric) < 1e-6,
                "analytic \(record.alphaGradient) numeric \(numeric)")
        #expect(record.alphaGradient[0].allSatisfy { $0 == 0 } && record.alphaGradient[4][1] == 0)
    }

    @Test func temperatureAnnealsWithTheReferenceOffByOne() throws {
        var config = SearchConfig(algorithm: .snas)
        config.anneal = true
        var rng = RNG(seed: 1)
        let network = tinyNetwork()
        var strategy = makeSearchStrategy(config: config, network: network, domains: try network.edgeDomains(),
                                          rng: &rng)
        // lambda_e = max(0.03, 0.03 + (1 - e/T)(1 - 0.03)) with e = epoch + 1, T = 150.
        for (epoch, expected) in [(0, 0.03 + (149.0 / 150) * 0.97), (74, 0.03 + 0.5 * 0.97), (149, 0.03), (200, 0.03)] {
            strategy.beginEpoch(epoch, of: 150)
            #expect(abs(strategy.temperature! - expected) < 1e-15, "epoch \(epoch)")
        }
        config.anneal = false
        var fixed = makeSearchStrategy(config: config, network: network, domains: try network.edgeDomains(),
                                       rng: &rng)
        fixed.beginEpoch(100, of: 150)
        #expect(fixed.temperature == 1)
    }
}
