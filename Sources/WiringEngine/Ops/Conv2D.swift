// Conv2D: 2-D convolution (cross-correlation) without bias, as torch.nn.functional.conv2d
// (https://pytorch.org/docs/stable/generated/torch.nn.Conv2d.html), with groups, stride, padding
// (zeros, symmetric) and dilation. Every convolution of the search space goes through here: the
// stem (3x3, 3 -> 48), 1x1 preprocessing and FactorizedReduce convs, and the depthwise KxK
// convs of sep_conv and dil_conv (reference-spec section 2).
//
// Goals, in priority order: the exact semantics of PyTorch; results that do not depend on
// Parallel.threads (bit for bit); speed at the search shapes (B = 64, C = 16, 32x32).
//
// Dimensions: N batch, C input channels, O output channels, G groups, H x W input, OH x OW output,
// K kernel side (square), S stride, P padding, D dilation. Cg = C / G and Og = O / G.
// Layout: input (N, C, H, W), weight (O, Cg, K, K) exactly like PyTorch, output (N, O, OH, OW),
// all row-major.
//
//   out[n, o, y, x] = sum_{c in group(o), i, j} w[o, c - g*Cg, i, j] * in[n, c, y*S - P + i*D, x*S - P + j*D]
//
// (terms with an input index outside the image are zero). The backward is derived in
// docs/kernels/conv2d.md. Three implementations are chosen by shape (`Conv2DShape.path`):
//   - depthwise (G = C = O): a padded copy of each plane and SIMD over the width, Conv2D+Depthwise.swift;
//   - pointwise (1x1, stride 1, no padding, G = 1): one GEMM per sample, Conv2D+Pointwise.swift;
//   - im2col (everything else): the receptive fields of a sample are unfolded into a matrix,
//     then the same GEMMs run. It is the general, always-correct path.
// The plain seven-loop version is the test oracle, WiringTestSupport/NaiveConv.swift.
//
// Determinism: forward and input-gradient work is split over independent (sample, plane)
// items. The weight gradient is a sum over the batch: each sample writes its own partial, and
// the partials are added in sample order, whatever the thread count.

/// The sizes of one `conv2d` call, with PyTorch's output-size rule.
public struct Conv2DShape: Hashable, Sendable {
    /// N: samples in the batch.
    public let batch: Int
    /// C: input channels.
    public let inChannels: Int
    /// O: output channels.
    public let outChannels: Int
    /// H: input height.
    public let height: Int
    /// W: input width.
    public let width: Int
    /// K: the side of the square kernel.
    public let kernel: Int
    /// S: step between receptive fields, in input pixels.
    public let stride: Int
    /// P: zero rows and columns added on every side of the input.
    public let padding: Int
    /// D: spacing between kernel taps (1 = dense kernel).
    public let dilation: Int
    /// G: channel groups; group g maps input channels g*Cg ..< (g+1)*Cg to output channels g*Og ..< (g+1)*Og.
    public let groups: Int

    /// Describes a convolution.
    /// - Precondition: every size is positive (padding non-negative), both channel counts are
    ///   multiples of `groups`, and the dilated kernel fits in the padded input.
    public init(batch: Int, inChannels: Int, outChannels: Int, height: Int, width: Int, kernel: Int,
                stride: Int = 1, padding: Int = 0, dilation: Int = 1, groups: Int = 1) {
        self.batch = batch
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.height = height
        self.width = width
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.groups = groups
        precondition(batch > 0 && inChannels > 0 && outChannels > 0 && height > 0 && width > 0
                     && kernel > 0 && stride > 0 && padding >= 0 && dilation > 0 && groups > 0,
                     "conv2d: invalid sizes \(self)")
        precondition(inChannels % groups == 0 && outChannels % groups == 0,
                     "conv2d: channels \(inChannels) -> \(outChannels) not divisible by groups \(groups)")
        precondition(outHeight > 0 && outWidth > 0,
                     "conv2d: kernel \(kernel) (dilation \(dilation)) larger than padded input \(height)x\(width)")
    }

