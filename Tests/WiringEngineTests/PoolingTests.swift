import Testing
@testable import WiringEngine
import WiringTestSupport

// Oracles: central finite differences, values worked out by hand, and the plain per-output loops of
// WiringTestSupport/NaivePooling.swift, written from PyTorch's CPU kernels independently of Pooling.swift.

/// Distinct values (a shuffled ramp), so no max window has a tie and a step of 1e-6 flips no argmax.
private func distinct(_ shape: [Int], seed: UInt64) -> Tensor<Double> {
    var rng = RNG(seed: seed)
    let n = shape.reduce(1, *)
    return Tensor(shape: shape, scalars: rng.permutation(n).map { Double($0) * 0.1 - Double(n) * 0.05 })
}


@Suite struct PoolingTests {
    // Central differences in Double with h = 1e-6 on piecewise-linear ops: exact up to rounding
    // (~1e-9), so 1e-6 leaves a wide margin and still catches any wrong tap or divisor.
    @Test(arguments: [(1, [2, 2, 5, 6]), (2, [2, 2, 5, 6]), (1, [1, 1, 3, 10]), (2, [1, 2, 6, 17])])
    func maxPoolBackwardMatchesFiniteDifferences(stride: Int, shape: [Int]) {
        let report = checkGradients(inputs: [distinct(shape, seed: 3)]) { tape, v in
            tape.maxPool3x3(v[0], stride: stride)
        }
        #expect(report.worst < 1e-6, "\(report)")
    }

    @Test(arguments: [(1, [2, 2, 5, 6]), (2, [2, 2, 5, 6]), (1, [1, 1, 3, 10]), (2, [1, 2, 6, 17])])
    func avgPoolBackwardMatchesFiniteDifferences(stride: Int, shape: [Int]) {
        var rng = RNG(seed: 4)
        let report = checkGradients(inputs: [Tensor.normal(shape: shape, rng: &rng)]) { tape, v in
            tape.avgPool3x3(v[0], stride: stride)
        }
        #expect(report.worst < 1e-6, "\(report)")
    }

    @Test func globalAveragePoolBackwardMatchesFiniteDifferences() {
        var rng = RNG(seed: 5)
        let report = checkGradients(inputs: [Tensor.normal(shape: [2, 3, 3, 4], rng: &rng)]) { tape, v in
            tape.globalAveragePool(v[0])
        }
        #expect(report.worst < 1e-8, "\(report)")
    }

    /// The second pool's backward stores x's first gradient, the first pool's adds into it.
    @Test func globalAveragePoolBackwardAddsIntoAGradientStoredBefore() {
        var rng = RNG(seed: 6)
        let report = checkGradients(inputs: [Tensor.normal(shape: [2, 3, 3, 4], rng: &rng)]) { tape, v in
            tape.add(tape.globalAveragePool(v[0]), tape.scale(tape.globalAveragePool(v[0]), by: 3))
        }
        #expect(report.worst < 1e-8, "\(report)")
    }

    @Test func avgPoolExcludesPaddingAtCorners() {
        // x = [[1 2 3] [4 5 6] [7 8 9]].
        let tape = Tape<Double>()
        let x = tape.leaf(Tensor(shape: [1, 1, 3, 3], scalars: (1...9).map(Double.init)))
        // Stride 1: corners divide by 4, borders by 6, the centre by 9.
        // Row 0: (1+2+4+5)/4, (1+2+3+4+5+6)/6, (2+3+5+6)/4; row 1: (1+2+4+5+7+8)/6, 45/9,
        // (2+3+5+6+8+9)/6; row 2: (4+5+7+8)/4, (4+5+6+7+8+9)/6, (5+6+8+9)/4.
        let expected1: [Double] = [3, 3.5, 4, 4.5, 5, 5.5, 6, 6.5, 7]
        #expect(tape.value(tape.avgPool3x3(x, stride: 1)).scalars == expected1)
        // Stride 2: 2x2 outputs, each window keeps a 2x2 corner of the image.
        let y2 = tape.avgPool3x3(x, stride: 2)
        #expect(tape.shape(y2) == [1, 1, 2, 2])
        #expect(tape.value(y2).scalars == [3, 4, 6, 7])
        // Backward of the stride-2 pool: each in-image tap gets 1/4 of its outputs' gradient.
        tape.backward(y2, seed: Tensor(shape: [1, 1, 2, 2], scalars: [4, 8, 12, 16]))
        // Shares [1 2 3 4]; tap (0,1) is in windows 0 and 1, the centre in all four, and so on.
        #expect(tape.gradient(x)!.scalars == [1, 3, 2, 4, 10, 6, 3, 7, 4])
    }

