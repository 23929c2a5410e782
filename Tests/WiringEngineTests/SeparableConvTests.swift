// separableConv2d (a depthwise conv then a 1x1 conv, one sample at a time, the depthwise output
// recomputed in the backward) promises the bits of the two conv2d ops it replaces, at any thread
// count, and through the naive oracle the values of PyTorch's conv2d.
import Testing
@testable import WiringEngine
import WiringTestSupport

/// A depthwise conv's sizes (C channels) and the 1x1 conv's output channels.
struct SeparableCase: CustomStringConvertible, Sendable {
    let depthwise: Conv2DShape
    let outChannels: Int

    init(n: Int = 2, c: Int, o: Int, h: Int, w: Int, k: Int, s: Int = 1, p: Int, d: Int = 1) {
        depthwise = Conv2DShape(batch: n, inChannels: c, outChannels: c, height: h, width: w, kernel: k, stride: s,
                                padding: p, dilation: d, groups: c)
        outChannels = o
    }

    var pointwise: Conv2DShape {
        Conv2DShape(batch: depthwise.batch, inChannels: depthwise.outChannels, outChannels: outChannels,
                    height: depthwise.outHeight, width: depthwise.outWidth, kernel: 1)
    }

    var description: String {
        let s = depthwise
        return "N\(s.batch) C\(s.inChannels)->\(outChannels) \(s.height)x\(s.width) k\(s.kernel) s\(s.stride) "
            + "p\(s.padding) d\(s.dilation)"
    }
}

/// The op's output and every gradient, for an input that feeds it `uses` times (fan-out, so later
/// gradients are added into the first).
private struct SeparableResult<T: TensorElement>: Equatable {
    var y: Tensor<T>, dx: Tensor<T>, dDepthwise: Tensor<T>, dPointwise: Tensor<T>
}

private func separable<T: TensorElement>(
    _ x: Tensor<T>, _ wd: Tensor<T>, _ wp: Tensor<T>, _ g: Tensor<T>, _ c: SeparableCase, relu: Bool, fused: Bool,
    uses: Int = 1
) -> SeparableResult<T> {
    let tape = Tape<T>()
    let xv = tape.leaf(x), dv = tape.leaf(wd), pv = tape.leaf(wp)
    let s = c.depthwise
    var outputs: [Var] = []
    for _ in 0..<uses {
        if fused {
            outputs.append(tape.separableConv2d(xv, depthwise: dv, pointwise: pv, stride: s.stride, padding: s.padding,
                                                dilation: s.dilation, reluInput: relu))
        } else {
            let a = tape.conv2d(xv, weight: dv, stride: s.stride, padding: s.padding, dilation: s.dilation,
                                groups: s.groups, reluInput: relu)
            outputs.append(tape.conv2d(a, weight: pv))
        }
    }
    let y = uses == 1 ? outputs[0] : tape.sum(outputs)
    tape.backward(y, seed: g)
    return SeparableResult(y: tape.value(y), dx: tape.gradient(xv)!, dDepthwise: tape.gradient(dv)!,
                           dPointwise: tape.gradient(pv)!)
}

private func operands<T: TensorElement>(_ c: SeparableCase, seed: UInt64, as: T.Type)
    -> (x: Tensor<T>, wd: Tensor<T>, wp: Tensor<T>, g: Tensor<T>) {
    var rng = RNG(seed: seed)
    var x = Tensor<T>.normal(shape: c.depthwise.inputShape, rng: &rng)
    x.withUnsafeMutableBufferPointer { b in for i in stride(from: 0, to: b.count, by: 7) { b[i] = 0 } }
    return (x, .normal(shape: c.depthwise.weightShape, rng: &rng), .normal(shape: c.pointwise.weightShape, rng: &rng),
            .normal(shape: c.pointwise.outputShape, rng: &rng))
}

@Suite struct SeparableConvTests {
    static let cases: [SeparableCase] = [
        SeparableCase(c: 4, o: 4, h: 9, w: 11, k: 3, p: 1),            // sep_conv_3x3, odd sizes
        SeparableCase(c: 4, o: 6, h: 12, w: 12, k: 5, p: 2),           // sep_conv_5x5, C -> O
        SeparableCase(c: 4, o: 4, h: 12, w: 12, k: 3, p: 2, d: 2),     // dil_conv_3x3
        SeparableCase(c: 3, o: 5, h: 12, w: 12, k: 5, s: 2, p: 4, d: 2),  // dil_conv_5x5 of a reduction cell
        SeparableCase(c: 3, o: 3, h: 6, w: 6, k: 3, p: 3),             // P > D(K-1): the scatter path
        SeparableCase(n: 3, c: 16, o: 16, h: 32, w: 32, k: 3, p: 1),   // the search's own shape
    ]

