// Conv2D fast path for depthwise convolutions (groups = C = O), the KxK convs of sep_conv and
// dil_conv: every channel is convolved with its own K x K filter.
//
// Each (sample, channel) plane is first copied into a zero-padded scratch plane, so the inner
// loops have no bounds tests. An output row is then a sum of K*K shifted rows of that plane,
// computed 8 lanes at a time (32 outputs per step, four independent FMA chains). Strided convs
// compute the needed rows at stride 1 and keep every S-th output.
//
// Backward, per plane (derivations in docs/kernels/conv2d.md):
//   dIn: the same stride-1 correlation, with the kernel flipped in both axes, over dOut spread onto
//        a zero frame (dOut[y, x] at (f + y*S, f + x*S), f = D(K-1) - P). When P > D(K-1), f < 0
//        and each dOut pixel is scattered instead.
//   dW:  dW[c, i, j] = sum over samples and outputs of dOut[y, x] * padded[y*S + i*D, x*S + j*D];
//        with S > 1, dOut spread by S meets stride-1 windows, so one SIMD loop serves. Each plane
//        writes its K*K partial sums, which are added in sample order afterwards.
//
// NOTE: the zero-insertion for S > 1 multiplies inserted zeros by input values, so a non-finite
// input gives NaN in dW where a direct sum might not; the search only uses stride 1.

// MARK: - Kernels

/// Depthwise forward: one padded scratch plane per (sample, channel) item (max(input, 0) when
/// `reluInput`: the ReLU is applied while the plane is copied).
@inlinable
func depthwiseForward<T: TensorElement>(
    _ output: UnsafeMutablePointer<T>, _ input: UnsafePointer<T>, _ weight: UnsafePointer<T>, _ s: Conv2DShape,
    reluInput: Bool
) {
    let C = s.inChannels, KK = s.kernel * s.kernel
    let inPlane = s.height * s.width, outPlane = s.outHeight * s.outWidth
    Parallel.forEach(s.batch * C) { plane in
        depthwisePlaneForward(output + plane * outPlane, input + plane * inPlane, weight + (plane % C) * KK, s,
                              reluInput: reluInput)
    }
}

/// The depthwise forward of one (sample, channel) plane: `out` (OH x OW) = the plane `input`
/// (H x W, max(input, 0) when `reluInput`) correlated with its K x K `taps`.
@inlinable
func depthwisePlaneForward<T: TensorElement>(
    _ out: UnsafeMutablePointer<T>, _ input: UnsafePointer<T>, _ taps: UnsafePointer<T>, _ s: Conv2DShape,
    reluInput: Bool
) {
    let P = s.padding, PW = s.width + 2 * P
    withUnsafeTemporaryAllocation(of: T.self, capacity: (s.height + 2 * P) * PW) { scratch in
        padPlane(scratch.baseAddress!, input, height: s.height, width: s.width, pad: P, relu: reluInput)
        depthwisePlaneForward(out, padded: scratch.baseAddress!, taps, s)
    }
}

/// `depthwisePlaneForward` from the plane already copied into its zero frame by `padPlane`
/// ((H + 2P) x (W + 2P), the ReLU applied).
@inlinable
func depthwisePlaneForward<T: TensorElement>(
    _ out: UnsafeMutablePointer<T>, padded: UnsafePointer<T>, _ taps: UnsafePointer<T>, _ s: Conv2DShape
) {
    let K = s.kernel
    if s.stride == 1 {
        depthwiseCorrelate(out, padded, sourceWidth: s.width + 2 * s.padding, taps, kernel: K, dilation: s.dilation,
                           height: s.outHeight, width: s.outWidth, accumulate: false)
        return
    }
    // With stride S, each needed output row is computed at stride 1 into `dense`, then subsampled:
    // S times the work, but at SIMD speed instead of scalar gathers. The dense row is rounded up
    // to whole vectors where the padded row allows (the stride-1 output width PW - D(K-1)).
    switch (K, s.dilation) {
    case (3, 1): depthwiseStridedRows(out, padded: padded, taps, s, size: DepthwiseKernel3.self)
    case (5, 1): depthwiseStridedRows(out, padded: padded, taps, s, size: DepthwiseKernel5.self)
    case (3, 2): depthwiseStridedRows(out, padded: padded, taps, s, size: DepthwiseKernel3Dilated2.self)
    case (5, 2): depthwiseStridedRows(out, padded: padded, taps, s, size: DepthwiseKernel5Dilated2.self)
    default: depthwiseStridedRows(out, padded: padded, taps, s, size: DepthwiseKernelAny.self)
    }
}

