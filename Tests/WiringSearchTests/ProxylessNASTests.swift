// ProxylessNAS (paper Sec 4, Appx B.2): the alpha gradient is dZhat/dalpha . C(Z), written out here as
// the original code's double loop sum_k dL/dg_k p_k (delta_jk - p_j) over the recorded gate costs;
// the same gradient against central finite differences of the straight-through surrogate
// L(Z + Zhat(alpha) - Zhat(alpha_0)); C(Z) at the sampled op is the recorded edge cost; theta takes
// the sampled path's step; the two-path update keeps the pair's total probability.
import Foundation
import Testing
import WiringEngine
import WiringModel
@testable import WiringSearch

@Suite struct ProxylessNASTests {
    /// Edge 0 deleted, skip excluded on edge 4, two cells (alpha is shared, so gate costs add up).
    static let network = tinyNetwork(cells: 2, constraints: [EdgeConstraint(.edge(0), .delete),
                                                             EdgeConstraint(.edge(4), .exclude([.skipConnect]))])
    static let cases: [(level: SearchLevel, paths: ProxylessGatePaths)] = [(.single, .all), (.single, .two),
                                                                           (.bi, .all), (.bi, .two)]

    /// A strategy on `network` with a spread-out alpha (so p is far from uniform), its net and batches.
    static func setUp(level: SearchLevel, paths: ProxylessGatePaths, updateTheta: Bool = true)
        throws -> (ProxylessNAS, Supernet<Double>, train: Batch, search: Batch, RNG) {
        var rng = RNG(seed: 11)
        let net = Supernet<Double>(config: network, rng: &rng)
        let train = randomBatch(&rng, labels: [3, 1, 2, 0]), search = randomBatch(&rng, labels: [5, 7, 1, 9])
        var config = SearchConfig(algorithm: .proxyless)
        config.level = level
        config.gatePaths = paths
        config.updateTheta = updateTheta
        let alpha = ArchitectureParameters(domains: try network.edgeDomains(), ops: network.ops.count,
                                           initialisation: .normal(mean: 0, std: 0.7), rng: &rng)
        return (ProxylessNAS(config: config, alpha: alpha), net, train, search, RNG(seed: 3))
    }

