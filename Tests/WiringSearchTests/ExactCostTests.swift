// The exact expected cost of a small cell (ExactCost.swift) and the Monte Carlo probe checked against
// it: every subnet of a 3-op minimal cell (3^5 = 243) on two fixed batches, then 400 independent probes
// of 150 draws each (the probe's own sampler, a batch drawn uniformly from the two, the probe's
// Welford statistics), each (edge, op) mean +- 1.96 SEM asked to cover the exact value.
import Foundation
import Testing
import WiringEngine
import WiringModel
@testable import WiringSearch

@Suite struct ExactCostTests {
    @Test func monteCarloProbeCoversTheExactExpectation() throws {
        let network = tinyNetwork(ops: [.skipConnect, .avgPool3x3, .maxPool3x3])
        let domains = try network.edgeDomains()
        var rng = RNG(seed: 21)
        let net = Supernet<Double>(config: network, rng: &rng)
        let batches = [randomBatch(&rng, labels: [3, 1, 2, 0]), randomBatch(&rng, labels: [5, 7, 1, 9])]
        let uniform = domains.map { _ in [1.0 / 3, 1.0 / 3, 1.0 / 3] }
        let tape = Tape<Double>()
        let exact = try net.exactCost(tape: tape, batches: batches, domains: domains, probabilities: uniform,
                                        keepSubnets: true)
        #expect(exact.subnets.count == 243 && exact.count == 243)
        #expect(abs(exact.subnets.reduce(0) { $0 + $1.probability } - 1) < 1e-12)

        // The table the probes replay; a fresh pass of a subnet is bitwise its entry.
        var table: [Architecture: [StepProbe]] = [:]
        for subnet in exact.subnets { table[subnet.architecture] = subnet.probes }
        let check = exact.subnets[137]
        let (_, fresh) = net.step(tape: tape, images: batches[1].images, labels: batches[1].labels,
                                  architecture: check.architecture)
        #expect(fresh.edgeCost == check.probes[1].edgeCost)

        // Total expectation, summed independently over the table: sum_o p(o) E[C_e | o] = E[C_e].
        for e in domains.indices {
            let direct = exact.subnets.reduce(0.0) { total, subnet in
                total + subnet.probability * subnet.probes.reduce(0) { $0 + $1.edgeCost[0][e] } / 2
            }
            let total = (0..<3).reduce(0.0) { $0 + uniform[e][$1] * exact.mean[0][e][$1] }
            #expect(abs(total - direct) < 1e-12 * max(1, abs(direct)))
        }

        var covered = 0, intervals = 0
        var draws = RNG(seed: 22)
        for _ in 0..<400 {
            var statistics = CostStatistics(cells: 1, edges: 5, ops: 3)
            var sampler = UniformSampler()
            for _ in 0..<150 {
                let architecture = sampler.sample(domains: domains, cells: 1, rng: &draws)
                let probe = table[architecture]![draws.index(below: batches.count)]
                statistics.add(probe, architecture: architecture)
            }
            for e in 0..<5 {
                for o in 0..<3 {
                    let m = statistics.moments[0][e][o]
                    intervals += 1
                    if abs(m.mean - exact.mean[0][e][o]) <= 1.96 * m.standardError { covered += 1 }
                }
            }
        }
        let coverage = Double(covered) / Double(intervals)
        print("exact-vs-Monte-Carlo: \(covered) of \(intervals) 95% intervals cover E[C | Z_e = o], coverage \(coverage)")
        // About 50 draws per (edge, op): a t-interval with z's 1.96 covers ~94.4% for normal costs.
        #expect(coverage > 0.92 && coverage < 0.97, "coverage \(coverage)")
        #expect(exact.mean[0].joined().allSatisfy { $0.isFinite })
    }

    @Test func aCellTooLargeToEnumerateIsRefused() throws {
        let network = tinyNetwork(cells: 1, ops: [.none, .skipConnect, .avgPool3x3, .maxPool3x3])
        var config = network
        config.steps = 4  // 14 edges x 4 ops: 4^14 subnets
        let domains = try config.edgeDomains()
        var rng = RNG(seed: 1)
        let net = Supernet<Double>(config: config, rng: &rng)
        let probabilities = domains.map { _ in [0.25, 0.25, 0.25, 0.25] }
        #expect(throws: ExactCostError.tooManySubnets(268_435_456)) {
            try net.exactCost(tape: Tape(), batches: [], domains: domains, probabilities: probabilities)
        }
    }
}