    @Test func maxPoolTieGoesToFirstTapInRowMajorOrder() {
        // A constant 3x3 plane: every window ties, so its first in-image tap, at
        // (max(oh - 1, 0), max(ow - 1, 0)), takes the gradient. Tap (0,0) is first for the four
        // outputs with oh, ow <= 1; (0,1) for (0,2), (1,2); (1,0) for (2,0), (2,1); (1,1) for (2,2).
        let tape = Tape<Double>()
        let x = tape.leaf(Tensor(shape: [1, 1, 3, 3], repeating: 7))
        let y = tape.maxPool3x3(x, stride: 1)
        tape.backward(y, seed: Tensor(shape: [1, 1, 3, 3], repeating: 1))
        #expect(tape.value(y).scalars == Array(repeating: 7, count: 9))
        #expect(tape.gradient(x)!.scalars == [4, 2, 0, 2, 1, 0, 0, 0, 0])
        // A later tap must be strictly larger to win: in [[1 5 5] [5 5 5] [5 5 5]] output (0,0)
        // takes (0,1), the first 5, not any later 5.
        let t2 = Tape<Double>()
        let x2 = t2.leaf(Tensor(shape: [1, 1, 3, 3], scalars: [1, 5, 5, 5, 5, 5, 5, 5, 5]))
        let y2 = t2.maxPool3x3(x2, stride: 2)
        t2.backward(y2, seed: Tensor(shape: [1, 1, 2, 2], scalars: [1, 10, 100, 1000]))
        // Windows: (0,0) rows 0-1 cols 0-1 -> (0,1); (0,1) rows 0-1 cols 1-2 -> (0,1);
        // (1,0) rows 1-2 cols 0-1 -> (1,0); (1,1) rows 1-2 cols 1-2 -> (1,1).
        #expect(t2.gradient(x2)!.scalars == [0, 11, 0, 100, 1000, 0, 0, 0, 0])
    }

    @Test func maxPoolPropagatesNaN() {
        var x = distinct([1, 1, 4, 12], seed: 6)
        x[flat: 12 + 5] = .nan  // row 1, column 5
        let tape = Tape<Double>()
        let y = tape.value(tape.maxPool3x3(tape.leaf(x), stride: 1)).scalars
        for oh in 0..<4 {
            for ow in 0..<12 {
                let covers = abs(oh - 1) <= 1 && abs(ow - 5) <= 1
                #expect(y[oh * 12 + ow].isNaN == covers, "output (\(oh), \(ow))")
            }
        }
    }

    /// The SIMD paths (output rows of 8 or more) and the border handling against the plain loops,
    /// on integer data with many ties: forwards must agree bitwise, argmax included.
    @Test(arguments: [
        (1, [1, 1, 1, 1]), (2, [1, 1, 1, 1]), (1, [2, 3, 5, 7]), (2, [2, 3, 5, 7]),
        (1, [1, 2, 3, 8]), (1, [1, 2, 9, 19]), (2, [1, 2, 9, 16]), (2, [1, 2, 7, 17]), (2, [2, 1, 32, 32]),
    ])
    func fastPoolsMatchPlainLoops(stride: Int, shape: [Int]) {
        var rng = RNG(seed: 8)
        let scalars = (0..<shape.reduce(1, *)).map { _ in Double(rng.index(below: 4)) }
        let x = Tensor<Double>(shape: shape, scalars: scalars)
        let tape = Tape<Double>()
        let v = tape.leaf(x)
        let (values, argmax) = naiveMaxPool(x, stride: stride)
        let maxOut = tape.maxPool3x3(v, stride: stride)
        #expect(tape.value(maxOut).scalars == values)
        // The argmax is observed through the gradient: a distinct seed per output lands on it.
        let seed = Tensor<Double>(shape: tape.shape(maxOut), scalars: (0..<values.count).map { Double(1 << ($0 % 40)) })
        tape.backward(maxOut, seed: seed)
        var expectedGrad = [Double](repeating: 0, count: x.count)
        let outPlane = values.count / (shape[0] * shape[1]), plane = shape[2] * shape[3]
        for (o, a) in argmax.enumerated() { expectedGrad[o / outPlane * plane + a] += seed[flat: o] }
        #expect(tape.gradient(v)!.scalars == expectedGrad)

        let xf = Tensor<Float>(shape: shape, scalars: scalars.map { Float($0) + 0.1 })
        let tf = Tape<Float>()
        #expect(tf.value(tf.avgPool3x3(tf.leaf(xf), stride: stride)).scalars == naiveAvgPool(xf, stride: stride))
        #expect(tape.value(tape.avgPool3x3(v, stride: stride)).scalars == naiveAvgPool(x, stride: stride))
    }