    /// OH = floor((H + 2P - D(K-1) - 1) / S) + 1, as in PyTorch.
    @inlinable public var outHeight: Int { (height + 2 * padding - dilation * (kernel - 1) - 1) / stride + 1 }
    /// OW = floor((W + 2P - D(K-1) - 1) / S) + 1, as in PyTorch.
    @inlinable public var outWidth: Int { (width + 2 * padding - dilation * (kernel - 1) - 1) / stride + 1 }
    /// Input channels per group (Cg), the weight's second dimension.
    @inlinable public var groupInChannels: Int { inChannels / groups }
    /// Output channels per group (Og).
    @inlinable public var groupOutChannels: Int { outChannels / groups }

    /// [N, C, H, W].
    public var inputShape: [Int] { [batch, inChannels, height, width] }
    /// [O, Cg, K, K].
    public var weightShape: [Int] { [outChannels, groupInChannels, kernel, kernel] }
    /// [N, O, OH, OW].
    public var outputShape: [Int] { [batch, outChannels, outHeight, outWidth] }

    /// N*C*H*W, the element count of the input.
    @inlinable public var inputCount: Int { batch * inChannels * height * width }
    /// O*Cg*K*K, the element count of the weight.
    @inlinable public var weightCount: Int { outChannels * groupInChannels * kernel * kernel }
    /// N*O*OH*OW, the element count of the output.
    @inlinable public var outputCount: Int { batch * outChannels * outHeight * outWidth }

    /// Which implementation runs this shape.
    @usableFromInline
    enum Path {
        case depthwise, pointwise, im2col

        /// The tape record's name, so that profiles tell the three kernels apart.
        @usableFromInline var recordName: String {
            switch self {
            case .depthwise: return "conv2d.depthwise"
            case .pointwise: return "conv2d.pointwise"
            case .im2col: return "conv2d.im2col"
            }
        }
    }

    @inlinable
    var path: Path {
        if groups == inChannels && inChannels == outChannels { return .depthwise }
        if kernel == 1 && stride == 1 && padding == 0 && groups == 1 { return .pointwise }
        return .im2col
    }
}

// MARK: - Kernels

/// Convolves `input` with `weight` into `output` (overwritten), choosing the fastest path for `shape`.
///
/// - Parameters:
///   - output: (N, O, OH, OW), overwritten.
///   - input: (N, C, H, W).
///   - weight: (O, C/G, K, K), PyTorch's layout.
///   - shape: the sizes; buffer counts must match them.
///   - reluInput: convolve max(input, 0) instead, the ReLU applied as the input is read (saves
///     writing and re-reading the ReLU's output). Depthwise and pointwise paths only.
///   - moments: when given, each output plane's `PlaneMoments` (N * O of them), taken as the GEMM
///     paths write the planes; the depthwise path ignores it.
@inlinable
public func conv2dForward<T: TensorElement>(
    _ output: UnsafeMutableBufferPointer<T>, _ input: UnsafeBufferPointer<T>,
    _ weight: UnsafeBufferPointer<T>, _ shape: Conv2DShape, reluInput: Bool = false,
    moments: UnsafeMutablePointer<PlaneMoments>? = nil
) {
    precondition(output.count == shape.outputCount && input.count == shape.inputCount
                 && weight.count == shape.weightCount, "conv2dForward: buffers do not match \(shape)")
    precondition(!reluInput || shape.path != .im2col, "conv2dForward: no fused ReLU on the im2col path")
    guard let o = output.baseAddress, let x = input.baseAddress, let w = weight.baseAddress else { return }
    switch shape.path {
    case .depthwise: depthwiseForward(o, x, w, shape, reluInput: reluInput)
    case .pointwise, .im2col: gemmConvForward(o, x, w, shape, reluInput: reluInput, moments: moments)
    }
}

