// Alpha's probabilities respect the edge domains, its initialisation follows AlphaInit, and the
// most likely topology skips none when asked.
import Foundation
import Testing
import WiringEngine
import WiringModel
@testable import WiringSearch

@Suite struct ArchitectureParametersTests {
    @Test func probabilitiesAreASoftmaxOverTheAllowedOps() throws {
        let network = tinyNetwork(constraints: [EdgeConstraint(.edge(0), .delete),
                                                EdgeConstraint(.edge(3), .exclude([.skipConnect, .avgPool3x3]))])
        let domains = try network.edgeDomains()
        let values = (0..<5).map { e in (0..<4).map { o in Double(e) - 0.7 * Double(o) } }
        let alpha = ArchitectureParameters(values: values, domains: domains)
        #expect(alpha.probabilities(edge: 0) == [0, 0, 0, 0])
        // Edge 3 allows none (0) and sep_conv (3): e^3 / (e^3 + e^0.9) and e^0.9 / (e^3 + e^0.9).
        let p3 = alpha.probabilities(edge: 3)
        #expect(abs(p3[0] - exp(3) / (exp(3) + exp(0.9))) < 1e-15 && p3[1] == 0 && p3[2] == 0)
        #expect(abs(p3[3] - exp(0.9) / (exp(3) + exp(0.9))) < 1e-15)
        #expect(abs(alpha.probabilities(edge: 1).reduce(0, +) - 1) < 1e-15)
        // Large logits stay finite (the max is subtracted first).
        let big = ArchitectureParameters(values: Array(repeating: [1000, 999, 0, 0], count: 5), domains: domains)
        #expect(abs(big.probabilities(edge: 1)[0] - 1 / (1 + exp(-1))) < 1e-15)
    }

    @Test func initialisationFollowsAlphaInit() throws {
        let domains = try tinyNetwork(ops: OpKind.orderB, constraints: [EdgeConstraint(.edge(1), .delete)]).edgeDomains()
        var rng = RNG(seed: 3)
        let alpha = ArchitectureParameters(domains: domains, ops: 8, initialisation: .normal(mean: 1, std: 0.01), rng: &rng)
        let all = alpha.flattened
        #expect(all.count == 40 && all.allSatisfy { abs($0 - 1) < 0.06 })  // 6 sigma
        let mean = all.reduce(0, +) / 40
        #expect(abs(mean - 1) < 0.01 / 40.0.squareRoot() * 4)
        let constant = ArchitectureParameters(domains: domains, ops: 8, initialisation: .constant(1e-3), rng: &rng)
        #expect(constant.flattened.allSatisfy { $0 == 1e-3 })
        #expect(constant.probabilities(edge: 0).allSatisfy { $0 == 0.125 })
    }

    @Test func mostLikelyTopologyWithAndWithoutNone() throws {
        let domains = try tinyNetwork(constraints: [EdgeConstraint(.edge(4), .delete)]).edgeDomains()
        let alpha = ArchitectureParameters(values: [[5, 1, 2, 3], [0, 4, 4, 1], [9, 0, 0, 0], [1, 2, 3, 4], [9, 9, 9, 9]],
                                           domains: domains)
        #expect(alpha.mostLikely() == [0, 1, 0, 3, nil])
        #expect(alpha.mostLikely(excluding: 0) == [3, 1, 1, 3, nil])
    }

    @Test func flattenedRoundTrips() throws {
        let domains = try tinyNetwork().edgeDomains()
        var alpha = ArchitectureParameters(values: (0..<5).map { e in (0..<4).map { Double(e * 4 + $0) } }, domains: domains)
        #expect(alpha.flattened == (0..<20).map(Double.init))
        alpha.setFlattened((0..<20).map { -Double($0) })
        #expect(alpha.values[2] == [-8, -9, -10, -11])
    }
}