    @Test(arguments: 0..<4)
    func alphaGradientIsDZhatDAlphaTimesTheRecordedGateCosts(caseIndex: Int) throws {
        let (level, paths) = Self.cases[caseIndex]
        var (strategy, net, train, search, rng) = try Self.setUp(level: level, paths: paths)
        // The gates of alpha's pass: its draw is the step's first (single) or second (bi, after theta's).
        var peek = rng
        if level == .bi { _ = strategy.sampleOps(rng: &peek) }
        let gates = strategy.sampleGates(rng: &peek)
        let alpha = strategy.alpha.values, domains = strategy.alpha.domains
        var sgd = SGD<Double>(config: SGDConfig())
        let record = strategy.step(net: net, tape: Tape(), train: train, search: search, sgd: &sgd, lr: 0.025, rng: &rng)
        let probe = level == .bi ? record.searchProbe! : record.probe

        var expected = alpha.map { $0.map { _ in 0.0 } }
        var checkedEdges = 0
        for e in alpha.indices where gates[e].involved.count > 1 {
            let involved = gates[e].involved
            #expect(paths == .two ? involved.count == 2 : involved == domains[e].allowed)
            // dL/dg_k = [dL/dZ^k]_c: the recorded op cost at the gates, summed over the cells sharing alpha.
            let gateCost = (0..<alpha[e].count).map { k in probe.opCost.reduce(0.0) { $0 + $1[e][k] } }
            let p = referenceSoftmax(alpha[e], allowed: involved)
            for j in involved {
                for k in involved { expected[e][j] += gateCost[k] * p[k] * ((j == k ? 1 : 0) - p[j]) }
            }
            // C(Z) at the sampled op is the edge cost DSNAS records: dL/dZ^s = sum dL/dh_e * h_e.
            let s = gates[e].active!
            for c in 0..<2 where s != 0 {
                let edgeCost = probe.edgeCost[c][e], gate = probe.opCost[c][e][s]
                #expect(abs(edgeCost - gate) <= 1e-12 * max(abs(gate), 1e-9), "cell \(c) edge \(e): \(edgeCost) vs \(gate)")
            }
            checkedEdges += 1
        }
        #expect(checkedEdges == 4, "edges 1-4 draw from two or more ops")
        #expect(relativeError(record.alphaGradient, expected) < 1e-13,
                "recorded \(record.alphaGradient) expected \(expected)")
        #expect(record.alphaGradient[0].allSatisfy { $0 == 0 } && record.alphaGradient[4][1] == 0)
        #expect(record.alphaGradient.joined().contains { abs($0) > 1e-6 }, "a gradient that can fail")
        // The step log sees the sampled path, one-hot, as DSNAS's.
        #expect(record.architecture.choices.allSatisfy { $0.allSatisfy { $0.opIndex != nil || $0 == .deleted } })
    }

    @Test(arguments: [ProxylessGatePaths.all, .two])
    func alphaGradientMatchesFiniteDifferencesOfTheStraightThroughSurrogate(paths: ProxylessGatePaths) throws {
        var (strategy, net, train, search, rng) = try Self.setUp(level: .single, paths: paths, updateTheta: false)
        var peek = rng
        let gates = strategy.sampleGates(rng: &peek)
        let alpha = strategy.alpha.values, domains = strategy.alpha.domains
        var sgd = SGD<Double>(config: SGDConfig())
        let record = strategy.step(net: net, tape: Tape(), train: train, search: search, sgd: &sgd, lr: 0.025, rng: &rng)

        // The surrogate: the forward sees W = Z + Zhat(a) - Zhat(alpha), which is Z at a = alpha, while
        // its derivative in a is dZhat/da . dL/dW, the BinaryConnect gradient. Zhat is the softmax over
        // the involved ops. The theta was frozen, so every pass sees the same network.
        let zhat0 = alpha.indices.map { referenceSoftmax(alpha[$0], allowed: gates[$0].involved) }
        func surrogate(_ a: [[Double]]) -> Double {
            let choices: [EdgeChoice] = a.indices.map { e in
                guard let active = gates[e].active else { return .deleted }
                if gates[e].involved.count == 1 { return .op(active) }
                let zhat = referenceSoftmax(a[e], allowed: gates[e].involved)
                let weights = a[e].indices.map { k in (k == active ? 1.0 : 0.0) + zhat[k] - zhat0[e][k] }
                return .mixture(Mixture(weights: weights, active: a[e].indices.map { gates[e].involved.contains($0) }))
            }
            return loss(net, train, .shared(choices, cells: 2))
        }
        // h = 1e-6 in Double: truncation ~h^2, rounding ~1e-16 * L / h ~ 1e-10, against gradients ~1e-2.
        let numeric = finiteDifferenceGradient(alpha, domains: domains, h: 1e-6, surrogate)
        #expect(relativeError(record.alphaGradient, numeric) < 1e-6, "analytic \(record.alphaGradient) numeric \(numeric)")
        #expect(numeric.joined().contains { abs($0) > 1e-6 }, "a gradient that can fail")
    }

    @Test func thetaTakesTheSampledPathsStep() throws {
        // With skip_missing_gradients, a parameter the sampled path does not use must not move, and
        // the others must take the step a child-only pass gives them.
        var (strategy, net, train, _, rng) = try Self.setUp(level: .single, paths: .all)
        var peek = rng
        let child = ProxylessNAS.childArchitecture(strategy.sampleGates(rng: &peek), cells: 2)
        var childRNG = RNG(seed: 11)
        let childNet = Supernet<Double>(config: Self.network, rng: &childRNG)
        let before = net.parameters.values
        #expect(childNet.parameters.values == before)
        let sgdConfig = SGDConfig(skipMissingGradients: true)
        var sgd = SGD<Double>(config: sgdConfig), childSGD = SGD<Double>(config: sgdConfig)
        let record = strategy.step(net: net, tape: Tape(), train: train, search: nil, sgd: &sgd, lr: 0.025, rng: &rng)
        childNet.trainThetaStep(tape: Tape(), batch: train, architecture: child, sgd: &childSGD, lr: 0.025,
                                refreshRunningStatistics: false)
        #expect(record.architecture == child)
        let used = net.activeParameterNames(child)
        var moved = 0
        for name in net.parameters.names {
            let (a, b, start) = (net.parameters[name]!, childNet.parameters[name]!, before[name]!)
            if used.contains(name) {
                let diff = zip(a.scalars, b.scalars).map { abs($0 - $1) }.max() ?? 0
                #expect(diff <= 1e-13, "\(name) differs from the child step by \(diff)")
                moved += a.scalars == start.scalars ? 0 : 1
            } else {
                #expect(a.scalars == start.scalars, "\(name) is not on the sampled path but moved")
            }
        }
        #expect(moved > 0)
    }

    @Test func twoPathUpdateKeepsThePairsTotalProbability() throws {
        var (strategy, net, train, search, rng) = try Self.setUp(level: .single, paths: .two)
        var config = strategy.config
        config.alphaOptimizer.weightDecay = 0  // so the ops outside the pair keep their alpha exactly
        strategy = ProxylessNAS(config: config, alpha: strategy.alpha)
        var peek = rng
        let gates = strategy.sampleGates(rng: &peek)
        let before = strategy.alpha
        var sgd = SGD<Double>(config: SGDConfig())
        _ = strategy.step(net: net, tape: Tape(), train: train, search: search, sgd: &sgd, lr: 0.025, rng: &rng)
        var pairsMoved = 0
        for e in gates.indices where gates[e].involved.count == 2 {
            let p0 = before.probabilities(edge: e), p1 = strategy.alpha.probabilities(edge: e)
            let pair = gates[e].involved
            for o in before.domains[e].allowed where !pair.contains(o) {
                #expect(strategy.alpha.values[e][o] == before.values[e][o])
                #expect(abs(p1[o] - p0[o]) < 1e-15, "edge \(e) op \(o) outside the pair")
            }
            #expect(abs((p1[pair[0]] + p1[pair[1]]) - (p0[pair[0]] + p0[pair[1]])) < 1e-15)
            pairsMoved += p1[pair[0]] != p0[pair[0]] ? 1 : 0
        }
        #expect(pairsMoved > 0)
    }

    @Test func strategyStatesItsFacts() throws {
        let config = SearchConfig(algorithm: .proxyless)
        #expect(config.level == .bi && config.usesSearchBatch && config.misfit == nil)
        #expect(config.passesPerStep == [.child, .mixture])
        var second = config
        second.order = .second
        #expect(second.misfit?.key == "order")
        var single = config
        single.level = .single
        single.gatePaths = .two
        #expect(single.misfit == nil && !single.usesSearchBatch && single.passesPerStep == [.child, .child])
        var dsnas = SearchConfig(algorithm: .dsnas)
        dsnas.level = .bi
        #expect(dsnas.misfit?.expected == "expected single for dsnas (only darts and proxyless run bi-level)")
        // Existing algorithms' settings (and so their run ids) are what they were.
        let darts = SearchConfig(algorithm: .darts)
        #expect(darts.level == .bi && darts.alphaOptimizer.gradClip == nil && darts.alphaInit == .normal(mean: 0, std: 1e-3))
        #expect(SearchConfig(algorithm: .snas).alphaOptimizer.gradClip == 10)
    }
}