    @Test func floatPoolsAgreeWithDouble() {
        var rng = RNG(seed: 9)
        let x = distinct([2, 3, 9, 18], seed: 10)
        let seed = Tensor<Double>.normal(shape: [2, 3, 9, 18], rng: &rng)
        for stride in [1, 2] {
            for op in ["max", "avg", "gap"] {
                func run<T: TensorElement>(_: T.Type) -> (Tensor<T>, Tensor<T>) {
                    let tape = Tape<T>()
                    let v = tape.leaf(x.converted(to: T.self))
                    let y = op == "max" ? tape.maxPool3x3(v, stride: stride)
                        : op == "avg" ? tape.avgPool3x3(v, stride: stride) : tape.globalAveragePool(v)
                    let s = tape.shape(y).reduce(1, *)
                    tape.backward(y, seed: Tensor(shape: tape.shape(y), scalars: seed.scalars.prefix(s).map { T($0) }))
                    return (tape.value(y), tape.gradient(v)!)
                }
                let (yf, gf) = run(Float.self), (yd, gd) = run(Double.self)
                // |x| <= 16 and |seed| <~ 4: Float rounding is ~1e-6 relative.
                #expect(maxAbsDifference(yf, yd) < 1e-5, "\(op) stride \(stride)")
                #expect(maxAbsDifference(gf, gd) < 1e-5, "\(op) stride \(stride)")
            }
        }
    }

    @Test func poolsAreDeterministicAcrossThreadCounts() {
        var rng = RNG(seed: 11)
        let x = Tensor<Float>.normal(shape: [4, 8, 16, 16], rng: &rng)
        let (one, two) = withOneAndTwoThreads { () -> [Tensor<Float>] in
            var results: [Tensor<Float>] = []
            for stride in [1, 2] {
                let tape = Tape<Float>()
                let v = tape.leaf(x)
                let y = tape.sum([tape.maxPool3x3(v, stride: stride), tape.avgPool3x3(v, stride: stride)])
                let g = tape.globalAveragePool(y)
                tape.backward(g, seed: Tensor(shape: [4, 8], repeating: 1))
                results += [tape.value(y), tape.value(g), tape.gradient(v)!]
            }
            return results
        }
        #expect(one == two)
    }

    /// The stride-1 avg pool backward writes each dx row once (stored, or added into what is there);
    /// it must give the bits of the separable kernel adding into zeros or into the same gradient,
    /// signed zeros included (an output gradient of -0 gives +0 in a zero-filled buffer).
    @Test(arguments: [[2, 3, 32, 32], [1, 2, 5, 7], [1, 1, 1, 1], [1, 1, 2, 1], [1, 2, 1, 9], [2, 1, 3, 28]])
    func avgPoolStride1BackwardHasTheSeparableKernelsBits(shape: [Int]) {
        var rng = RNG(seed: 9)
        var g = Tensor<Float>.normal(shape: shape, rng: &rng)
        // A plane of -0 (its shares, sums and every tap are -0).
        g.withUnsafeMutableBufferPointer { b in for i in 0..<(shape[2] * shape[3]) { b[i] = -0.0 } }
        let earlier = Tensor<Float>.normal(shape: shape, rng: &rng)
        let ps = Pool3x3Shape(planes: shape[0] * shape[1], height: shape[2], width: shape[3], stride: 1)
        let counts = (0..<ps.outWidth).map { Float(ps.columns($0).count) }
        let plane = ps.height * ps.width
        /// The separable kernel, plane by plane, adding into `start`.
        func separable(_ start: Tensor<Float>) -> [UInt32] {
            var dx = start
            dx.withUnsafeMutableBufferPointer { d in
                g.withUnsafeBufferPointer { gb in
                    withUnsafeTemporaryAllocation(of: Float.self, capacity: 2 * ps.width) { scratch in
                        for p in 0..<ps.planes {
                            avgPool3x3PlaneBackward(d.baseAddress! + p * plane, gb.baseAddress! + p * plane, counts,
                                                    scratch.baseAddress!, ps)
                        }
                    }
                }
            }
            return dx.scalars.map(\.bitPattern)
        }
        func fast(_ start: Tensor<Float>, accumulate: Bool) -> [UInt32] {
            var dx = start
            dx.withUnsafeMutableBufferPointer { d in g.withUnsafeBufferPointer { avgPool3x3Backward(d, $0, ps, accumulate: accumulate) } }
            return dx.scalars.map(\.bitPattern)
        }
        let garbage = Tensor<Float>(shape: shape, repeating: .nan)
        let stored = withOneAndTwoThreads { fast(garbage, accumulate: false) }
        let zeros = separable(Tensor(zeros: shape))
        #expect(stored.0 == zeros && stored.1 == zeros, "stored \(shape)")
        #expect(fast(earlier, accumulate: true) == separable(earlier), "added \(shape)")
    }
}