/// The strided forward of `depthwisePlaneForward`, with the kernel size and dilation `size` fixes.
@inlinable
func depthwiseStridedRows<T: TensorElement, Size: DepthwiseKernelSize>(
    _ out: UnsafeMutablePointer<T>, padded: UnsafePointer<T>, _ taps: UnsafePointer<T>, _ s: Conv2DShape,
    size: Size.Type
) {
    let K = s.kernel, PW = s.width + 2 * s.padding, OH = s.outHeight, OW = s.outWidth
    let denseWidth = Swift.min(((OW - 1) * s.stride + 8) / 8 * 8, PW - s.dilation * (K - 1))
    withUnsafeTemporaryAllocation(of: T.self, capacity: denseWidth) { row in
        let dense = row.baseAddress!
        for y in 0..<OH {
            depthwiseCorrelateRow(dense, padded + y * s.stride * PW, sourceWidth: PW, taps, kernel: K,
                                  dilation: s.dilation, width: denseWidth, accumulate: false, size: size)
            for x in 0..<OW { out[y &* OW &+ x] = dense[x &* s.stride] }
        }
    }
}

/// Depthwise backward: adds dL/d(input) into `dInput` (stores it when `accumulateInput` is false)
/// and dL/d(weight) into `dWeight` (either may be nil). With `reluInput` the forward convolved
/// max(input, 0): dInput is masked by input > 0 and dWeight correlates with max(input, 0).
@inlinable
func depthwiseBackward<T: TensorElement>(
    _ dInput: UnsafeMutablePointer<T>?, _ dWeight: UnsafeMutablePointer<T>?,
    _ dOutput: UnsafePointer<T>, _ input: UnsafePointer<T>, _ weight: UnsafePointer<T>, _ s: Conv2DShape,
    accumulateInput: Bool, reluInput: Bool
) {
    let N = s.batch, C = s.inChannels, KK = s.kernel * s.kernel
    let inPlane = s.height * s.width, outPlane = s.outHeight * s.outWidth
    let partials: UnsafeMutablePointer<T>? = dWeight == nil ? nil : .allocate(capacity: N * C * KK)
    defer { partials?.deallocate() }
    Parallel.forEach(N * C) { plane in
        depthwisePlaneBackward(dInput.map { $0 + plane * inPlane }, partials.map { $0 + plane * KK },
                               dOutput + plane * outPlane, input + plane * inPlane, weight + (plane % C) * KK, s,
                               accumulateInput: accumulateInput, reluInput: reluInput)
    }
    // dW[c, t] += sum over n, in order, of partials[n, c, t].
    if let dWeight, let partials { addPartialsInOrder(dWeight, partials, count: C * KK, parts: N) }
}

