import Testing
@testable import WiringEngine
import WiringTestSupport

// Elementwise ops (Elementwise.swift) and the movement ops of Shape.swift (concat, slice).
// Oracles: central finite differences and hand-computed values.

private func normal(_ shape: [Int], seed: UInt64) -> Tensor<Double> {
    var rng = RNG(seed: seed)
    return Tensor.normal(shape: shape, rng: &rng)
}


@Suite struct ElementwiseTests {
    // Central differences in Double, h = 1e-6: these ops are linear or piecewise linear (relu is
    // tested away from 0), so the error is rounding only (~1e-9); 1e-7 still catches a wrong term.
    @Test func reluBackwardMatchesFiniteDifferences() {
        // Keep every input at least 0.01 away from the kink at 0.
        var x = normal([2, 3, 4, 5], seed: 1)
        for i in 0..<x.count where abs(x[flat: i]) < 0.01 { x[flat: i] = 0.5 }
        let report = checkGradients(inputs: [x]) { tape, v in tape.relu(v[0]) }
        #expect(report.worst < 1e-7, "\(report)")
    }

    @Test func reluGradientAtZeroIsZero() {
        let tape = Tape<Double>()
        let x = tape.leaf(Tensor(shape: [4], scalars: [-1, 0, 2, -0.0]))
        let y = tape.relu(x)
        #expect(tape.value(y).scalars == [0, 0, 2, 0])
        tape.backward(y, seed: Tensor(shape: [4], scalars: [10, 20, 30, 40]))
        #expect(tape.gradient(x)!.scalars == [0, 0, 30, 0])  // PyTorch: no gradient at exactly 0
    }

    @Test func addSumAndScaleMatchFiniteDifferences() {
        let (a, b, c) = (normal([2, 3, 4], seed: 2), normal([2, 3, 4], seed: 3), normal([2, 3, 4], seed: 4))
        let add = checkGradients(inputs: [a, b]) { tape, v in tape.add(v[0], v[1]) }
        let sum = checkGradients(inputs: [a, b, c]) { tape, v in tape.sum(v) }
        let scale = checkGradients(inputs: [a]) { tape, v in tape.scale(v[0], by: -2.5) }
        #expect(add.worst < 1e-7, "\(add)")
        #expect(sum.worst < 1e-7, "\(sum)")
        #expect(scale.worst < 1e-7, "\(scale)")
    }

    @Test func aTensorUsedTwiceGetsBothGradients() {
        // add(x, x) = 2x and sum([x, y, x]) = 2x + y: the two gradient buffers of x are one buffer.
        let tape = Tape<Double>()
        let x = tape.leaf(Tensor(shape: [3], scalars: [1, 2, 3]))
        let y = tape.leaf(Tensor(shape: [3], scalars: [10, 20, 30]))
        let s = tape.sum([tape.add(x, x), y, x])
        #expect(tape.value(s).scalars == [13, 26, 39])
        tape.backward(s, seed: Tensor(shape: [3], scalars: [1, -1, 0.5]))
        #expect(tape.gradient(x)!.scalars == [3, -3, 1.5])
        #expect(tape.gradient(y)!.scalars == [1, -1, 0.5])
    }

    @Test func aHandlesCostAgainstItsNodeIsTheDotOfItsOwnGradientWithTheNodesValue() {
        // Two identity handles of x, used as 3h1 + h2 (Float): each handle's gradient against x is
        // sum(g_h * x), the handle's own cost bit for bit (they share x's value), and not x's total cost.
        let tape = Tape<Float>()
        let x = tape.leaf(Tensor(shape: [40], scalars: (0..<40).map { Float($0) * 0.37 - 5 }))
        let h1 = tape.identity(x), h2 = tape.identity(x)
        let s = tape.sum([tape.add(h1, tape.add(h1, h1)), h2])
        let seed = Tensor<Float>(shape: [40], scalars: (0..<40).map { Float(($0 * 7) % 11) - 4.5 })
        tape.backward(s, seed: seed)
        let xs = tape.value(x).scalars, gs = seed.scalars
        let plain1 = zip(gs, xs).reduce(0.0) { $0 + 3 * Double($1.0) * Double($1.1) }
        let plain2 = zip(gs, xs).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        let against1 = tape.cost(h1, against: x), against2 = tape.cost(h2, against: x)
        #expect(abs(against1 - plain1) <= 1e-12 * abs(plain1) && abs(against2 - plain2) <= 1e-12 * abs(plain2))
        #expect(against1.bitPattern == tape.cost(h1).bitPattern && against2.bitPattern == tape.cost(h2).bitPattern)
        #expect(abs(tape.cost(x) - (plain1 + plain2)) <= 1e-12 * abs(plain1 + plain2))
    }

