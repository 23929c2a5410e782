// `pointwiseConvs` (1x1 convs of one input, read once) against one `conv2d` per weight, recorded in
// the same order: the design promises the same bits for the outputs, the input's gradient (stored
// or added into, with or without the ReLU mask) and every weight's gradient, whether the output
// gradients are stored or deferred by a normalisation, and when no gradient reaches one of the convs.
import Testing
@testable import WiringEngine
import WiringTestSupport

/// One way to wire the convs into a loss.
struct SharedInputCase: CustomStringConvertible, Sendable {
    var outChannels: [Int]
    var height = 8, width = 8
    var relu = true
    /// Each output goes through a batch norm (which defers its input gradient to the conv).
    var normalize = true
    /// Outputs left out of the loss (no gradient reaches them).
    var unused: Set<Int> = []
    /// Another 1x1 conv of the input, recorded after, so the input already has a gradient (added into).
    var laterConsumer = false

    var description: String {
        "out \(outChannels) \(height)x\(width) relu \(relu) norm \(normalize) unused \(unused.sorted()) later \(laterConsumer)"
    }
}

/// Bit patterns of every output value and of the gradients of x and each weight (empty when none).
private func sharedInputBits<T: TensorElement>(_ type: T.Type, _ c: SharedInputCase, shared: Bool) -> [[UInt64]] {
    var rng = RNG(seed: 61)
    let inChannels = 6
    var x = Tensor<T>.normal(shape: [3, inChannels, c.height, c.width], rng: &rng)
    x.withUnsafeMutableBufferPointer { b in for i in stride(from: 0, to: b.count, by: 7) { b[i] = 0 } }  // mask edges
    let weights = c.outChannels.map { Tensor<T>.normal(shape: [$0, inChannels, 1, 1], rng: &rng) }
    let extraWeight = Tensor<T>.normal(shape: [2, inChannels, 1, 1], rng: &rng)
    let tape = Tape<T>()
    let xv = tape.leaf(x), wv = weights.map { tape.leaf($0) }, extra = tape.leaf(extraWeight)
    let moments = Array(repeating: c.normalize, count: weights.count)
    let outs = shared
        ? tape.pointwiseConvs(xv, weights: wv, reluInput: c.relu, outputMoments: moments)
        : wv.map { tape.conv2d(xv, weight: $0, reluInput: c.relu, outputMoments: c.normalize) }
    var used: [Var] = []
    for (j, y) in outs.enumerated() where !c.unused.contains(j) {
        var running: RunningStatistics<T>? = RunningStatistics(channels: c.outChannels[j])
        used.append(c.normalize ? tape.normalize(y, gamma: nil, beta: nil, kind: .batch, running: &running, training: true)
                                : y)
    }
    if c.laterConsumer { used.append(tape.conv2d(xv, weight: extra, reluInput: c.relu)) }
    let root = tape.concatChannels(used)
    tape.backward(root, seed: Tensor<T>.normal(shape: tape.shape(root), rng: &rng))
    func bits(_ t: Tensor<T>?) -> [UInt64] { t?.scalars.map { Double($0).bitPattern } ?? [] }
    return outs.map { bits(tape.value($0)) } + [bits(tape.gradient(xv))] + wv.map { bits(tape.gradient($0)) }
}

@Suite struct SharedInputConvTests {
    static let cases: [SharedInputCase] = [
        SharedInputCase(outChannels: [4, 4]),                                     // the preprocessing pair
        SharedInputCase(outChannels: [3, 5, 2], height: 5, width: 7),             // odd count, column tail
        SharedInputCase(outChannels: [4, 4], relu: false),                        // no ReLU mask
        SharedInputCase(outChannels: [4, 4], normalize: false),                   // stored output gradients
        SharedInputCase(outChannels: [4, 4], unused: [0]),                        // no gradient reaches conv 0
        SharedInputCase(outChannels: [4, 4, 4], unused: [1]),
        SharedInputCase(outChannels: [4, 4], laterConsumer: true),                // x's gradient added into
        SharedInputCase(outChannels: [4, 4, 4], relu: false, normalize: false, laterConsumer: true),
    ]

    @Test(arguments: cases)
    func readingTheInputOnceChangesNoBit(_ c: SharedInputCase) {
        let plain = sharedInputBits(Float.self, c, shared: false)
        let (one, two) = withOneAndTwoThreads { sharedInputBits(Float.self, c, shared: true) }
        // Which entry differs first: outputs, then x's gradient, then the weights'.
        func firstDifference(_ a: [[UInt64]], _ b: [[UInt64]]) -> Int? { a.indices.first { a[$0] != b[$0] } }
        #expect(firstDifference(one, plain) == nil, "\(c)")
        #expect(firstDifference(two, plain) == nil, "threads: \(c)")
        // A conv that no gradient reached has no weight gradient at all, as when it is recorded alone.
        for j in c.unused { #expect(one[c.outChannels.count + 1 + j].isEmpty, "\(c)") }
        #expect(firstDifference(sharedInputBits(Double.self, c, shared: true),
                                sharedInputBits(Double.self, c, shared: false)) == nil, "Double: \(c)")
    }

    /// The shared record is one backward for several outputs: it must run when only a later output has a
    /// gradient, and find the first one's missing.
    @Test func aRecordWithSeveralOutputsRunsForAnyOfThem() {
        let tape = Tape<Float>()
        let x = tape.leaf(Tensor(shape: [2], scalars: [1, 2]))
        var seen: [Bool] = []
        let outs = tape.record("two", inputs: [x], outputs: [tape.value(x), tape.value(x)]) { ctx in
            seen = [ctx.outputGradient(0) != nil, ctx.outputGradient(1) != nil]
        }
        tape.backward(outs[1], seed: Tensor(shape: [2], scalars: [1, 1]))
        #expect(seen == [false, true])
    }
}