/// The depthwise backward of one (sample, channel) plane: dL/d(input) into `dx` (H x W, added when
/// `accumulateInput`, else stored; nil to skip) and the plane's K*K weight-gradient sums stored
/// into `partial` (nil to skip), from the plane's `dOut` (OH x OW), `input` and `taps`.
/// `padded`: the input plane as `padPlane` frames it (the ReLU applied), when the caller has it.
/// `wantsInputCost`: return the plane's cost sum(dx * input) (`DeterministicSum.dotRange`'s bits)
/// when it can be summed as dx is stored (a stored, ReLU-masked dx); nil when it was not.
@inlinable @discardableResult
func depthwisePlaneBackward<T: TensorElement>(
    _ dx: UnsafeMutablePointer<T>?, _ partial: UnsafeMutablePointer<T>?,
    _ dOut: UnsafePointer<T>, _ input: UnsafePointer<T>, _ taps: UnsafePointer<T>, _ s: Conv2DShape,
    accumulateInput: Bool, reluInput: Bool, padded: UnsafePointer<T>? = nil, wantsInputCost: Bool = false
) -> Double? {
    let K = s.kernel, KK = K * K, D = s.dilation, P = s.padding, S = s.stride
    let H = s.height, W = s.width, OH = s.outHeight, OW = s.outWidth, PH = H + 2 * P, PW = W + 2 * P
    // dIn = stride-1 correlation, with the flipped kernel, of dOut spread onto a zero frame
    // (dOut[y, x] at (flipPad + y*S, flipPad + x*S)). That needs P <= D(K-1); otherwise scatter.
    let flipPad = D * (K - 1) - P
    let frameH = H + D * (K - 1), frameW = W + D * (K - 1)
    let inputScratch = dx == nil ? 0 : flipPad >= 0 ? frameH * frameW : PH * PW
    // dW = dot products of dOut with shifted windows of the padded input; with S > 1, of dOut
    // spread by the stride (pad 0) with stride-1 windows, so the same SIMD loop serves. The spread
    // plane is as wide as a stride-1 output (PW - D(K-1)), which keeps whole vectors for even W.
    let spreadH = (OH - 1) * S + 1, spreadW = PW - D * (K - 1)
    let weightScratch = partial == nil ? 0 : PH * PW + (S > 1 ? spreadH * spreadW : 0)
    let scratchCount = Swift.max(inputScratch, weightScratch)
    // Scratch, flipped taps, and for a fused ReLU the unmasked input gradient of the plane.
    var inputCost: Double? = nil
    withUnsafeTemporaryAllocation(of: T.self, capacity: scratchCount + KK + (reluInput ? H * W : 0)) { buffer in
        let scratch = buffer.baseAddress!, flipped = scratch + scratchCount
        // Input gradient.
        if let dx {
            let mask = reluInput ? input : nil
            if flipPad >= 0 {
                for t in 0..<KK { flipped[t] = taps[KK - 1 - t] }  // reversing the K*K taps flips both axes
                spreadPlane(scratch, dOut, height: OH, width: OW, stride: S, pad: flipPad,
                            frameHeight: frameH, frameWidth: frameW)
                if let mask {
                    // The plane's gradient before the ReLU, then masked by input > 0 on the way out.
                    let unmasked = flipped + KK
                    depthwiseCorrelate(unmasked, scratch, sourceWidth: frameW, flipped, kernel: K, dilation: D,
                                       height: H, width: W, accumulate: false)
                    if wantsInputCost && !accumulateInput {
                        inputCost = reluMaskedStoreAndDot(dx, unmasked, mask: mask, count: H * W)
                    } else {
                        reluMaskedWrite(dx, unmasked, mask: mask, count: H * W, accumulate: accumulateInput)
                    }
                } else {
                    depthwiseCorrelate(dx, scratch, sourceWidth: frameW, flipped, kernel: K, dilation: D,
                                       height: H, width: W, accumulate: accumulateInput)
                }
            } else {
                depthwiseScatterInputGradient(dx, scratch, dOut, taps, s, accumulate: accumulateInput, mask: mask)
            }
        }
        // This plane's weight-gradient partial.
        if let partial {
            let source: UnsafePointer<T>
            if let padded {
                source = padded
            } else {
                padPlane(scratch, input, height: H, width: W, pad: P, relu: reluInput)
                source = UnsafePointer(scratch)
            }
            if S == 1 {
                depthwiseWeightGradient(partial, dOut, height: OH, width: OW, source, sourceWidth: PW, kernel: K,
                                        dilation: D)
            } else {
                let spread = scratch + PH * PW
                spreadPlane(spread, dOut, height: OH, width: OW, stride: S, pad: 0,
                            frameHeight: spreadH, frameWidth: spreadW)
                depthwiseWeightGradient(partial, spread, height: spreadH, width: spreadW, source, sourceWidth: PW,
                                        kernel: K, dilation: D)
            }
        }
    }
    return inputCost
}

/// Writes a frameHeight x frameWidth zero frame with src[y, x] (height x width) at
/// (pad + y*stride, pad + x*stride): zero insertion for strided gradients, plain padding for stride 1.
@inlinable
func spreadPlane<T: TensorElement>(
    _ dst: UnsafeMutablePointer<T>, _ src: UnsafePointer<T>, height: Int, width: Int, stride: Int, pad: Int,
    frameHeight: Int, frameWidth: Int
) {
    if stride == 1 && frameHeight == height + 2 * pad && frameWidth == width + 2 * pad {
        padPlane(dst, src, height: height, width: width, pad: pad, relu: false)
        return
    }
    dst.update(repeating: 0, count: frameHeight * frameWidth)
    for y in 0..<height {
        let row = dst + ((pad + y * stride) * frameWidth + pad)
        for x in 0..<width { row[x &* stride] = src[y &* width &+ x] }
    }
}