    @Test func weightedSumMatchesFiniteDifferencesIncludingWeights() {
        let xs = (0..<4).map { normal([2, 3, 5], seed: 10 + UInt64($0)) }
        let w = Tensor<Double>(shape: [4], scalars: [0.1, -0.7, 0.25, 1.3])
        let report = checkGradients(inputs: xs + [w]) { tape, v in tape.weightedSum(Array(v[0..<4]), weights: v[4]) }
        #expect(report.worst < 1e-7, "\(report)")
    }

    @Test func weightedSumHandComputed() {
        let tape = Tape<Double>()
        let a = tape.leaf(Tensor(shape: [1, 2], scalars: [1, 2]))
        let b = tape.leaf(Tensor(shape: [1, 2], scalars: [3, -4]))
        let w = tape.leaf(Tensor(shape: [2], scalars: [0.5, 2]))
        let y = tape.weightedSum([a, b], weights: w)
        #expect(tape.value(y).scalars == [6.5, -7])  // [0.5 * 1 + 2 * 3, 0.5 * 2 + 2 * (-4)]
        tape.backward(y, seed: Tensor(shape: [1, 2], scalars: [1, 10]))
        #expect(tape.gradient(a)!.scalars == [0.5, 5])
        #expect(tape.gradient(b)!.scalars == [2, 20])
        // dL/dw_k = sum(dOut * x_k): 1*1 + 10*2 and 1*3 + 10*(-4); equal to cost(x_k) / w_k.
        #expect(tape.gradient(w)!.scalars == [21, -37])
    }

    @Test func weightsNeedNoGradient() {
        // DARTS evaluation: constant weights, gradients only to the inputs.
        let tape = Tape<Double>()
        let a = tape.leaf(Tensor(shape: [2], scalars: [1, 2]))
        let w = tape.constant(Tensor(shape: [1], scalars: [3]))
        let y = tape.weightedSum([a], weights: w)
        tape.backward(y, seed: Tensor(shape: [2], scalars: [1, 1]))
        #expect(tape.gradient(a)!.scalars == [3, 3])
        #expect(tape.gradient(w) == nil)
    }

    // MARK: - Shape.swift

    @Test func concatAndSliceMatchFiniteDifferences() {
        let (a, b) = (normal([2, 1, 3, 4], seed: 20), normal([2, 3, 3, 4], seed: 21))
        let cat = checkGradients(inputs: [a, b, a]) { tape, v in tape.concatChannels(v) }
        let slice = checkGradients(inputs: [b]) { tape, v in tape.spatialSlice(v[0], top: 1, left: 1) }
        #expect(cat.worst < 1e-7, "\(cat)")
        #expect(slice.worst < 1e-7, "\(slice)")
    }