/// Adds the gradients of a convolution into `dInput` and `dWeight` (pass nil to skip either).
///
/// - Parameters:
///   - dInput: (N, C, H, W); dL/d(input) is ADDED into it, or stored when `accumulateInput` is false.
///   - dWeight: (O, C/G, K, K); dL/d(weight) is ADDED into it.
///   - dOutput: (N, O, OH, OW), dL/d(output).
///   - input: (N, C, H, W), the forward input.
///   - weight: (O, C/G, K, K), the forward weight.
///   - shape: the sizes.
///   - reluInput: the forward convolved max(input, 0): dInput is then masked by input > 0 (the ReLU's
///     backward) and dWeight correlates with max(input, 0).
@inlinable
public func conv2dBackward<T: TensorElement>(
    _ dInput: UnsafeMutableBufferPointer<T>?, _ dWeight: UnsafeMutableBufferPointer<T>?,
    _ dOutput: UnsafeBufferPointer<T>, _ input: UnsafeBufferPointer<T>, _ weight: UnsafeBufferPointer<T>,
    _ shape: Conv2DShape, accumulateInput: Bool = true, reluInput: Bool = false
) {
    precondition(dOutput.count == shape.outputCount && input.count == shape.inputCount
                 && weight.count == shape.weightCount
                 && (dInput == nil || dInput!.count == input.count)
                 && (dWeight == nil || dWeight!.count == weight.count),
                 "conv2dBackward: buffers do not match \(shape)")
    guard let g = dOutput.baseAddress, let x = input.baseAddress, let w = weight.baseAddress else { return }
    precondition(!reluInput || shape.path != .im2col, "conv2dBackward: no fused ReLU on the im2col path")
    if dInput == nil && dWeight == nil { return }
    switch shape.path {
    case .depthwise:
        depthwiseBackward(dInput?.baseAddress, dWeight?.baseAddress, g, x, w, shape,
                          accumulateInput: accumulateInput, reluInput: reluInput)
    case .pointwise, .im2col:
        gemmConvBackward(dInput?.baseAddress, dWeight?.baseAddress, OutputGradient(stored: g), x, w, shape,
                         accumulateInput: accumulateInput, reluInput: reluInput)
    }
}

// MARK: - General path: im2col + GEMM

/// The output positions `0..<outSize` whose input index `o*stride + offset` lies in `0..<inSize`.
@inlinable
func validOutputRange(offset: Int, stride: Int, inSize: Int, outSize: Int) -> Range<Int> {
    let lo = offset >= 0 ? 0 : (-offset + stride - 1) / stride
    let hi = inSize - 1 - offset < 0 ? 0 : (inSize - 1 - offset) / stride + 1
    let clampedHi = Swift.min(hi, outSize)
    return lo < clampedHi ? lo..<clampedHi : lo..<lo
}

/// Unfolds one sample's group into cols (R x OH*OW), R = channels*K*K, row r = (c*K + i)*K + j:
/// cols[r, y*OW + x] = in[c, y*S - P + i*D, x*S - P + j*D], or 0 in the padding.
@inlinable
func im2col<T: TensorElement>(
    _ cols: UnsafeMutablePointer<T>, _ input: UnsafePointer<T>, channels: Int, _ s: Conv2DShape
) {
    let K = s.kernel, OH = s.outHeight, OW = s.outWidth, H = s.height, W = s.width
    let plane = OH * OW
    for c in 0..<channels {
        for i in 0..<K {
            for j in 0..<K {
                let row = cols + ((c * K + i) * K + j) * plane
                let xs = validOutputRange(offset: j * s.dilation - s.padding, stride: s.stride, inSize: W, outSize: OW)
                for y in 0..<OH {
                    let dst = row + y * OW
                    let iy = y * s.stride - s.padding + i * s.dilation
                    guard iy >= 0 && iy < H, !xs.isEmpty else {
                        dst.update(repeating: 0, count: OW)
                        continue
                    }
                    let src = input + (c * H + iy) * W + j * s.dilation - s.padding
                    dst.update(repeating: 0, count: xs.lowerBound)
                    if s.stride == 1 {
                        (dst + xs.lowerBound).update(from: src + xs.lowerBound, count: xs.count)
                    } else {
                        for x in xs { dst[x] = src[x &* s.stride] }
                    }
                    (dst + xs.upperBound).update(repeating: 0, count: OW - xs.upperBound)
                }
            }
        }
    }
}