/// Copies a height x width plane (max(src, 0) when `relu`) into the middle of a
/// (height + 2 pad) x (width + 2 pad) zero frame.
@inlinable
func padPlane<T: TensorElement>(
    _ dst: UnsafeMutablePointer<T>, _ src: UnsafePointer<T>, height: Int, width: Int, pad: Int, relu: Bool
) {
    let pw = width + 2 * pad
    dst.update(repeating: 0, count: pad * pw + pad)
    for y in 0..<height {
        let row = dst + (y + pad) * pw + pad
        // Inline loops: a memmove/memset call per 32-element row cost more than the copy itself.
        if relu {
            reluCopy(row, src + y * width, count: width)
        } else {
            let from = src + y * width
            var x = 0
            while x + 8 <= width {
                UnsafeMutableRawPointer(row + x).storeBytes(of: convLoad(from + x), as: SIMD8<T>.self)
                x += 8
            }
            while x < width { row[x] = from[x]; x += 1 }
        }
        // Right border of this row and left border of the next one.
        for x in width..<(width + 2 * pad) { row[x] = 0 }
    }
    let tail = dst + (height + pad) * pw + pad
    tail.update(repeating: 0, count: pad * pw - pad)
}

/// out[y, x] (+)= sum_{i, j} taps[i*K + j] * src[y + i*D, x + j*D] for a stride-1 correlation over
/// an already padded source plane; `accumulate` adds the sum to `out` instead of overwriting it.
@inlinable
func depthwiseCorrelate<T: TensorElement>(
    _ out: UnsafeMutablePointer<T>, _ src: UnsafePointer<T>, sourceWidth: Int, _ taps: UnsafePointer<T>,
    kernel K: Int, dilation D: Int, height: Int, width: Int, accumulate: Bool
) {
    // (Blocking two rows to share each tap's broadcast measured ~15% slower: the loop is load-bound.)
    // The search's 3x3 and 5x5 kernels get rows specialised on a kernel size fixed in a type, so their
    // tap loops unroll: with K a variable, a row of 28 or 16 spent more time in loop control and
    // spilled pointers than in its FMAs (a literal K at an inlined call site was not enough).
    // The dilation is fixed in the type too: with D a variable, each tap's column offset j * D took
    // address arithmetic per load; with it known, every load is its row pointer plus a constant.
    switch (K, D) {
    case (3, 1):
        depthwiseCorrelateRows(out, src, sourceWidth: sourceWidth, taps, kernel: K, dilation: D, height: height,
                               width: width, accumulate: accumulate, size: DepthwiseKernel3.self)
    case (5, 1):
        depthwiseCorrelateRows(out, src, sourceWidth: sourceWidth, taps, kernel: K, dilation: D, height: height,
                               width: width, accumulate: accumulate, size: DepthwiseKernel5.self)
    case (3, 2):
        depthwiseCorrelateRows(out, src, sourceWidth: sourceWidth, taps, kernel: K, dilation: D, height: height,
                               width: width, accumulate: accumulate, size: DepthwiseKernel3Dilated2.self)
    case (5, 2):
        depthwiseCorrelateRows(out, src, sourceWidth: sourceWidth, taps, kernel: K, dilation: D, height: height,
                               width: width, accumulate: accumulate, size: DepthwiseKernel5Dilated2.self)
    default:
        depthwiseCorrelateRows(out, src, sourceWidth: sourceWidth, taps, kernel: K, dilation: D, height: height,
                               width: width, accumulate: accumulate, size: DepthwiseKernelAny.self)
    }
}

/// A kernel size and dilation known to the type, for kernels specialised on them (nil: a variable):
/// sep_conv's 3x3 and 5x5, dil_conv's at dilation 2.
@usableFromInline protocol DepthwiseKernelSize {
    static var fixed: Int? { get }
    static var fixedDilation: Int? { get }
}
@usableFromInline enum DepthwiseKernel3: DepthwiseKernelSize {
    @inlinable static var fixed: Int? { 3 }
    @inlinable static var fixedDilation: Int? { 1 }
}
@usableFromInline enum DepthwiseKernel5: DepthwiseKernelSize {
    @inlinable static var fixed: Int? { 5 }
    @inlinable static var fixedDilation: Int? { 1 }
}
@usableFromInline enum DepthwiseKernel3Dilated2: DepthwiseKernelSize {
    @inlinable static var fixed: Int? { 3 }
    @inlinable static var fixedDilation: Int? { 2 }
}
@usableFromInline enum DepthwiseKernel5Dilated2: DepthwiseKernelSize {
    @inlinable static var fixed: Int? { 5 }
    @inlinable static var fixedDilation: Int? { 2 }
}
@usableFromInline enum DepthwiseKernelAny: DepthwiseKernelSize {
    @inlinable static var fixed: Int? { nil }
    @inlinable static var fixedDilation: Int? { nil }
}

