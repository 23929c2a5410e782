// Movement ops: channel concatenation (a cell's output, FactorizedReduce's two halves) and the
// spatial slice x[:, :, top:, left:] that shifts FactorizedReduce's second path by one pixel
// (reference-spec §3-4). Pure copies, so they are exact; the backward copies the gradient back.
//
// Dimensions: N batch, C channels, H, W height and width, NCHW row-major. Work is split by batch
// item (concat) or by plane (slice); a tensor passed twice to concat gets both gradient blocks
// added by the same thread, so results do not depend on `Parallel.threads`.

// MARK: - Kernels

/// Concatenates along channels: out[n] = [xs[0][n], xs[1][n], ...], where input k has
/// `blockSizes[k]` = C_k * H * W elements per batch item.
///
/// Buffers: out [N, sum_k C_k, H, W], xs[k] [N, C_k, H, W].
@inlinable
public func concatChannelsForward<T: TensorElement>(
    _ out: UnsafeMutableBufferPointer<T>, _ xs: [UnsafeBufferPointer<T>], batch: Int, blockSizes: [Int]
) {
    let outBlock = blockSizes.reduce(0, +)
    precondition(out.count == batch * outBlock, "concatChannelsForward: buffer sizes do not match")
    Parallel.forEach(batch) { n in
        var dst = out.baseAddress! + n * outBlock
        for (x, size) in zip(xs, blockSizes) {
            dst.update(from: x.baseAddress! + n * size, count: size)
            dst += size
        }
    }
}

/// dxs[k][n] (+)= the matching block of dOut[n], for every k with a target (nil = no gradient),
/// in k order per batch item, so a tensor passed twice is stored once and then added.
@inlinable
public func concatChannelsBackward<T: TensorElement>(
    _ dxs: [GradientTarget<T>?], _ dOut: UnsafeBufferPointer<T>, batch: Int, blockSizes: [Int]
) {
    let outBlock = blockSizes.reduce(0, +)
    Parallel.forEach(batch) { n in
        var src = dOut.baseAddress! + n * outBlock
        for (dx, size) in zip(dxs, blockSizes) {
            if let dx {
                let dst = dx.buffer.baseAddress! + n * size
                if dx.accumulate {
                    for i in 0..<size { dst[i] += src[i] }
                } else {
                    dst.update(from: src, count: size)
                }
            }
            src += size
        }
    }
}

/// out = x[:, :, top:, left:] on `planes` planes of height x width.
///
/// Buffers: out [planes, height - top, width - left], x [planes, height, width].
@inlinable
public func spatialSliceForward<T: TensorElement>(
    _ out: UnsafeMutableBufferPointer<T>, _ x: UnsafeBufferPointer<T>,
    planes: Int, height: Int, width: Int, top: Int, left: Int
) {
    let (oh, ow) = (height - top, width - left)
    precondition(out.count == planes * oh * ow && x.count == planes * height * width,
                 "spatialSliceForward: buffer sizes do not match")
    Parallel.forEach(planes) { p in
        for r in 0..<oh {
            (out.baseAddress! + (p * oh + r) * ow)
                .update(from: x.baseAddress! + (p * height + top + r) * width + left, count: ow)
        }
    }
}

/// dx[:, :, top:, left:] += dOut.
@inlinable
public func spatialSliceBackward<T: TensorElement>(
    _ dx: UnsafeMutableBufferPointer<T>, _ dOut: UnsafeBufferPointer<T>,
    planes: Int, height: Int, width: Int, top: Int, left: Int
) {
    let (oh, ow) = (height - top, width - left)
    Parallel.forEach(planes) { p in
        for r in 0..<oh {
            let dst = dx.baseAddress! + (p * height + top + r) * width + left
            let src = dOut.baseAddress! + (p * oh + r) * ow
            for i in 0..<ow { dst[i] += src[i] }
        }
    }
}

// MARK: - Differentiable ops

extension Tape {
    /// Concatenates NCHW tensors along the channel dimension (dim 1), like `torch.cat(xs, dim=1)`.
    /// - Returns: [N, sum of the C_k, H, W].
    /// - Precondition: `xs` is not empty; every tensor is rank 4 with the same N, H and W.
    @inlinable
    public func concatChannels(_ xs: [Var]) -> Var {
        precondition(!xs.isEmpty, "concatChannels: no inputs")
        let shapes = xs.map { shape($0) }
        let first = shapes[0]
        for s in shapes {
            precondition(s.count == 4 && s[0] == first[0] && s[2] == first[2] && s[3] == first[3],
                         "concatChannels: shapes \(shapes) do not agree in N, H, W")
        }
        let channels = shapes.reduce(0) { $0 + $1[1] }
        let blockSizes = shapes.map { $0[1] * $0[2] * $0[3] }
        let batch = first[0]
        let values = xs.map { value($0) }
        var out = makeOutput(shape: [batch, channels, first[2], first[3]])
        withExtendedLifetime(values) {
            out.withUnsafeMutableBufferPointer {
                concatChannelsForward($0, readBuffers(values), batch: batch, blockSizes: blockSizes)
            }
        }
        return record("concatChannels", inputs: xs, output: out) { ctx in
            concatChannelsBackward(xs.indices.map { ctx.dInputTarget($0) }, ctx.dOutput,
                                   batch: batch, blockSizes: blockSizes)
        }
    }

    /// The slice x[:, :, top:, left:] of an NCHW tensor (FactorizedReduce's one-pixel shift).
    /// - Returns: [N, C, H - top, W - left].
    /// - Precondition: `x` is rank 4, 0 <= top < H and 0 <= left < W.
    @inlinable
    public func spatialSlice(_ x: Var, top: Int, left: Int) -> Var {
        let s = shape(x)
        precondition(s.count == 4 && top >= 0 && left >= 0 && top < s[2] && left < s[3],
                     "spatialSlice: [:, :, \(top):, \(left):] of shape \(s)")
        let (planes, height, width) = (s[0] * s[1], s[2], s[3])
        var out = makeOutput(shape: [s[0], s[1], height - top, width - left])
        value(x).withUnsafeBufferPointer { xb in
            out.withUnsafeMutableBufferPointer {
                spatialSliceForward($0, xb, planes: planes, height: height, width: width, top: top, left: left)
            }
        }
        return record("spatialSlice", inputs: [x], output: out) { ctx in
            guard let dx = ctx.dInput(0) else { return }
            spatialSliceBackward(dx, ctx.dOutput, planes: planes, height: height, width: width,
                                 top: top, left: left)
        }
    }
}
