// A depthwise conv followed by a 1x1 conv (the first three layers of sep_conv and dil_conv:
// ReLU, KxK depthwise, 1x1 pointwise), as one op that works one sample at a time.
//
// As two ops, the depthwise output `a` (N, C, OH, OW) is written to memory, read back by the 1x1
// conv, kept on the tape, and in the backward its gradient `da` is written and read back once more:
// four passes over a tensor of the batch's size that the search never looks at (no probe reads an
// op's inside). Here a sample's `a` (C planes, 64 KiB at C = 16, 32x32, Float) is computed into a
// scratch that stays in L2, fed straight to the 1x1 GEMM, and recomputed in the backward (the
// depthwise forward is the cheapest of the six kernels) instead of being stored.
//
// Same bits as the two ops: every value comes from the same kernels in the same order
// (depthwisePlaneForward, gemm, gemmTransposedB, depthwisePlaneBackward), the weight gradients are
// per-sample partials added in sample order as there, and `da` has one consumer, so the two-op
// backward stores it exactly as the scratch here does. WiringEngineTests/SeparableConvTests checks it.

// MARK: - Kernels

/// The sizes of a depthwise conv (`depthwise`, G = C = O) followed by a 1x1 conv (`pointwise`,
/// C -> O) on its output.
public struct SeparableConvShape: Hashable, Sendable {
    public let depthwise: Conv2DShape
    public let pointwise: Conv2DShape

    /// - Precondition: `depthwise` is a depthwise conv and `pointwise` a stride-1, unpadded,
    ///   ungrouped 1x1 conv over its output.
    @inlinable
    public init(depthwise: Conv2DShape, pointwise: Conv2DShape) {
        precondition(depthwise.path == .depthwise && pointwise.path == .pointwise
                     && pointwise.batch == depthwise.batch && pointwise.inChannels == depthwise.outChannels
                     && pointwise.height == depthwise.outHeight && pointwise.width == depthwise.outWidth,
                     "separable conv: \(depthwise) then \(pointwise) is not a depthwise then a 1x1 conv")
        self.depthwise = depthwise
        self.pointwise = pointwise
    }
}

/// output = pointwise(depthwise(input)) (max(input, 0) read when `reluInput`), overwritten.
@inlinable
func separableConvForward<T: TensorElement>(
    _ output: UnsafeMutablePointer<T>, _ input: UnsafePointer<T>, depthwise: UnsafePointer<T>,
    pointwise: UnsafePointer<T>, _ s: SeparableConvShape, reluInput: Bool,
    moments: UnsafeMutablePointer<PlaneMoments>? = nil
) {
    let d = s.depthwise, C = d.inChannels, O = s.pointwise.outChannels, KK = d.kernel * d.kernel
    let inPlane = d.height * d.width, P = d.outHeight * d.outWidth
    Parallel.forEach(d.batch) { n in
        let a = UnsafeMutablePointer<T>.allocate(capacity: C * P)
        defer { a.deallocate() }
        for c in 0..<C {
            depthwisePlaneForward(a + c * P, input + (n * C + c) * inPlane, depthwise + c * KK, d,
                                  reluInput: reluInput)
        }
        gemm(output + n * O * P, ldc: P, pointwise, lda: C, a, ldb: P, m: O, n: P, k: C, accumulate: false)
        // The planes just written are still in cache.
        if let moments { writePlaneMoments(moments + n * O, output + n * O * P, count: O, size: P) }
    }
}