/// The rows of `depthwiseCorrelate`, one at a time (rows of 8 to 31 stored, not added: all at once,
/// `depthwiseCorrelateNarrowRows`).
@inlinable
func depthwiseCorrelateRows<T: TensorElement, Size: DepthwiseKernelSize>(
    _ out: UnsafeMutablePointer<T>, _ src: UnsafePointer<T>, sourceWidth: Int, _ taps: UnsafePointer<T>,
    kernel K: Int, dilation D: Int, height: Int, width: Int, accumulate: Bool, size: Size.Type
) {
    if !accumulate && width >= 8 && width < 32 {
        depthwiseCorrelateNarrowRows(out, src, sourceWidth: sourceWidth, taps, kernel: K, dilation: D,
                                     height: height, width: width, size: size)
        return
    }
    for y in 0..<height {
        depthwiseCorrelateRow(out + y &* width, src + y &* sourceWidth, sourceWidth: sourceWidth, taps, kernel: K,
                              dilation: D, width: width, accumulate: accumulate, size: size)
    }
}

/// One output row of `depthwiseCorrelate`: 32 outputs per step (four independent FMA chains
/// hide the latency), then 16 (two chains), the last vector overlapping (or scalars in rows under 8).
/// Wrapping index arithmetic keeps overflow checks out. `size` fixes K where the type knows it.
@inlinable
func depthwiseCorrelateRow<T: TensorElement, Size: DepthwiseKernelSize>(
    _ o: UnsafeMutablePointer<T>, _ top: UnsafePointer<T>, sourceWidth: Int, _ taps: UnsafePointer<T>,
    kernel: Int, dilation: Int, width: Int, accumulate: Bool, size: Size.Type
) {
    let K = Size.fixed ?? kernel, D = Size.fixedDilation ?? dilation
    let rowStep = D &* sourceWidth
    var x = 0
    while x &+ 32 <= width {
        var s0 = SIMD8<T>(), s1 = SIMD8<T>(), s2 = SIMD8<T>(), s3 = SIMD8<T>()
        var row = top + x, tap = taps
        for _ in 0..<K {
            var p = row
            for _ in 0..<K {
                let w = SIMD8<T>(repeating: tap.pointee)
                convFMA(&s0, w, convLoad(p))
                convFMA(&s1, w, convLoad(p + 8))
                convFMA(&s2, w, convLoad(p + 16))
                convFMA(&s3, w, convLoad(p + 24))
                p += D
                tap += 1
            }
            row += rowStep
        }
        convStore(s0, o + x, accumulate: accumulate)
        convStore(s1, o + x + 8, accumulate: accumulate)
        convStore(s2, o + x + 16, accumulate: accumulate)
        convStore(s3, o + x + 24, accumulate: accumulate)
        x &+= 32
    }
    // The columns left (under 32), two vectors at a time as two independent chains (one chain alone
    // waits on each fused multiply-add's latency: rows of 8, 16 and 28 had nothing else to overlap).
    // The last vector ends at the row's end, overlapping columns already done when the width is not a
    // multiple of 8: each lane sums its taps in the scalar loop's order with the same fused
    // multiply-adds, so every output has the scalar loop's bits, and only columns not yet written are.
    if x < width && width >= 8 {
        let last = width &- 8
        while x < width {
            let a = Swift.min(x, last), b = Swift.min(x &+ 8, last)
            if b > a {
                let (s0, s1) = depthwiseCorrelatePair(top + a, top + b, rowStep: rowStep, taps, kernel: K,
                                                      dilation: D)
                depthwiseStoreNewLanes(s0, o, at: a, from: x, accumulate: accumulate)
                depthwiseStoreNewLanes(s1, o, at: b, from: a &+ 8, accumulate: accumulate)
                x = b &+ 8
            } else {
                let s0 = depthwiseCorrelateVector(top + a, rowStep: rowStep, taps, kernel: K, dilation: D)
                depthwiseStoreNewLanes(s0, o, at: a, from: x, accumulate: accumulate)
                x = a &+ 8
            }
        }
        return
    }
    while x < width {
        var s0: T = 0
        var row = top + x, tap = taps
        for _ in 0..<K {
            var p = row
            for _ in 0..<K {
                s0.addProduct(tap.pointee, p.pointee)
                p += D
                tap += 1
            }
            row += rowStep
        }
        if accumulate { o[x] += s0 } else { o[x] = s0 }
        x &+= 1
    }
}

