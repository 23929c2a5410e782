// DARTS mixtures: every op evaluated and weighted. The per-op cost is dL/dW (not multiplied by W), the
// edge cost is sum_op W * C, and Theorem 2's DARTS analogue holds once the skip op's share on the
// intermediate edge (W * C of skip on e4) is subtracted (fixtures README section 6, case D).
import Testing
import WiringEngine
@testable import WiringModel

@Suite struct MixtureTests {
    func uniformMixtureStep(noSkipOnE4: Bool = false) -> (StepProbe, Architecture) {
        var config = smallConfig(eps: 1e-10)
        config.ops = OpKind.orderA
        config.naming = .darts
        var rng = RNG(seed: 5)
        let net = Supernet<Double>(config: config, rng: &rng)
        let images = Tensor<Double>.normal(shape: [4, 3, 8, 8], rng: &rng)
        var sampler = UniformMixtureSampler(opCount: 8)
        var arch = sampler.sample(domains: try! config.edgeDomains(), cells: 1, rng: &rng)
        if noSkipOnE4, case var .mixture(m) = arch.choices[0][4] {
            m.active[OpKind.orderA.firstIndex(of: .skipConnect)!] = false
            arch.choices[0][4] = .mixture(m)
        }
        let (_, probe) = net.step(tape: Tape<Double>(), images: images, labels: [1, 2, 3, 4], architecture: arch)
        return (probe, arch)
    }

    @Test func edgeCostIsTheWeightedSumOfOpCosts() {
        let (p, arch) = uniformMixtureStep()
        for e in 0..<5 {
            guard case let .mixture(m) = arch.choices[0][e] else { Issue.record("not a mixture"); return }
            let weighted = zip(m.weights, p.opCost[0][e]).reduce(0) { $0 + $1.0 * $1.1 }
            #expect(abs(weighted - p.edgeCost[0][e]) <= 1e-12 * p.edgeCost[0].map(abs).reduce(0, +))
            #expect(p.opCost[0][e][0] == 0, "none's column is exactly 0")
        }
    }

    @Test func dartsTheorem2HoldsAfterSubtractingTheSkipShare() {
        let (p, _) = uniformMixtureStep()
        let skip = OpKind.orderA.firstIndex(of: .skipConnect)!
        let scale = p.edgeCost[0].map(abs).reduce(0, +)
        let skipShare = 0.125 * p.opCost[0][4][skip]
        #expect(abs(p.cellEdgeCostSum(0) - p.costZ) / scale > 1e-4, "the plain form must fail with skip in e4's mix")
        #expect(abs(p.cellEdgeCostSum(0) - skipShare - p.costZ) / scale < 1e-7)
        // With skip left out of e4's sum (fix_edge4_noskip), the plain form holds and skip's cost is 0.
        let (q, _) = uniformMixtureStep(noSkipOnE4: true)
        #expect(q.opCost[0][4][skip] == 0)
        #expect(abs(q.cellEdgeCostSum(0) - q.costZ) / q.edgeCost[0].map(abs).reduce(0, +) < 1e-7)
    }

    @Test func dartsNamingSpellsPoolNormsWithoutOp() {
        var config = smallConfig()
        config.ops = OpKind.orderA
        config.naming = .darts
        var rng = RNG(seed: 1)
        let net = Supernet<Float>(config: config, rng: &rng)
        #expect(net.parameters.buffers["cells.0._ops.0._ops.1.1.running_var"] != nil)
        #expect(net.parameters.buffers["cells.0._ops.0._ops.4.op.3.running_var"] != nil)
        config.naming = .dsnas
        let dsnas = Supernet<Float>(config: config, rng: &rng)
        #expect(dsnas.parameters.buffers["cells.0._ops.0._ops.1.op.1.running_var"] != nil)
    }
}