/// The backward of `separableConvForward`: dL/d(input) into `dInput` (added when `accumulateInput`,
/// else stored), and dL/d(weight) added into `dDepthwise` and `dPointwise` (any may be nil).
/// Returns the input's cost sum(dInput * input) when it stored dInput (nil when it added): each
/// plane's Double dot taken while the plane is in cache, the planes added in index order.
@inlinable @discardableResult
func separableConvBackward<T: TensorElement>(
    _ dInput: UnsafeMutablePointer<T>?, dDepthwise: UnsafeMutablePointer<T>?, dPointwise: UnsafeMutablePointer<T>?,
    _ dOutput: OutputGradient<T>, _ input: UnsafePointer<T>, depthwise: UnsafePointer<T>,
    pointwise: UnsafePointer<T>, _ s: SeparableConvShape, accumulateInput: Bool, reluInput: Bool
) -> Double? {
    let d = s.depthwise, N = d.batch, C = d.inChannels, O = s.pointwise.outChannels, KK = d.kernel * d.kernel
    let inPlane = d.height * d.width, P = d.outHeight * d.outWidth
    let needsInner = dInput != nil || dDepthwise != nil  // anything below the 1x1 conv needs da
    // The 1x1 weight transposed (C x O), so that da = W^T dOut is the forward's row-major GEMM.
    let transposed = UnsafeMutablePointer<T>.allocate(capacity: needsInner ? C * O : 0)
    defer { transposed.deallocate() }
    if needsInner {
        transpose(transposed, pointwise, rows: O, columns: C)
    }
    // One weight-gradient partial per sample (per plane for the depthwise taps), added in order.
    let pointwisePartials: UnsafeMutablePointer<T>? = dPointwise == nil ? nil : .allocate(capacity: N * O * C)
    let depthwisePartials: UnsafeMutablePointer<T>? = dDepthwise == nil ? nil : .allocate(capacity: N * C * KK)
    defer {
        pointwisePartials?.deallocate()
        depthwisePartials?.deallocate()
    }
    let framed = (d.height + 2 * d.padding) * (d.width + 2 * d.padding)  // a plane in its zero frame
    let planeCosts: UnsafeMutablePointer<Double>? = dInput != nil && !accumulateInput ? .allocate(capacity: N * C) : nil
    defer { planeCosts?.deallocate() }
    Parallel.forEach(N) { n in
        // This sample's output gradient (written into a scratch when it is deferred).
        let dOutScratch: UnsafeMutablePointer<T>? = dOutput.needsScratch ? .allocate(capacity: O * P) : nil
        defer { dOutScratch?.deallocate() }
        let dOut = dOutput.elements(n * O * P, O * P, scratch: dOutScratch)
        // a (the depthwise output, recomputed), da, and the input planes framed for the depthwise
        // kernels (kept from the recomputation for the weight gradient, which reads the same frames).
        let scratch = UnsafeMutablePointer<T>.allocate(capacity: 2 * C * P + C * framed)
        defer { scratch.deallocate() }
        let a = scratch, da = scratch + C * P, frames = da + C * P
        let keepFrames = pointwisePartials != nil && depthwisePartials != nil
        if let pointwisePartials {
            for c in 0..<C {
                let frame = frames + c * framed
                padPlane(frame, input + (n * C + c) * inPlane, height: d.height, width: d.width, pad: d.padding,
                         relu: reluInput)
                depthwisePlaneForward(a + c * P, padded: frame, depthwise + c * KK, d)
            }
            gemmTransposedB(pointwisePartials + n * O * C, ldc: C, dOut, lda: P, a, ldb: P, m: O, n: C, k: P)
        }
        guard needsInner else { return }
        gemm(da, ldc: P, transposed, lda: O, dOut, ldb: P, m: C, n: P, k: O, accumulate: false)
        for c in 0..<C {
            let plane = n * C + c
            let summed = depthwisePlaneBackward(dInput.map { $0 + plane * inPlane },
                                                depthwisePartials.map { $0 + plane * KK },
                                                da + c * P, input + plane * inPlane, depthwise + c * KK, d,
                                                accumulateInput: accumulateInput, reluInput: reluInput,
                                                padded: keepFrames ? UnsafePointer(frames + c * framed) : nil,
                                                wantsInputCost: planeCosts != nil)
            if let planeCosts, let dInput {
                planeCosts[plane] = summed ?? DeterministicSum.dotRange(
                    UnsafeBufferPointer(start: dInput + plane * inPlane, count: inPlane),
                    UnsafeBufferPointer(start: input + plane * inPlane, count: inPlane), 0, inPlane)
            }
        }
    }
    if let dPointwise, let pointwisePartials { addPartialsInOrder(dPointwise, pointwisePartials, count: O * C, parts: N) }
    if let dDepthwise, let depthwisePartials { addPartialsInOrder(dDepthwise, depthwisePartials, count: C * KK, parts: N) }
    return planeCosts.map { costs in (0..<(N * C)).reduce(0.0) { $0 + costs[$1] } }
}