/// `depthwiseCorrelate` storing rows 8 to 31 wide (the 28 of Fashion-MNIST, the 16 and 8 of reduction
/// cells): a row is ceil(width / 8) vectors, the last one ending at the row's end, and the vectors of
/// all rows are taken four at a time (across rows where a row has fewer), so that four fused
/// multiply-add chains run where a row alone gave one or two. A column that two vectors of a row
/// cover (width not a multiple of 8) gets the same bits from both, since every lane sums its taps in
/// the scalar loop's order with the same fused multiply-adds; so both are stored, in any order. The
/// last group repeats the plane's last vector to make four: stored twice, the same values.
@inlinable
func depthwiseCorrelateNarrowRows<T: TensorElement, Size: DepthwiseKernelSize>(
    _ out: UnsafeMutablePointer<T>, _ src: UnsafePointer<T>, sourceWidth: Int, _ taps: UnsafePointer<T>,
    kernel: Int, dilation: Int, height: Int, width: Int, size: Size.Type
) {
    let K = Size.fixed ?? kernel, D = Size.fixedDilation ?? dilation
    let perRow = (width &+ 7) / 8, vectors = height &* perRow, last = width &- 8
    // Vector v: row v / perRow, first column min(8 * (v % perRow), width - 8).
    @inline(__always) func column(_ v: Int) -> (source: Int, output: Int) {
        let y = v / perRow, x = Swift.min((v &- y &* perRow) &* 8, last)
        return (y &* sourceWidth &+ x, y &* width &+ x)
    }
    let rowStep = D &* sourceWidth
    var v = 0
    while v < vectors {
        let a = column(v), b = column(Swift.min(v &+ 1, vectors &- 1))
        let c = column(Swift.min(v &+ 2, vectors &- 1)), d = column(Swift.min(v &+ 3, vectors &- 1))
        let (s0, s1, s2, s3) = depthwiseCorrelateQuad(src + a.source, src + b.source, src + c.source, src + d.source,
                                                      rowStep: rowStep, taps, kernel: K, dilation: D)
        convStore(s0, out + a.output, accumulate: false)
        convStore(s1, out + b.output, accumulate: false)
        convStore(s2, out + c.output, accumulate: false)
        convStore(s3, out + d.output, accumulate: false)
        v &+= 4
    }
}

/// Eight outputs of a row starting at `p`: sum over taps (i, j), in row-major order, of
/// taps[i*K + j] * p[i*rowStep + j*D + lane], one fused multiply-add per tap.
@inlinable @inline(__always)
func depthwiseCorrelateVector<T: TensorElement>(
    _ p: UnsafePointer<T>, rowStep: Int, _ taps: UnsafePointer<T>, kernel K: Int, dilation D: Int
) -> SIMD8<T> {
    var s0 = SIMD8<T>()
    var row = p, tap = taps
    for _ in 0..<K {
        var q = row
        for _ in 0..<K {
            convFMA(&s0, SIMD8<T>(repeating: tap.pointee), convLoad(q))
            q += D
            tap += 1
        }
        row += rowStep
    }
    return s0
}

/// `depthwiseCorrelateVector` at `p` and at `q` (the same row, another column), as two
/// interleaved chains of fused multiply-adds.
@inlinable @inline(__always)
func depthwiseCorrelatePair<T: TensorElement>(
    _ p: UnsafePointer<T>, _ q: UnsafePointer<T>, rowStep: Int, _ taps: UnsafePointer<T>, kernel K: Int,
    dilation D: Int
) -> (SIMD8<T>, SIMD8<T>) {
    var s0 = SIMD8<T>(), s1 = SIMD8<T>()
    var rowP = p, rowQ = q, tap = taps
    for _ in 0..<K {
        var column = 0
        for _ in 0..<K {
            let w = SIMD8<T>(repeating: tap.pointee)
            convFMA(&s0, w, convLoad(rowP + column))
            convFMA(&s1, w, convLoad(rowQ + column))
            column &+= D
            tap += 1
        }
        rowP += rowStep
        rowQ += rowStep
    }
    return (s0, s1)
}