/// The adjoint of `im2col`: adds every cols entry back onto the input pixel it was copied from.
@inlinable
func col2imAdd<T: TensorElement>(
    _ dInput: UnsafeMutablePointer<T>, _ cols: UnsafePointer<T>, channels: Int, _ s: Conv2DShape
) {
    let K = s.kernel, OH = s.outHeight, OW = s.outWidth, H = s.height, W = s.width
    let plane = OH * OW
    for c in 0..<channels {
        for i in 0..<K {
            for j in 0..<K {
                let row = cols + ((c * K + i) * K + j) * plane
                let xs = validOutputRange(offset: j * s.dilation - s.padding, stride: s.stride, inSize: W, outSize: OW)
                for y in 0..<OH {
                    let iy = y * s.stride - s.padding + i * s.dilation
                    guard iy >= 0 && iy < H else { continue }
                    let src = row + y * OW
                    let dst = dInput + (c * H + iy) * W + j * s.dilation - s.padding
                    for x in xs { dst[x &* s.stride] += src[x] }
                }
            }
        }
    }
}

/// Forward of the pointwise and im2col paths: per (sample, group), out_g = W_g (Og x R) * cols (R x OH*OW).
@inlinable
func gemmConvForward<T: TensorElement>(
    _ output: UnsafeMutablePointer<T>, _ input: UnsafePointer<T>, _ weight: UnsafePointer<T>, _ s: Conv2DShape,
    reluInput: Bool, moments: UnsafeMutablePointer<PlaneMoments>? = nil
) {
    let G = s.groups, Cg = s.groupInChannels, Og = s.groupOutChannels
    let R = Cg * s.kernel * s.kernel, P = s.outHeight * s.outWidth, HW = s.height * s.width
    let unfold = s.path != .pointwise
    Parallel.forEach(s.batch * G) { item in
        let n = item / G, g = item % G
        let x = input + (n * s.inChannels + g * Cg) * HW
        let out = output + (n * s.outChannels + g * Og) * P
        let w = weight + g * Og * R
        if unfold {
            let cols = UnsafeMutablePointer<T>.allocate(capacity: R * P)
            defer { cols.deallocate() }
            im2col(cols, x, channels: Cg, s)
            gemm(out, ldc: P, w, lda: R, cols, ldb: P, m: Og, n: P, k: R, accumulate: false)
        } else {
            gemm(out, ldc: P, w, lda: R, x, ldb: P, m: Og, n: P, k: R, accumulate: false, reluB: reluInput)
        }
        // The planes just written are still in cache.
        if let moments { writePlaneMoments(moments + n * s.outChannels + g * Og, out, count: Og, size: P) }
    }
}