    @Test func concatAndSliceHandComputed() {
        let tape = Tape<Double>()
        // a: N=2, C=1, 1x2; b: N=2, C=2, 1x2.
        let a = tape.leaf(Tensor(shape: [2, 1, 1, 2], scalars: [1, 2, 3, 4]))
        let b = tape.leaf(Tensor(shape: [2, 2, 1, 2], scalars: [10, 20, 30, 40, 50, 60, 70, 80]))
        let cat = tape.concatChannels([a, b])
        #expect(tape.shape(cat) == [2, 3, 1, 2])
        #expect(tape.value(cat).scalars == [1, 2, 10, 20, 30, 40, 3, 4, 50, 60, 70, 80])
        tape.backward(cat, seed: Tensor(shape: [2, 3, 1, 2], scalars: (1...12).map(Double.init)))
        #expect(tape.gradient(a)!.scalars == [1, 2, 7, 8])
        #expect(tape.gradient(b)!.scalars == [3, 4, 5, 6, 9, 10, 11, 12])

        // x[:, :, 1:, 1:] of a 3x3 plane 1...9 keeps [[5 6] [8 9]].
        let x = tape.leaf(Tensor(shape: [1, 1, 3, 3], scalars: (1...9).map(Double.init)))
        let s = tape.spatialSlice(x, top: 1, left: 1)
        #expect(tape.shape(s) == [1, 1, 2, 2])
        #expect(tape.value(s).scalars == [5, 6, 8, 9])
        tape.backward(s, seed: Tensor(shape: [1, 1, 2, 2], scalars: [1, 2, 3, 4]))
        #expect(tape.gradient(x)!.scalars == [0, 0, 0, 0, 1, 2, 0, 3, 4])
    }

    // MARK: - Precision and threads

    @Test func floatElementwiseAgreesWithDouble() {
        let xs = (0..<3).map { normal([2, 4, 5, 6], seed: 30 + UInt64($0)) }
        let w = Tensor<Double>(shape: [3], scalars: [0.2, 0.3, 0.5])
        let seed = normal([2, 8, 5, 6], seed: 33)
        func run<T: TensorElement>(_: T.Type) -> [Tensor<T>] {
            let tape = Tape<T>()
            let v = xs.map { tape.leaf($0.converted(to: T.self)) }
            let wv = tape.leaf(w.converted(to: T.self))
            let mixed = tape.weightedSum(v, weights: wv)
            let node = tape.sum([tape.relu(mixed), tape.scale(v[1], by: 3), tape.add(v[0], v[2])])
            let y = tape.concatChannels([node, tape.spatialSlice(tape.relu(v[0]), top: 0, left: 0)])
            tape.backward(y, seed: seed.converted(to: T.self))
            return [tape.value(y), tape.gradient(v[0])!, tape.gradient(v[1])!, tape.gradient(wv)!]
        }
        let (f, d) = (run(Float.self), run(Double.self))
        // Inputs ~N(0, 1); a few Float roundings per element: ~1e-6. The weight gradient sums
        // 240 products (accumulated in Double): ~1e-5.
        for k in 0..<3 { #expect(maxAbsDifference(f[k], d[k]) < 1e-5, "result \(k)") }
        #expect(maxAbsDifference(f[3], d[3]) < 1e-4)
    }

    @Test func elementwiseIsDeterministicAcrossThreadCounts() {
        // Large enough for several elementwise chunks (16384) and DeterministicSum chunks (4096).
        var rng = RNG(seed: 40)
        let xs = (0..<3).map { _ in Tensor<Float>.normal(shape: [3, 4, 64, 64], rng: &rng) }
        let w = Tensor<Float>(shape: [3], scalars: [0.3, -1.1, 0.7])
        let seed = Tensor<Float>.normal(shape: [3, 8, 63, 63], rng: &rng)
        let (one, two) = withOneAndTwoThreads { () -> [Tensor<Float>] in
            let tape = Tape<Float>()
            let v = xs.map { tape.leaf($0) }
            let wv = tape.leaf(w)
            let node = tape.sum([tape.relu(tape.weightedSum(v, weights: wv)), tape.add(v[0], tape.scale(v[1], by: 2))])
            let y = tape.spatialSlice(tape.concatChannels([node, v[2]]), top: 1, left: 1)
            tape.backward(y, seed: seed)
            return [tape.value(y), tape.gradient(wv)!] + v.map { tape.gradient($0)! }
        }
        #expect(one == two)
    }
}
