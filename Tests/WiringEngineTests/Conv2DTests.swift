import Testing
@testable import WiringEngine
import WiringTestSupport

/// One convolution configuration; `description` names it in test output.
struct ConvCase: CustomStringConvertible, Sendable {
    let shape: Conv2DShape

    init(n: Int = 2, c: Int, o: Int, h: Int, w: Int, k: Int, s: Int = 1, p: Int = 0, d: Int = 1, g: Int = 1) {
        shape = Conv2DShape(batch: n, inChannels: c, outChannels: o, height: h, width: w, kernel: k,
                            stride: s, padding: p, dilation: d, groups: g)
    }

    var description: String {
        let s = shape
        return "N\(s.batch) C\(s.inChannels)->\(s.outChannels) \(s.height)x\(s.width) k\(s.kernel) "
            + "s\(s.stride) p\(s.padding) d\(s.dilation) g\(s.groups)"
    }
}

/// Random input, weight and upstream gradient for `shape`, drawn in Double.
private func randomOperands(
    _ shape: Conv2DShape, seed: UInt64
) -> (x: Tensor<Double>, w: Tensor<Double>, g: Tensor<Double>) {
    var rng = RNG(seed: seed)
    return (Tensor.normal(shape: shape.inputShape, rng: &rng),
            Tensor.normal(shape: shape.weightShape, rng: &rng),
            Tensor.normal(shape: shape.outputShape, rng: &rng))
}

/// The engine's forward kernel on tensors.
private func engineForward<T: TensorElement>(_ x: Tensor<T>, _ w: Tensor<T>, _ shape: Conv2DShape) -> Tensor<T> {
    var y = Tensor<T>(zeros: shape.outputShape)
    y.withUnsafeMutableBufferPointer { yb in
        x.withUnsafeBufferPointer { xb in w.withUnsafeBufferPointer { wb in conv2dForward(yb, xb, wb, shape) } }
    }
    return y
}

/// The engine's backward kernel on tensors, adding into copies of `dx` and `dw`.
private func engineBackward<T: TensorElement>(
    _ g: Tensor<T>, _ x: Tensor<T>, _ w: Tensor<T>, _ shape: Conv2DShape,
    into dx: Tensor<T>? = nil, _ dw: Tensor<T>? = nil
) -> (dx: Tensor<T>, dw: Tensor<T>) {
    var dx = dx ?? Tensor(zeros: shape.inputShape), dw = dw ?? Tensor(zeros: shape.weightShape)
    dx.withUnsafeMutableBufferPointer { dxb in
        dw.withUnsafeMutableBufferPointer { dwb in
            g.withUnsafeBufferPointer { gb in
                x.withUnsafeBufferPointer { xb in
                    w.withUnsafeBufferPointer { wb in conv2dBackward(dxb, dwb, gb, xb, wb, shape) }
                }
            }
        }
    }
    return (dx, dw)
}

/// max |a - b| / max(1, max |b|): an error relative to the size of the reference values.
private func relativeError<A: TensorElement, B: TensorElement>(_ a: Tensor<A>, _ b: Tensor<B>) -> Double {
    maxAbsDifference(a, b) / max(1, maxAbs(b))
}

@Suite struct Conv2DTests {
    // MARK: - Shape rule

