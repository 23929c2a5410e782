// A step keeps only the gradients its probes and the optimiser read (`ForwardTrace.probedVariables`)
// and gives every other one back to the tape's pool once its producer's backward has read it, so later
// gradients of the same pass reuse the buffers (Tape.backward(_:keepingGradientsOf:)). This must change
// no bit of anything the step reports, and it must lower what the tape holds.
import Testing
@testable import WiringEngine
@testable import WiringModel

/// Bits of every probe and every parameter gradient of `steps` steps, and the elements the tape allocated.
private func reportedBits(_ config: NetworkConfig, architecture: Architecture, release: Bool, steps: Int = 2)
    -> (bits: [UInt64], allocated: Int) {
    var rng = RNG(seed: 11)
    let net = Supernet<Float>(config: config, rng: &rng)
    let images = Tensor<Float>.normal(shape: [4, 3, 8, 8], rng: &rng)
    let tape = Tape<Float>()
    tape.releasesGradients = release
    var bits: [UInt64] = []
    for _ in 0..<steps {
        tape.reset()
        let (trace, probe) = net.step(tape: tape, images: images, labels: [3, 1, 2, 0], architecture: architecture)
        var numbers: [Double] = [probe.loss, probe.costZ]
        for table in [probe.edgeCost, probe.edgeInputCost, probe.nodeCost, probe.nodeCostViaEdges, probe.nodeCostViaOutput] {
            numbers += table.flatMap { $0 }
        }
        numbers += probe.opCost.flatMap { $0.flatMap { $0 } } + probe.cellOutputCost
        bits += numbers.map(\.bitPattern)
        let gradients = net.gradients(trace: trace, tape: tape)
        for name in gradients.keys.sorted() { bits += gradients[name]!.scalars.map { UInt64($0.bitPattern) } }
    }
    return (bits, tape.allocatedElements)
}

@Suite struct GradientReleaseTests {
    static let mixture: EdgeChoice = .mixture(Mixture(weights: [0.05, 0.1, 0.15, 0.1, 0.2, 0.1, 0.15, 0.15]))

    @Test(arguments: [NormKind.batch, .instance, .layer])
    func releasingGradientsChangesNoReportedBit(norm: NormKind) {
        let config = smallConfig(cells: 2, norm: norm, affine: norm == .batch)
        let ops = config.ops
        let architectures: [Architecture] = [
            .shared(noSkipArch.map { .op(ops.firstIndex(of: $0)!) }, cells: 2),
            .shared(skipOnE4.map { .op(ops.firstIndex(of: $0)!) }, cells: 2),
            .shared(Array(repeating: Self.mixture, count: 5), cells: 2),
        ]
        for architecture in architectures {
            let kept = reportedBits(config, architecture: architecture, release: false)
            let released = reportedBits(config, architecture: architecture, release: true)
            #expect(released.bits == kept.bits, "\(norm): a probe or parameter gradient changed")
        }
    }

    @Test func aMixtureStepHoldsLessWhenItGivesGradientsBack() {
        let config = smallConfig(cells: 2)
        let architecture = Architecture.shared(Array(repeating: Self.mixture, count: 5), cells: 2)
        let kept = reportedBits(config, architecture: architecture, release: false)
        let released = reportedBits(config, architecture: architecture, release: true)
        // Most of a mixture step's gradients are the ops' inner tensors, which nothing reads after the pass.
        #expect(Double(released.allocated) < 0.8 * Double(kept.allocated),
                "allocated \(released.allocated) elements with release, \(kept.allocated) without")
    }
}