/// `depthwiseCorrelateVector` at four places of the plane (any rows and columns), as four interleaved chains of
/// fused multiply-adds.
@inlinable @inline(__always)
func depthwiseCorrelateQuad<T: TensorElement>(
    _ p0: UnsafePointer<T>, _ p1: UnsafePointer<T>, _ p2: UnsafePointer<T>, _ p3: UnsafePointer<T>, rowStep: Int,
    _ taps: UnsafePointer<T>, kernel K: Int, dilation D: Int
) -> (SIMD8<T>, SIMD8<T>, SIMD8<T>, SIMD8<T>) {
    var s0 = SIMD8<T>(), s1 = SIMD8<T>(), s2 = SIMD8<T>(), s3 = SIMD8<T>()
    var row = 0, tap = taps
    for _ in 0..<K {
        var column = row
        for _ in 0..<K {
            let w = SIMD8<T>(repeating: tap.pointee)
            convFMA(&s0, w, convLoad(p0 + column))
            convFMA(&s1, w, convLoad(p1 + column))
            convFMA(&s2, w, convLoad(p2 + column))
            convFMA(&s3, w, convLoad(p3 + column))
            column &+= D
            tap += 1
        }
        row &+= rowStep
    }
    return (s0, s1, s2, s3)
}

/// Stores (or adds) the lanes of `v`, the outputs at columns start..<start+8 of row `o`, that lie at
/// or past column `from`: the earlier ones were written already.
@inlinable @inline(__always)
func depthwiseStoreNewLanes<T: TensorElement>(
    _ v: SIMD8<T>, _ o: UnsafeMutablePointer<T>, at start: Int, from: Int, accumulate: Bool
) {
    if from <= start {
        convStore(v, o + start, accumulate: accumulate)
        return
    }
    for lane in (from &- start)..<8 {
        if accumulate { o[start &+ lane] += v[lane] } else { o[start &+ lane] = v[lane] }
    }
}

/// dx (+)= dL/d(input) of one plane by scattering every dOut pixel through the kernel into a
/// padded scratch plane, then adding (or storing) the scratch's interior, masked by `mask` > 0
/// when given (any stride and padding).
@inlinable
func depthwiseScatterInputGradient<T: TensorElement>(
    _ dx: UnsafeMutablePointer<T>, _ scratch: UnsafeMutablePointer<T>, _ dOut: UnsafePointer<T>,
    _ taps: UnsafePointer<T>, _ s: Conv2DShape, accumulate: Bool, mask: UnsafePointer<T>?
) {
    let K = s.kernel, D = s.dilation, S = s.stride, P = s.padding
    let H = s.height, W = s.width, OW = s.outWidth, PW = W + 2 * P
    scratch.update(repeating: 0, count: (H + 2 * P) * PW)
    for y in 0..<s.outHeight {
        var corner = scratch + y &* S &* PW
        for x in 0..<OW {
            let g = dOut[y &* OW &+ x]
            var row = corner, tap = taps
            for _ in 0..<K {
                var p = row
                for _ in 0..<K {
                    p.pointee.addProduct(tap.pointee, g)
                    p += D
                    tap += 1
                }
                row += D &* PW
            }
            corner += S
        }
    }
    for y in 0..<H {
        let row = scratch + (y + P) * PW + P
        for x in 0..<W {
            var g = row[x]
            if let mask, !(mask[y &* W &+ x] > 0) { g = 0 }
            if accumulate { dx[y &* W &+ x] += g } else { dx[y &* W &+ x] = g }
        }
    }
}

/// partial[i*K + j] = sum_{y, x} g[y, x] * src[y + i*D, x + j*D] over a height x width plane g
/// and a padded source plane. Taps are taken in pairs in row-major order (a pair may span two
/// kernel rows) so that each g vector is loaded once for two products; each tap's sum does not
/// depend on its partner, and only the last of an odd K*K runs alone.
@inlinable
func depthwiseWeightGradient<T: TensorElement>(
    _ partial: UnsafeMutablePointer<T>, _ g: UnsafePointer<T>, height: Int, width: Int,
    _ src: UnsafePointer<T>, sourceWidth: Int, kernel K: Int, dilation D: Int
) {
    func tapStart(_ t: Int) -> UnsafePointer<T> { src + ((t / K) &* D &* sourceWidth &+ (t % K) &* D) }
    let taps = K &* K
    var t = 0
    while t &+ 1 < taps {
        let (a, b) = tapPairDots(g, tapStart(t), tapStart(t &+ 1), sourceWidth: sourceWidth, height: height,
                                 width: width)
        partial[t] = a
        partial[t &+ 1] = b
        t &+= 2
    }
    if t < taps {
        partial[t] = tapPairDots(g, tapStart(t), nil, sourceWidth: sourceWidth, height: height, width: width).0
    }
}

