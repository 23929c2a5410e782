// Three fusions across ops that the design promises change no bit:
// - a normalisation leaves its input gradient deferred for the conv that produced the input, which
//   writes it a sample at a time into a cached scratch (WiringEngine/DeferredGradient.swift);
// - a conv followed by a normalisation takes its output's plane moments as it writes the planes,
//   so the normalisation skips its own pass (`conv2d(outputMoments:)`);
// - the first cell's two preprocessings read the stem once (`pointwiseConvs`).
// Every tensor's gradient and every probe of a step must be bitwise the same with each off.
import Testing
@testable import WiringEngine
@testable import WiringModel

/// Bit patterns of a whole step (every tensor's gradient on the tape, then the probes), and how many
/// gradients were deferred and moments taken.
func stepBits<T: TensorElement>(_ type: T.Type, _ config: NetworkConfig, ops: [OpKind], defer deferring: Bool,
                                moments: Bool, training: Bool = true, sharedInputs: Bool = true)
    -> (bits: [[UInt64]], deferred: Int, moments: Int, shared: Int) {
    var rng = RNG(seed: 7)
    let net = Supernet<T>(config: config, rng: &rng)
    let images = Tensor<T>.normal(shape: [4, 3, 8, 8], rng: &rng)
    let tape = Tape<T>()
    tape.defersGradients = deferring
    tape.takesOutputMoments = moments
    tape.readsSharedInputsOnce = sharedInputs
    tape.releasesGradients = false  // every tensor's gradient is compared below
    let probe = net.step(tape: tape, images: images, labels: [3, 1, 2, 0],
                         architecture: .shared(ops.map { .op(config.ops.firstIndex(of: $0)!) }, cells: config.cells),
                         training: training).probe
    var bits: [[UInt64]] = (0..<tape.count).map { id in
        tape.gradient(Var(id: id))?.scalars.map { UInt64(Double($0).bitPattern) } ?? []
    }
    bits += (0..<tape.count).map { id in tape.value(Var(id: id)).scalars.map { UInt64(Double($0).bitPattern) } }
    var probes: [Double] = [probe.loss, probe.costZ, probe.meanLoss, probe.meanEntropy]
    for table in [probe.edgeCost, probe.edgeInputCost, probe.nodeCost, probe.nodeCostViaEdges, probe.nodeCostViaOutput] {
        probes += table.flatMap { $0 }
    }
    probes += probe.opCost.flatMap { $0.flatMap { $0 } }
    probes += probe.cellOutputCost
    bits.append(probes.map { $0.bitPattern })
    return (bits, tape.deferredCount, tape.outputMoments.count, tape.records.filter { $0.name.hasSuffix(".shared") }.count)
}

/// The first entry (a gradient, a value, or the probes last) whose bits differ, nil when none does.
func firstDifference(_ a: [[UInt64]], _ b: [[UInt64]]) -> Int? {
    if a.count != b.count { return min(a.count, b.count) }
    return a.indices.first { a[$0] != b[$0] }
}

@Suite struct FusedPassTests {
    @Test(arguments: StackingOrder.allCases, [NormKind.batch, .instance, .layer])
    func fusionsChangeNoBit(stacking: StackingOrder, norm: NormKind) {
        let config = smallConfig(cells: 2, norm: norm, affine: norm == .batch, stacking: stacking)
        for ops in [noSkipArch, skipOnE4] {
            let plain = stepBits(Float.self, config, ops: ops, defer: false, moments: false)
            #expect(plain.deferred == 0 && plain.moments == 0)
            for (deferring, moments) in [(true, false), (false, true), (true, true)] {
                let fused = stepBits(Float.self, config, ops: ops, defer: deferring, moments: moments)
                // Conv then norm (the stem, the preprocessing, the conv ops in the conv-first orders):
                // the step must really have taken the fused paths.
                #expect(deferring == (fused.deferred > 0), "\(stacking) \(norm): \(fused.deferred) deferred")
                #expect(moments == (fused.moments > 0), "\(stacking) \(norm): \(fused.moments) moments taken")
                #expect(firstDifference(fused.bits, plain.bits) == nil,
                        "\(stacking) \(norm) \(ops) defer \(deferring) moments \(moments)")
            }
        }
        let plainD = stepBits(Double.self, config, ops: noSkipArch, defer: false, moments: false)
        let fusedD = stepBits(Double.self, config, ops: noSkipArch, defer: true, moments: true)
        #expect(fusedD.deferred > 0 && fusedD.moments > 0)
        #expect(firstDifference(fusedD.bits, plainD.bits) == nil, "Double \(stacking) \(norm)")
    }

    /// Eval-mode batch norm (running statistics) defers too (dx = a * dy) and takes no moments.
    @Test func evalModeBatchNormChangesNoBit() {
        let plain = stepBits(Float.self, smallConfig(), ops: noSkipArch, defer: false, moments: false, training: false)
        let fused = stepBits(Float.self, smallConfig(), ops: noSkipArch, defer: true, moments: true, training: false)
        #expect(fused.deferred > 0 && fused.moments == 0)
        #expect(firstDifference(fused.bits, plain.bits) == nil)
    }

    /// The first cell's preprocessings read the stem in one `pointwiseConvs`: the step records its
    /// tensors in another order (both convs, then both norms), so every tensor's value and gradient is
    /// compared as a set, and the probes in order.
    @Test(arguments: [NormKind.batch, .instance, .layer])
    func readingTheStemOnceChangesNoBit(norm: NormKind) {
        func sorted(_ bits: [[UInt64]]) -> [[UInt64]] { bits.sorted { $0.lexicographicallyPrecedes($1) } }
        for cells in [1, 2] {
            let config = smallConfig(cells: cells, norm: norm, affine: norm == .batch)
            for ops in [noSkipArch, skipOnE4] {
                let separate = stepBits(Float.self, config, ops: ops, defer: true, moments: true, sharedInputs: false)
                let shared = stepBits(Float.self, config, ops: ops, defer: true, moments: true)
                #expect(separate.shared == 0 && shared.shared == 1, "\(norm) cells \(cells)")
                let sameProbes = shared.bits.last == separate.bits.last
                let sameTensors = sorted(shared.bits.dropLast()) == sorted(separate.bits.dropLast())
                #expect(sameProbes, "probes: \(norm) cells \(cells) \(ops)")
                #expect(sameTensors, "tensors: \(norm) cells \(cells) \(ops)")
            }
            let separateD = stepBits(Double.self, config, ops: noSkipArch, defer: false, moments: false, sharedInputs: false)
            let sharedD = stepBits(Double.self, config, ops: noSkipArch, defer: false, moments: false)
            let same = sorted(sharedD.bits) == sorted(separateD.bits)
            #expect(same, "Double \(norm) cells \(cells)")
        }
    }
}
