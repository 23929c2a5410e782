// The fused and write-first variants of the kernels against their plain forms: a ReLU fused into a
// conv's input read must give the bits of relu then conv (and the naive oracle's values), and a
// gradient stored into a fresh buffer the bits of one added into zeros.
import Testing
@testable import WiringEngine
import WiringTestSupport

/// Input with exact zeros and negatives (so the ReLU and its mask matter), weight and upstream gradient.
private func fusedOperands(_ shape: Conv2DShape, seed: UInt64) -> (x: Tensor<Float>, w: Tensor<Float>, g: Tensor<Float>) {
    var rng = RNG(seed: seed)
    var x = Tensor<Float>.normal(shape: shape.inputShape, rng: &rng)
    x.withUnsafeMutableBufferPointer { b in for i in stride(from: 0, to: b.count, by: 7) { b[i] = 0 } }
    return (x, Tensor.normal(shape: shape.weightShape, rng: &rng), Tensor.normal(shape: shape.outputShape, rng: &rng))
}

/// conv2d of relu(x) on a tape, fused or as two ops: output and both gradients.
private func reluConv(_ x: Tensor<Float>, _ w: Tensor<Float>, _ g: Tensor<Float>, _ s: Conv2DShape, fused: Bool)
    -> (y: Tensor<Float>, dx: Tensor<Float>, dw: Tensor<Float>) {
    let tape = Tape<Float>()
    let xv = tape.leaf(x), wv = tape.leaf(w)
    let y = fused
        ? tape.conv2d(xv, weight: wv, stride: s.stride, padding: s.padding, dilation: s.dilation, groups: s.groups,
                      reluInput: true)
        : tape.conv2d(tape.relu(xv), weight: wv, stride: s.stride, padding: s.padding, dilation: s.dilation,
                      groups: s.groups)
    tape.backward(y, seed: g)
    return (tape.value(y), tape.gradient(xv)!, tape.gradient(wv)!)
}

@Suite struct FusedKernelTests {
    static let cases: [ConvCase] = [
        ConvCase(n: 2, c: 4, o: 4, h: 9, w: 11, k: 3, p: 1, g: 4),          // depthwise, odd sizes
        ConvCase(n: 2, c: 4, o: 4, h: 12, w: 12, k: 5, p: 4, d: 2, g: 4),   // dilated depthwise
        ConvCase(n: 2, c: 4, o: 4, h: 12, w: 12, k: 3, s: 2, p: 1, g: 4),   // strided depthwise
        ConvCase(n: 2, c: 3, o: 3, h: 6, w: 6, k: 3, p: 3, g: 3),           // P > D(K-1): scatter path
        ConvCase(n: 2, c: 6, o: 5, h: 5, w: 7, k: 1),                        // pointwise, column tail
        ConvCase(n: 2, c: 12, o: 8, h: 8, w: 8, k: 1),                       // pointwise, whole panels
        ConvCase(n: 2, c: 4, o: 6, h: 8, w: 8, k: 3, p: 1),                  // im2col (falls back to relu op)
    ]

    @Test(arguments: cases)
    func fusedReluConvHasTheBitsOfReluThenConv(_ conv: ConvCase) {
        let s = conv.shape
        let (x, w, g) = fusedOperands(s, seed: 51)
        let (fused1, fused2) = withOneAndTwoThreads { reluConv(x, w, g, s, fused: true) }
        let plain = reluConv(x, w, g, s, fused: false)
        #expect(fused1.y == plain.y && fused1.dx == plain.dx && fused1.dw == plain.dw, "\(conv)")
        #expect(fused2.y == fused1.y && fused2.dx == fused1.dx && fused2.dw == fused1.dw, "threads \(conv)")
    }

    @Test(arguments: cases)
    func fusedReluConvMatchesTheNaiveOracle(_ conv: ConvCase) {
        let s = conv.shape
        let (x, w, g) = fusedOperands(s, seed: 52)
        let fused = reluConv(x, w, g, s, fused: true)
        let xd: Tensor<Double> = x.converted(), wd: Tensor<Double> = w.converted(), gd: Tensor<Double> = g.converted()
        let relu = Tensor(shape: xd.shape, scalars: xd.scalars.map { max($0, 0) })
        let y = naiveConv2d(relu, weight: wd, shape: s)
        let back = naiveConv2dBackward(dOutput: gd, input: relu, weight: wd, shape: s)
        let dx = Tensor(shape: xd.shape, scalars: zip(back.dInput.scalars, xd.scalars).map { $1 > 0 ? $0 : 0 })
        #expect(maxAbsDifference(fused.y, y) / max(1, maxAbs(y)) < 1e-5, "forward \(conv)")
        #expect(maxAbsDifference(fused.dx, dx) / max(1, maxAbs(dx)) < 1e-5, "dInput \(conv)")
        #expect(maxAbsDifference(fused.dw, back.dWeight) / max(1, maxAbs(back.dWeight)) < 1e-5, "dWeight \(conv)")
    }