/// (sum_{y, x} g[y, x] * a[y*sourceWidth + x], the same with b): the weight-gradient dot
/// products of two taps (`b` nil for a lone last tap).
///
/// Each accumulator takes fixed columns of every row, so rows under 32 wide (Fashion-MNIST's 28, the
/// 16 and 8 of reduction cells) are still four chains per tap rather than one waiting on each FMA:
/// columns past the last 32 go one vector to each of s0, s1, s2, and a last part-vector is read as
/// the row's final 8 columns with the lanes already summed zeroed in g (into s3). Only rows under 8
/// wide are summed one element at a time.
@inlinable
func tapPairDots<T: TensorElement>(
    _ g: UnsafePointer<T>, _ a: UnsafePointer<T>, _ b: UnsafePointer<T>?, sourceWidth: Int, height: Int, width: Int
) -> (T, T) {
    var s0 = SIMD8<T>(), s1 = SIMD8<T>(), s2 = SIMD8<T>(), s3 = SIMD8<T>()
    var t0 = SIMD8<T>(), t1 = SIMD8<T>(), t2 = SIMD8<T>(), t3 = SIMD8<T>()
    var tailA: T = 0, tailB: T = 0
    var g = g, rowA = a
    // Without a second tap, the second row aliases the first and its sums are discarded.
    var rowB = b ?? a
    let blocks = width / 32 * 32
    let vectors = min((width &- blocks) / 8, 3)
    let tailStart = blocks &+ vectors &* 8
    // The overlapping last vector starts at width - 8; its lanes before tailStart were summed already.
    let overlapStart = width &- 8
    let overlap = width >= 8 && tailStart < width
    var alreadySummed = SIMDMask<SIMD8<T>.MaskStorage>()
    for lane in 0..<8 { alreadySummed[lane] = overlapStart &+ lane < tailStart }
    for _ in 0..<height {
        var x = 0
        while x < blocks {
            let g0 = convLoad(g + x), g1 = convLoad(g + x + 8)
            let g2 = convLoad(g + x + 16), g3 = convLoad(g + x + 24)
            convFMA(&s0, g0, convLoad(rowA + x))
            convFMA(&s1, g1, convLoad(rowA + x + 8))
            convFMA(&s2, g2, convLoad(rowA + x + 16))
            convFMA(&s3, g3, convLoad(rowA + x + 24))
            convFMA(&t0, g0, convLoad(rowB + x))
            convFMA(&t1, g1, convLoad(rowB + x + 8))
            convFMA(&t2, g2, convLoad(rowB + x + 16))
            convFMA(&t3, g3, convLoad(rowB + x + 24))
            x &+= 32
        }
        if vectors > 0 {
            let g0 = convLoad(g + x)
            convFMA(&s0, g0, convLoad(rowA + x))
            convFMA(&t0, g0, convLoad(rowB + x))
            if vectors > 1 {
                let g1 = convLoad(g + x + 8)
                convFMA(&s1, g1, convLoad(rowA + x + 8))
                convFMA(&t1, g1, convLoad(rowB + x + 8))
                if vectors > 2 {
                    let g2 = convLoad(g + x + 16)
                    convFMA(&s2, g2, convLoad(rowA + x + 16))
                    convFMA(&t2, g2, convLoad(rowB + x + 16))
                }
            }
        }
        if overlap {
            let g3 = convLoad(g + overlapStart).replacing(with: 0, where: alreadySummed)
            convFMA(&s3, g3, convLoad(rowA + overlapStart))
            convFMA(&t3, g3, convLoad(rowB + overlapStart))
        } else {
            x = tailStart
            while x < width {
                tailA.addProduct(g[x], rowA[x])
                tailB.addProduct(g[x], rowB[x])
                x &+= 1
            }
        }
        g += width
        rowA += sourceWidth
        rowB += sourceWidth
    }
    return (convLaneSum((s0 + s1) + (s2 + s3)) + tailA, convLaneSum((t0 + t1) + (t2 + t3)) + tailB)
}