/// Backward of the pointwise and im2col paths:
/// dcols = W_g^T dOut_g, folded back with col2im; dW_g += sum over samples of dOut_g cols^T.
@inlinable
func gemmConvBackward<T: TensorElement>(
    _ dInput: UnsafeMutablePointer<T>?, _ dWeight: UnsafeMutablePointer<T>?,
    _ dOutput: OutputGradient<T>, _ input: UnsafePointer<T>, _ weight: UnsafePointer<T>, _ s: Conv2DShape,
    accumulateInput: Bool, reluInput: Bool
) {
    let N = s.batch, G = s.groups, Cg = s.groupInChannels, Og = s.groupOutChannels, O = s.outChannels
    let R = Cg * s.kernel * s.kernel, P = s.outHeight * s.outWidth, HW = s.height * s.width
    let unfold = s.path != .pointwise
    let weightCount = O * R

    // W^T per group (R x Og), so that dcols = W^T dOut is the same row-major GEMM as the forward.
    var transposed: UnsafeMutablePointer<T>? = nil
    if dInput != nil {
        let t = UnsafeMutablePointer<T>.allocate(capacity: weightCount)
        for g in 0..<G { transpose(t + g * R * Og, weight + g * Og * R, rows: Og, columns: R) }
        transposed = t
    }
    defer { transposed?.deallocate() }
    // One weight-gradient partial per sample, summed in sample order below (determinism).
    let partials: UnsafeMutablePointer<T>? = dWeight == nil ? nil : .allocate(capacity: N * weightCount)
    defer { partials?.deallocate() }

    Parallel.forEach(N * G) { item in
        let n = item / G, g = item % G
        let x = input + (n * s.inChannels + g * Cg) * HW
        // This sample's output gradient (written into a scratch when it is deferred).
        let dOutScratch: UnsafeMutablePointer<T>? = dOutput.needsScratch ? .allocate(capacity: Og * P) : nil
        defer { dOutScratch?.deallocate() }
        let dOut = dOutput.elements((n * O + g * Og) * P, Og * P, scratch: dOutScratch)
        // Scratch of R x P: the unfolded input (im2col), or for a fused ReLU the masked-off input
        // gradient and then relu(input).
        var cols: UnsafeMutablePointer<T>? = nil
        defer { cols?.deallocate() }
        if unfold || reluInput { cols = .allocate(capacity: R * P) }
        // Input gradient.
        if let dInput, let transposed {
            let dx = dInput + (n * s.inChannels + g * Cg) * HW
            let wt = transposed + g * R * Og
            if unfold, let cols {
                gemm(cols, ldc: P, wt, lda: Og, dOut, ldb: P, m: R, n: P, k: Og, accumulate: false)
                if !accumulateInput { dx.update(repeating: 0, count: Cg * HW) }  // col2im adds
                col2imAdd(dx, cols, channels: Cg, s)
            } else if reluInput, let cols {
                gemm(cols, ldc: P, wt, lda: Og, dOut, ldb: P, m: R, n: P, k: Og, accumulate: false)
                reluMaskedWrite(dx, cols, mask: x, count: R * P, accumulate: accumulateInput)
            } else {
                gemm(dx, ldc: P, wt, lda: Og, dOut, ldb: P, m: R, n: P, k: Og, accumulate: accumulateInput)
            }
        }
        // This sample's weight-gradient partial.
        if let partials {
            var unfolded = UnsafePointer(x)
            if let cols {
                if unfold { im2col(cols, x, channels: Cg, s) } else { reluCopy(cols, x, count: R * P) }
                unfolded = UnsafePointer(cols)
            }
            gemmTransposedB(partials + n * weightCount + g * Og * R, ldc: R, dOut, lda: P, unfolded, ldb: P,
                            m: Og, n: R, k: P)
        }
    }
    if let dWeight, let partials { addPartialsInOrder(dWeight, partials, count: weightCount, parts: N) }
}

/// dst[i] += sum over p in 0..<parts (in order) of partials[p * count + i].
@inlinable
func addPartialsInOrder<T: TensorElement>(
    _ dst: UnsafeMutablePointer<T>, _ partials: UnsafePointer<T>, count: Int, parts: Int
) {
    let block = 1024  // fixed, so the split does not depend on the thread count (each i is summed alone anyway)
    Parallel.forEach((count + block - 1) / block) { b in
        for i in (b * block)..<Swift.min(count, (b + 1) * block) {
            var total = partials[i]
            for p in 1..<Swift.max(parts, 1) { total += partials[p * count + i] }
            dst[i] += total
        }
    }
}

// MARK: - Differentiable op