    @Test(arguments: cases)
    func hasTheBitsOfTheTwoConvs(_ c: SeparableCase) {
        let (x, wd, wp, g) = operands(c, seed: 61, as: Float.self)
        for relu in [false, true] {
            let (one, two) = withOneAndTwoThreads { separable(x, wd, wp, g, c, relu: relu, fused: true) }
            let plain = separable(x, wd, wp, g, c, relu: relu, fused: false)
            #expect(one == plain, "\(c) relu \(relu)")
            #expect(two == one, "threads: \(c) relu \(relu)")
        }
    }

    @Test(arguments: cases)
    func addsIntoAGradientThatOtherUsesAlreadyWrote(_ c: SeparableCase) {
        let (x, wd, wp, g) = operands(c, seed: 62, as: Double.self)
        let fused = separable(x, wd, wp, g, c, relu: true, fused: true, uses: 2)
        #expect(fused == separable(x, wd, wp, g, c, relu: true, fused: false, uses: 2), "\(c)")
    }

    @Test(arguments: cases)
    func matchesTheNaiveOracle(_ c: SeparableCase) {
        let (x, wd, wp, g) = operands(c, seed: 63, as: Double.self)
        let fused = separable(x, wd, wp, g, c, relu: true, fused: true)
        let r = Tensor(shape: x.shape, scalars: x.scalars.map { max($0, 0) })
        let a = naiveConv2d(r, weight: wd, shape: c.depthwise)
        let y = naiveConv2d(a, weight: wp, shape: c.pointwise)
        #expect(maxAbsDifference(fused.y, y) < 1e-12, "\(c)")
        let (da, dPointwise) = naiveConv2dBackward(dOutput: g, input: a, weight: wp, shape: c.pointwise)
        let (dr, dDepthwise) = naiveConv2dBackward(dOutput: da, input: r, weight: wd, shape: c.depthwise)
        let dx = Tensor(shape: x.shape, scalars: zip(dr.scalars, x.scalars).map { $1 > 0 ? $0 : 0 })
        #expect(maxAbsDifference(fused.dPointwise, dPointwise) < 1e-11, "\(c)")
        #expect(maxAbsDifference(fused.dDepthwise, dDepthwise) < 1e-11, "\(c)")
        #expect(maxAbsDifference(fused.dx, dx) < 1e-11, "\(c)")
    }

    /// The backward hands the tape its input's cost, sum(dL/dx * x), summed plane by plane while it
    /// stored dx (no pass over x for the probes); when a second use then adds into dx, the tape must
    /// drop that number and compute the cost of the whole gradient.
    @Test(arguments: cases)
    func givesTheTapeItsInputsCostAndDropsItWhenAnotherUseAdds(_ c: SeparableCase) {
        let (x, wd, wp, g) = operands(c, seed: 64, as: Float.self)
        let s = c.depthwise
        for uses in [1, 2] {
            let tape = Tape<Float>()
            let xv = tape.leaf(x), dv = tape.leaf(wd), pv = tape.leaf(wp)
            let outputs = (0..<uses).map { _ in
                tape.separableConv2d(xv, depthwise: dv, pointwise: pv, stride: s.stride, padding: s.padding,
                                     dilation: s.dilation, reluInput: true)
            }
            tape.backward(uses == 1 ? outputs[0] : tape.sum(outputs), seed: g)
            let key = CostKey(value: tape.values[xv.id].storage, gradient: tape.grads[xv.id]!)
            #expect((tape.costs[key] != nil) == (uses == 1), "\(c) uses \(uses): a cost left by the backward")
            let terms = zip(tape.gradient(xv)!.scalars, x.scalars).map { Double($0) * Double($1) }
            let plain = terms.reduce(0, +), scale = terms.reduce(0) { $0 + abs($1) }
            #expect(abs(tape.cost(xv) - plain) <= 1e-12 * scale, "\(c) uses \(uses)")
        }
    }
}