    @Test func outputSizeFollowsPyTorchFormula() {
        // floor((H + 2P - D(K-1) - 1) / S) + 1, worked by hand.
        #expect(ConvCase(c: 16, o: 16, h: 32, w: 32, k: 3, s: 2, p: 2, d: 2, g: 16).shape.outputShape
                == [2, 16, 16, 16])
        #expect(ConvCase(c: 16, o: 16, h: 32, w: 32, k: 5, p: 4, d: 2, g: 16).shape.outputShape == [2, 16, 32, 32])
        // FactorizedReduce's second branch: 31x31 (first row and column dropped), 1x1 stride 2 -> 16x16.
        #expect(ConvCase(c: 16, o: 8, h: 31, w: 31, k: 1, s: 2).shape.outputShape == [2, 8, 16, 16])
        #expect(ConvCase(c: 3, o: 48, h: 32, w: 30, k: 3, p: 1).shape.outputShape == [2, 48, 32, 30])
        #expect(ConvCase(c: 1, o: 1, h: 4, w: 5, k: 2, s: 3).shape.outputShape == [2, 1, 1, 2])
    }

    @Test func pathIsChosenByShape() {
        #expect(ConvCase(c: 16, o: 16, h: 8, w: 8, k: 3, p: 1, g: 16).shape.path == .depthwise)
        #expect(ConvCase(c: 16, o: 8, h: 8, w: 8, k: 1).shape.path == .pointwise)
        #expect(ConvCase(c: 16, o: 8, h: 8, w: 8, k: 1, s: 2).shape.path == .im2col)
        #expect(ConvCase(c: 3, o: 48, h: 8, w: 8, k: 3, p: 1).shape.path == .im2col)
        #expect(ConvCase(c: 4, o: 8, h: 8, w: 8, k: 3, g: 4).shape.path == .im2col)  // channel multiplier 2
    }

    // MARK: - Hand-computed values

    @Test func forwardMatchesHandComputedValues() {
        // x = 1...9 in a 3x3 plane, w = [[1, 0], [0, -1]]: out[y, x] = in[y, x] - in[y+1, x+1] = -4.
        let x = Tensor<Double>(shape: [1, 1, 3, 3], scalars: (1...9).map(Double.init))
        let w = Tensor<Double>(shape: [1, 1, 2, 2], scalars: [1, 0, 0, -1])
        let valid = ConvCase(n: 1, c: 1, o: 1, h: 3, w: 3, k: 2).shape
        #expect(engineForward(x, w, valid).scalars == [-4, -4, -4, -4])
        // Padding 1, stride 2 -> 2x2 outputs at input corners (-1,-1), (-1,1), (1,-1), (1,1):
        // [0 - 1, 0 - 3, 0 - 7, 5 - 9].
        let strided = ConvCase(n: 1, c: 1, o: 1, h: 3, w: 3, k: 2, s: 2, p: 1).shape
        #expect(engineForward(x, w, strided).scalars == [-1, -3, -7, -4])
        // Depthwise 3x3, padding 1, all-ones kernel, channel 2 scaled by 2: sums of 3x3 neighbourhoods.
        let two = Tensor<Double>(shape: [1, 2, 3, 3], scalars: (1...9).map(Double.init) + (1...9).map(Double.init))
        let ones = Tensor<Double>(shape: [2, 1, 3, 3],
                                  scalars: Array(repeating: 1, count: 9) + Array(repeating: 2, count: 9))
        let sums: [Double] = [12, 21, 16, 27, 45, 33, 24, 39, 28]
        let depthwise = ConvCase(n: 1, c: 2, o: 2, h: 3, w: 3, k: 3, p: 1, g: 2).shape
        #expect(engineForward(two, ones, depthwise).scalars == sums + sums.map { 2 * $0 })
    }

    // MARK: - Finite differences

    /// Every path and the stride, padding, dilation and group settings the search space uses.
    static let gradientCases: [ConvCase] = [
        ConvCase(c: 3, o: 4, h: 5, w: 6, k: 3, p: 1),                 // general, groups 1
        ConvCase(c: 4, o: 6, h: 7, w: 6, k: 3, s: 2, p: 2, d: 2, g: 2),  // groups 2, stride 2, dilation 2
        ConvCase(c: 2, o: 3, h: 6, w: 5, k: 2, s: 2, p: 1),            // even kernel
        ConvCase(c: 3, o: 3, h: 6, w: 7, k: 3, p: 1, g: 3),             // depthwise 3x3
        ConvCase(c: 2, o: 2, h: 7, w: 9, k: 3, p: 2, d: 2, g: 2),       // dil_conv_3x3
        ConvCase(c: 2, o: 2, h: 6, w: 6, k: 5, p: 2, g: 2),             // sep_conv_5x5
        ConvCase(c: 2, o: 2, h: 9, w: 9, k: 5, p: 4, d: 2, g: 2),       // dil_conv_5x5
        ConvCase(c: 2, o: 2, h: 7, w: 8, k: 3, s: 2, p: 1, g: 2),       // depthwise stride 2
        ConvCase(c: 2, o: 2, h: 9, w: 8, k: 5, s: 2, p: 4, d: 2, g: 2), // depthwise dilated stride 2
        ConvCase(c: 4, o: 3, h: 5, w: 7, k: 1),                          // pointwise
        ConvCase(c: 4, o: 2, h: 7, w: 6, k: 1, s: 2),                    // FactorizedReduce branch
        ConvCase(n: 1, c: 3, o: 6, h: 6, w: 5, k: 3, p: 1),              // stem-like
    ]

    @Test(arguments: gradientCases)
    func backwardMatchesFiniteDifferences(_ conv: ConvCase) {
        let s = conv.shape
        let (x, w, _) = randomOperands(s, seed: 3)
        // The loss is bilinear in (x, w), so central differences have no truncation error; with
        // h = 1e-6 the roundoff is ~1e-16 * |loss| / h ~ 1e-9, hence the 1e-7 tolerance.
        let report = checkGradients(inputs: [x, w], h: 1e-6) { tape, v in
            tape.conv2d(v[0], weight: v[1], stride: s.stride, padding: s.padding, dilation: s.dilation,
                        groups: s.groups)
        }
        #expect(report.worst < 1e-7, "\(conv): \(report)")
    }

    // MARK: - Fast paths against the naive oracle

    // Named cases for the tests that sample a few; widths hit the 32- and 8-lane loops and the tails.
    static let depthwiseWide = ConvCase(n: 1, c: 3, o: 3, h: 5, w: 45, k: 3, p: 1, g: 3)
    static let dilatedWide = ConvCase(n: 1, c: 2, o: 2, h: 9, w: 19, k: 5, p: 4, d: 2, g: 2)
    static let depthwiseStrided = ConvCase(c: 2, o: 2, h: 9, w: 11, k: 3, s: 2, p: 1, g: 2)
    static let pointwise = ConvCase(c: 5, o: 7, h: 7, w: 9, k: 1)  // 63 pixels: 16-, 8- and 1-wide columns; 7 rows
    static let factorizedReduce = ConvCase(c: 5, o: 4, h: 7, w: 9, k: 1, s: 2)
    static let stem = ConvCase(n: 1, c: 3, o: 6, h: 7, w: 19, k: 3, p: 1)
    static let grouped = ConvCase(c: 6, o: 4, h: 9, w: 7, k: 3, s: 2, p: 2, d: 2, g: 2)

    /// Odd sizes, batch 1, 1x1, stride 2, dilation 2 and padding, for every path.
    static let oracleCases: [ConvCase] = [
        depthwiseWide, dilatedWide, depthwiseStrided, pointwise, factorizedReduce, stem, grouped,
        ConvCase(c: 2, o: 2, h: 7, w: 13, k: 3, p: 2, d: 2, g: 2),
        ConvCase(c: 2, o: 2, h: 5, w: 11, k: 5, p: 2, g: 2),
        ConvCase(c: 2, o: 2, h: 9, w: 12, k: 3, s: 2, p: 2, d: 2, g: 2),
        ConvCase(c: 2, o: 2, h: 10, w: 11, k: 3, s: 3, p: 1, g: 2),     // stride 3
        ConvCase(c: 2, o: 2, h: 6, w: 9, k: 3, g: 2),                   // no padding
        ConvCase(c: 2, o: 2, h: 5, w: 9, k: 3, p: 3, g: 2),             // padding beyond the kernel's reach
        ConvCase(c: 1, o: 1, h: 3, w: 4, k: 1, g: 1),                   // 1x1 depthwise
        ConvCase(n: 1, c: 16, o: 16, h: 4, w: 8, k: 1),
        ConvCase(c: 3, o: 5, h: 5, w: 5, k: 1, p: 1),                    // padded 1x1
        ConvCase(c: 2, o: 8, h: 5, w: 5, k: 3, p: 1, g: 2),               // channel multiplier 4
        ConvCase(n: 1, c: 2, o: 2, h: 4, w: 28, k: 5, p: 2, g: 2),        // Fashion-MNIST's 28: three vectors, then the overlapping one
    ]

    @Test(arguments: oracleCases)
    func forwardMatchesNaiveOracle(_ conv: ConvCase) {
        let s = conv.shape
        let (x, w, _) = randomOperands(s, seed: 11)
        // Double throughout: only summation order differs, ~1e-16 relative per term.
        #expect(relativeError(engineForward(x, w, s), naiveConv2d(x, weight: w, shape: s)) < 1e-13, "\(conv)")
    }

    @Test(arguments: oracleCases)
    func backwardMatchesNaiveOracle(_ conv: ConvCase) {
        let s = conv.shape
        let (x, w, g) = randomOperands(s, seed: 12)
        let expected = naiveConv2dBackward(dOutput: g, input: x, weight: w, shape: s)
        let got = engineBackward(g, x, w, s)
        #expect(relativeError(got.dx, expected.dInput) < 1e-13, "dInput \(conv)")
        #expect(relativeError(got.dw, expected.dWeight) < 1e-13, "dWeight \(conv)")
    }

    @Test(arguments: [depthwiseWide, depthwiseStrided, pointwise, stem])
    func backwardAddsIntoExistingGradients(_ conv: ConvCase) {
        let s = conv.shape
        let (x, w, g) = randomOperands(s, seed: 13)
        var rng = RNG(seed: 14)
        let dx0 = Tensor<Double>.normal(shape: s.inputShape, rng: &rng)
        let dw0 = Tensor<Double>.normal(shape: s.weightShape, rng: &rng)
        let fresh = naiveConv2dBackward(dOutput: g, input: x, weight: w, shape: s)
        let got = engineBackward(g, x, w, s, into: dx0, dw0)
        var dxSum = dx0, dwSum = dw0
        for i in 0..<dxSum.count { dxSum[flat: i] += fresh.dInput[flat: i] }
        for i in 0..<dwSum.count { dwSum[flat: i] += fresh.dWeight[flat: i] }
        #expect(relativeError(got.dx, dxSum) < 1e-13, "dInput \(conv)")
        #expect(relativeError(got.dw, dwSum) < 1e-13, "dWeight \(conv)")
    }

    // MARK: - Precision and determinism

    @Test(arguments: [depthwiseWide, dilatedWide, pointwise, factorizedReduce, stem])
    func floatAgreesWithDouble(_ conv: ConvCase) {
        let s = conv.shape
        let (x, w, g) = randomOperands(s, seed: 21)
        let xf: Tensor<Float> = x.converted(), wf: Tensor<Float> = w.converted(), gf: Tensor<Float> = g.converted()
        // Inputs are exact in Float; each output sums at most 45 products of N(0,1) terms, so
        // the Float rounding error is a few ulps of the partial sums: ~1e-6 relative.
        #expect(relativeError(engineForward(xf, wf, s), engineForward(x, w, s)) < 1e-5, "forward \(conv)")
        let single = engineBackward(gf, xf, wf, s), double = engineBackward(g, x, w, s)
        #expect(relativeError(single.dx, double.dx) < 1e-5, "dInput \(conv)")
        #expect(relativeError(single.dw, double.dw) < 1e-5, "dWeight \(conv)")
    }

    @Test func resultsAreBitwiseIdenticalForOneAndTwoThreads() {
        // Depthwise stride 1 and 2, pointwise, strided 1x1 and grouped im2col; every case has at
        // least two (sample, plane) items, so two threads really split the work.
        for conv in [Self.dilatedWide, Self.depthwiseStrided, Self.pointwise, Self.factorizedReduce, Self.grouped] {
            let s = conv.shape
            let (x, w, g) = randomOperands(s, seed: 31)
            let xf: Tensor<Float> = x.converted(), wf: Tensor<Float> = w.converted(), gf: Tensor<Float> = g.converted()
            let ((y1, b1), (y2, b2)) = withOneAndTwoThreads { (engineForward(xf, wf, s), engineBackward(gf, xf, wf, s)) }
            #expect(y1 == y2, "forward \(conv)")
            #expect(b1.dx == b2.dx, "dInput \(conv)")
            #expect(b1.dw == b2.dw, "dWeight \(conv)")
        }
    }

    // MARK: - Tape

    @Test func tapeComputesOnlyTheGradientsThatAreNeeded() {
        let s = ConvCase(n: 1, c: 2, o: 3, h: 4, w: 4, k: 3, p: 1).shape
        let (x, w, g) = randomOperands(s, seed: 41)
        let expected = naiveConv2dBackward(dOutput: g, input: x, weight: w, shape: s)
        for (xNeeds, wNeeds) in [(true, false), (false, true)] {
            let tape = Tape<Double>()
            let xv = tape.leaf(x, requiresGrad: xNeeds), wv = tape.leaf(w, requiresGrad: wNeeds)
            let y = tape.conv2d(xv, weight: wv, padding: 1)
            tape.backward(y, seed: g)
            #expect((tape.gradient(xv) != nil) == xNeeds && (tape.gradient(wv) != nil) == wNeeds)
            if let dx = tape.gradient(xv) { #expect(relativeError(dx, expected.dInput) < 1e-13) }
            if let dw = tape.gradient(wv) { #expect(relativeError(dw, expected.dWeight) < 1e-13) }
        }
    }
}