    @Test(arguments: cases)
    func storedInputGradientHasTheBitsOfOneAddedIntoZeros(_ conv: ConvCase) {
        let s = conv.shape
        let (x, w, g) = fusedOperands(s, seed: 53)
        for relu in s.path == .im2col ? [false] : [false, true] {
            func backward(accumulate: Bool) -> Tensor<Float> {
                var dx = Tensor<Float>(shape: s.inputShape, repeating: accumulate ? 0 : .nan)  // garbage must vanish
                dx.withUnsafeMutableBufferPointer { dxb in
                    g.withUnsafeBufferPointer { gb in
                        x.withUnsafeBufferPointer { xb in
                            w.withUnsafeBufferPointer { wb in
                                conv2dBackward(dxb, nil, gb, xb, wb, s, accumulateInput: accumulate, reluInput: relu)
                            }
                        }
                    }
                }
                return dx
            }
            #expect(backward(accumulate: false) == backward(accumulate: true), "\(conv) relu \(relu)")
        }
    }

    @Test func storedNormalizationGradientHasTheBitsOfOneAddedIntoZeros() {
        var rng = RNG(seed: 54)
        let x = Tensor<Float>.normal(shape: [3, 4, 5, 6], rng: &rng), dy = Tensor<Float>.normal(shape: [3, 4, 5, 6], rng: &rng)
        for kind in [NormalizationKind.batch, .instance, .layer] {
            let shape = NormalizationShape(kind, shape: x.shape)
            var y = Tensor<Float>(zeros: x.shape)
            let saved = y.withUnsafeMutableBufferPointer { yb in
                x.withUnsafeBufferPointer { normalizationForward(yb, $0, nil, nil, shape, eps: 1e-5) }
            }
            func backward(accumulate: Bool) -> Tensor<Float> {
                var dx = Tensor<Float>(shape: x.shape, repeating: accumulate ? 0 : .nan)
                dx.withUnsafeMutableBufferPointer { dxb in
                    dy.withUnsafeBufferPointer { dyb in
                        x.withUnsafeBufferPointer { xb in
                            normalizationBackward(dxb, nil, nil, dyb, xb, nil, saved, shape, accumulateInput: accumulate)
                        }
                    }
                }
                return dx
            }
            #expect(backward(accumulate: false) == backward(accumulate: true), "\(kind)")
        }
    }

    /// A tensor used twice by one op: the first gradient write stores, the second adds.
    @Test func tensorPassedTwiceGetsBothGradients() {
        let tape = Tape<Float>()
        let x = tape.leaf(Tensor(shape: [2, 3, 1, 1], scalars: [1, -2, 3, -4, 5, -6]))
        let y = tape.sum([x, x, tape.relu(x)])
        tape.backward(y, seed: Tensor(shape: [2, 3, 1, 1], repeating: 1))
        #expect(tape.gradient(x)!.scalars == [3, 2, 3, 2, 3, 2])
        let z = tape.concatChannels([x, tape.identity(x), x])
        tape.backward(z, seed: Tensor(shape: [2, 9, 1, 1], scalars: (0..<18).map(Float.init)))
        // Sample 0 gets channels 0-2, 3-5 and 6-8 of the seed, sample 1 channels 9-11, 12-14, 15-17.
        #expect(tape.gradient(x)!.scalars == [9, 12, 15, 36, 39, 42])
    }

    /// Gradients passed through identities and sums are shared until someone adds into one; the
    /// add then writes shared + new into a fresh buffer and must leave the other holders' gradient alone.
    @Test func addingIntoASharedGradientLeavesItsOtherHoldersAlone() {
        let tape = Tape<Float>()
        let x = tape.leaf(Tensor(shape: [1, 2, 1, 3], scalars: [1, -2, 3, -4, 5, -6]))
        let a = tape.identity(x), b = tape.identity(x)
        let out = tape.sum([a, b])
        let seed: [Float] = [0.5, -1.25, 2, 3.5, -0.75, 1e-3]
        tape.backward(out, seed: Tensor(shape: [1, 2, 1, 3], scalars: seed))
        // out's gradient is shared by a, b and (through b's identity) x; a's identity then adds.
        #expect(tape.gradient(x)!.scalars == seed.map { $0 + $0 })
        #expect(tape.gradient(a)!.scalars == seed && tape.gradient(b)!.scalars == seed)
        #expect(tape.gradient(out)!.scalars == seed)
    }
}