// MARK: - Differentiable op

extension Tape {
    /// conv2d(conv2d(x, depthwise, groups: C), pointwise): a depthwise KxK conv, then a 1x1 conv on
    /// its output, without storing the depthwise output (see the top of this file). Same values and
    /// gradients as the two `conv2d` calls.
    ///
    /// - Parameters:
    ///   - x: (N, C, H, W).
    ///   - depthwise: (C, 1, K, K); stride, padding, dilation are its.
    ///   - pointwise: (O, C, 1, 1).
    ///   - reluInput: convolve relu(x) (a fused ReLU, as in `conv2d(reluInput:)`).
    ///   - outputMoments: a normalisation of the output comes next (as in `conv2d(outputMoments:)`).
    /// - Returns: (N, O, OH, OW).
    /// - Precondition: the weights have those shapes.
    @inlinable
    public func separableConv2d(_ x: Var, depthwise: Var, pointwise: Var, stride: Int = 1, padding: Int = 0,
                                dilation: Int = 1, reluInput: Bool = false, outputMoments: Bool = false) -> Var {
        let input = value(x), wd = value(depthwise), wp = value(pointwise)
        precondition(input.shape.count == 4 && wd.shape.count == 4 && wp.shape.count == 4
                     && wd.shape == [input.shape[1], 1, wd.shape[2], wd.shape[2]]
                     && wp.shape == [wp.shape[0], input.shape[1], 1, 1],
                     "separableConv2d: input \(input.shape), depthwise \(wd.shape), pointwise \(wp.shape)")
        let inner = Conv2DShape(batch: input.shape[0], inChannels: input.shape[1], outChannels: input.shape[1],
                                height: input.shape[2], width: input.shape[3], kernel: wd.shape[2], stride: stride,
                                padding: padding, dilation: dilation, groups: input.shape[1])
        let shape = SeparableConvShape(
            depthwise: inner,
            pointwise: Conv2DShape(batch: inner.batch, inChannels: inner.outChannels, outChannels: wp.shape[0],
                                   height: inner.outHeight, width: inner.outWidth, kernel: 1))
        var out = makeOutput(shape: shape.pointwise.outputShape)
        let outputMoments = outputMoments && takesOutputMoments
        var moments: [PlaneMoments] = outputMoments ? Array(repeating: (0, 0), count: inner.batch * wp.shape[0]) : []
        out.withUnsafeMutableBufferPointer { o in
            input.withUnsafeBufferPointer { xb in
                wd.withUnsafeBufferPointer { db in
                    wp.withUnsafeBufferPointer { pb in
                        moments.withUnsafeMutableBufferPointer { m in
                            separableConvForward(o.baseAddress!, xb.baseAddress!, depthwise: db.baseAddress!,
                                                 pointwise: pb.baseAddress!, shape, reluInput: reluInput,
                                                 moments: outputMoments ? m.baseAddress! : nil)
                        }
                    }
                }
            }
        }
        let output = record(reluInput ? "relu+conv2d.separable" : "conv2d.separable", inputs: [x, depthwise, pointwise],
                            output: out, readsDeferredOutput: true) { ctx in
            let dX = ctx.dInputTarget(0)
            let dDepthwise = ctx.dInput(1), dPointwise = ctx.dInput(2)
            input.withUnsafeBufferPointer { xb in
                wd.withUnsafeBufferPointer { db in
                    wp.withUnsafeBufferPointer { pb in
                        let inputCost = separableConvBackward(dX?.buffer.baseAddress, dDepthwise: dDepthwise?.baseAddress,
                                              dPointwise: dPointwise?.baseAddress, ctx.outputGradient,
                                              xb.baseAddress!, depthwise: db.baseAddress!, pointwise: pb.baseAddress!,
                                              shape, accumulateInput: dX?.accumulate ?? true, reluInput: reluInput)
                        if let inputCost { ctx.setInputCost(0, inputCost) }
                    }
                }
            }
        }
        if outputMoments { self.outputMoments[output.id] = moments }
        return output
    }
}