extension Tape {
    /// 2-D convolution without bias (torch.nn.functional.conv2d).
    ///
    /// - Parameters:
    ///   - x: (N, C, H, W).
    ///   - weight: (O, C/groups, K, K).
    ///   - stride, padding, dilation, groups: as in PyTorch (square kernel, symmetric zero padding).
    ///   - reluInput: convolve relu(x) (the `relu` op fused into this conv's input read; its output
    ///     is never stored). Same values and gradients as `conv2d(relu(x), ...)`.
    ///   - outputMoments: a normalisation of the output comes next: take each output plane's moments
    ///     while it is in cache, so that it makes no pass of its own for them (GEMM paths).
    /// - Returns: (N, O, OH, OW) with OH = (H + 2*padding - dilation*(K-1) - 1) / stride + 1.
    /// - Precondition: ranks are 4, the weight is square and C = (weight's second dim) * groups.
    @inlinable
    public func conv2d(_ x: Var, weight: Var, stride: Int = 1, padding: Int = 0, dilation: Int = 1,
                       groups: Int = 1, reluInput: Bool = false, outputMoments: Bool = false) -> Var {
        let input = value(x), w = value(weight)
        precondition(input.shape.count == 4 && w.shape.count == 4 && w.shape[2] == w.shape[3]
                     && w.shape[1] * groups == input.shape[1],
                     "conv2d: input \(input.shape), weight \(w.shape), groups \(groups)")
        let shape = Conv2DShape(batch: input.shape[0], inChannels: input.shape[1], outChannels: w.shape[0],
                                height: input.shape[2], width: input.shape[3], kernel: w.shape[2],
                                stride: stride, padding: padding, dilation: dilation, groups: groups)
        if reluInput && shape.path == .im2col {
            return conv2d(relu(x), weight: weight, stride: stride, padding: padding, dilation: dilation, groups: groups,
                          outputMoments: outputMoments)
        }
        var out = makeOutput(shape: shape.outputShape)
        // The GEMM paths take the moments of the planes they write (the depthwise path leaves it to the norm).
        let takesMoments = outputMoments && takesOutputMoments && shape.path != .depthwise
        var moments: [PlaneMoments] = takesMoments ? Array(repeating: (0, 0), count: shape.batch * shape.outChannels) : []
        out.withUnsafeMutableBufferPointer { o in
            input.withUnsafeBufferPointer { xb in
                w.withUnsafeBufferPointer { wb in
                    moments.withUnsafeMutableBufferPointer { m in
                        conv2dForward(o, xb, wb, shape, reluInput: reluInput, moments: takesMoments ? m.baseAddress! : nil)
                    }
                }
            }
        }
        let name = reluInput ? "relu+" + shape.path.recordName : shape.path.recordName
        // The GEMM paths read their output's gradient a sample at a time, so it may be deferred.
        let gemmPath = shape.path != .depthwise
        let output = record(name, inputs: [x, weight], output: out, readsDeferredOutput: gemmPath) { ctx in
            // col2im adds into dx, so the im2col path takes a zero-filled buffer.
            let dX = shape.path == .im2col ? ctx.dInput(0).map { GradientTarget(buffer: $0, accumulate: true) }
                : ctx.dInputTarget(0)
            let dW = ctx.dInput(1)
            guard dX != nil || dW != nil else { return }
            input.withUnsafeBufferPointer { xb in
                w.withUnsafeBufferPointer { wb in
                    if gemmPath {
                        gemmConvBackward(dX?.buffer.baseAddress, dW?.baseAddress, ctx.outputGradient, xb.baseAddress!,
                                         wb.baseAddress!, shape, accumulateInput: dX?.accumulate ?? true,
                                         reluInput: reluInput)
                    } else {
                        conv2dBackward(dX?.buffer, dW, ctx.dOutput, xb, wb, shape,
                                       accumulateInput: dX?.accumulate ?? true, reluInput: reluInput)
                    }
                }
            }
        }
        if takesMoments { self.outputMoments[output.id] = moments }
        return output
    }
}
