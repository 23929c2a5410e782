// DSNAS's alpha gradient (reference-spec 5.1 steps 4-6) against an independent computation: a second
// network with the same theta runs `Supernet.step` on the same batch and architecture, and the
// expected gradient (onehot - softmax) * w * clamp(sum over cells of the edge cost) is written out
// here, with w = 1 (`rewardWeighting: .none`) or the authors' w_e = p_e(o_e) / mean_e' p_e'(o_e')
// (the default; a deleted edge counts with p(none) in the softmax over all ops).
import Foundation
import Testing
import WiringEngine
import WiringModel
@testable import WiringSearch

@Suite struct DSNASTests {
    @Test(arguments: [(5.0, DSNASRewardWeighting.none), (1e-4, .none), (5.0, .sampleProbability),
                      (1e-4, .sampleProbability)])
    func alphaGradientIsOneHotMinusSoftmaxTimesClampedEdgeCost(rewardClip: Double, weighting: DSNASRewardWeighting) throws {
        // Two cells (the reward sums over cells); edge 0 deleted; edge 2 may only be none or skip, so
        // it samples none often; the rest sample among all four ops.
        let network = tinyNetwork(cells: 2, constraints: [EdgeConstraint(.edge(0), .delete),
                                                          EdgeConstraint(.edge(2), .allow([.none, .skipConnect]))])
        let domains = try network.edgeDomains()
        var rng = RNG(seed: 11)
        let net = Supernet<Double>(config: network, rng: &rng)
        let twin = Supernet<Double>(config: network, rng: &rng)
        let train = randomBatch(&rng, labels: [3, 1, 2, 0])
        var config = SearchConfig(algorithm: .dsnas)
        config.rewardClip = rewardClip
        config.rewardWeighting = weighting
        var strategy = makeSearchStrategy(config: config, network: network, domains: domains, rng: &rng)
        var sgd = SGD<Double>(config: SGDConfig())
        var sawNone = false, sawClamp = false
        for _ in 0..<6 {
            let alpha = strategy.alpha.values
            twin.parameters = net.parameters
            let record = strategy.step(net: net, tape: Tape(), train: train, search: nil, sgd: &sgd, lr: 0.025, rng: &rng)
            let probe = twin.step(tape: Tape(), images: train.images, labels: train.labels,
                                  architecture: record.architecture).probe
            // w_e from the definition: the sampled op's probability over the mean of all edges'.
            let sampled = domains.indices.map { e -> Double in
                if domains[e].deleted { return referenceSoftmax(alpha[e], allowed: Array(alpha[e].indices))[0] }
                let o = record.architecture.choices[0][e].opIndex!
                return referenceSoftmax(alpha[e], allowed: domains[e].allowed)[o]
            }
            let meanSampled = sampled.reduce(0, +) / Double(sampled.count)
            for e in domains.indices {
                let choice = record.architecture.choices[0][e]
                #expect(record.architecture.choices.allSatisfy { $0[e] == choice }, "one sample shared by all cells")
                guard let o = choice.opIndex, o != 0 else {
                    #expect(record.alphaGradient[e].allSatisfy { $0 == 0 }, "edge \(e) took none: zero gradient")
                    sawNone = sawNone || e == 2
                    continue
                }
                let cost = probe.edgeCost[0][e] + probe.edgeCost[1][e]
                sawClamp = sawClamp || abs(cost) > rewardClip
                let w = weighting == .none ? 1 : sampled[e] / meanSampled
                let reward = min(max(cost, -rewardClip), rewardClip) * w
                let p = referenceSoftmax(alpha[e], allowed: domains[e].allowed)
                for j in alpha[e].indices {
                    let expected = ((j == o ? 1 : 0) - p[j]) * reward
                    #expect(abs(record.alphaGradient[e][j] - expected) <= 1e-12 * abs(reward),
                            "edge \(e) op \(j): \(record.alphaGradient[e][j]) vs \(expected)")
                }
            }
            #expect(record.alphaGradient[0].allSatisfy { $0 == 0 }, "deleted edge")
        }
        #expect(sawNone, "edge 2 never sampled none; pick another seed")
        #expect(sawClamp == (rewardClip < 1), "the small clip must bite, the reference clip 5 must not on this net")
    }

    @Test func samplesFollowTheDomains() throws {
        let network = tinyNetwork(constraints: [EdgeConstraint(.edge(1), .fix(.sepConv3x3)),
                                                EdgeConstraint(.edge(4), .exclude([.skipConnect])),
                                                EdgeConstraint(.edge(3), .delete)])
        let domains = try network.edgeDomains()
        var rng = RNG(seed: 2)
        let strategy = DSNAS(config: SearchConfig(algorithm: .dsnas),
                             alpha: ArchitectureParameters(domains: domains, ops: 4, initialisation: .constant(0),
                                                           rng: &rng))
        var seen = Set<Int>()
        for _ in 0..<200 {
            let choices = strategy.sample(rng: &rng)
            #expect(choices[1] == .op(3) && choices[3] == .deleted && choices[4] != .op(1))
            seen.insert(choices[4].opIndex!)
        }
        #expect(seen == [0, 2, 3], "uniform alpha reaches every allowed op")
    }

    /// A fixed edge's gradient row, written out: (onehot(o) - exp(a) / Σ exp(a)) * reward over all four
    /// ops for `.allOps` (the reference's forced edges), exactly zero for `.allowedOps`; the other
    /// edges are the same under both.
    @Test func fixedEdgeGradientFollowsTheChosenSoftmax() throws {
        let network = tinyNetwork(constraints: [EdgeConstraint(.edge(1), .fix(.sepConv3x3))])
        let domains = try network.edgeDomains()
        let row = [0.3, -0.2, 0.5, 0.1]
        let alpha = ArchitectureParameters(values: Array(repeating: row, count: domains.count), domains: domains)
        let choices: [EdgeChoice] = [.op(2), .op(3), .op(1), .op(3), .op(2)]
        let edgeCost = [[0.2, 0.7, 0.1, -0.3, 0.4]]
        func gradient(_ softmax: DSNASFixedEdgeSoftmax) -> [[Double]] {
            DSNAS.alphaGradient(alpha: alpha, choices: choices, edgeCost: edgeCost, rewardClip: 5, weighting: .none,
                                fixedEdgeSoftmax: softmax, noneIndex: 0)
        }
        let full = gradient(.allOps), allowed = gradient(.allowedOps)
        let exps = row.map { exp($0) }, total = exps.reduce(0, +)
        let expected = (0..<4).map { j in ((j == 3 ? 1 : 0) - exps[j] / total) * 0.7 }
        #expect(zip(full[1], expected).allSatisfy { abs($0 - $1) < 1e-15 }, "\(full[1]) vs \(expected)")
        #expect(allowed[1] == [0, 0, 0, 0])
        for e in [0, 2, 3, 4] { #expect(full[e] == allowed[e]) }
        #expect(full[0].contains { $0 != 0 })
    }
}
