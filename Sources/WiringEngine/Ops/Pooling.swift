// Pooling: max_pool_3x3 and avg_pool_3x3 (kernel 3, padding 1, stride 1 or 2) of the DARTS op set,
// and the global average pool of the classifier head (reference-spec §3-4).
//
// Semantics copied from PyTorch (nn.MaxPool2d / nn.AvgPool2d / AdaptiveAvgPool2d(1), CPU kernels):
// - Max pool: padding never wins (only in-image taps are looked at). NOTE: ties go to the FIRST
//   maximum in row-major window order (`val > maxval`), and a NaN tap wins (`|| isnan(val)`).
//   The argmax of each output (its index h * W + w inside the input plane) is saved for the backward.
// - Avg pool: count_include_pad = false. NOTE: the divisor is the number of in-image taps, so a
//   corner output divides by 4, a border output by 6 and an interior output by 9. Taps are summed
//   in row-major order from 0, then divided, as PyTorch does.
// - Output size: outH = (H + 2*1 - 3) / stride + 1 = (H - 1) / stride + 1, likewise outW.
//
// Goals, in order: exact PyTorch semantics, determinism, speed. Dimensions: N batch, C channels,
// H, W input height and width, NCHW row-major; a "plane" is one (n, c) image of H*W elements.
// Work is split by plane, so each plane (and every gradient element in it) is written by exactly
// one thread, in a fixed order: the results do not depend on `Parallel.threads`.
//
// Layout of the code: `...At` computes one output the plain way (PyTorch's loop); the `...Naive`
// plane kernels apply it to every output and are the fallback for stride > 2 or rows narrower
// than 8 outputs. The fast forwards copy each plane into a scratch plane with a one-element border
// (-inf for max, 0 for avg), so every window has 9 taps in memory, and compute 8 outputs of a row
// at a time with SIMD8; they give bitwise the naive results (see each kernel for why). The
// backwards add the same terms as the naive loops in a vector-friendly order.

/// The sizes of a 3x3, padding-1 pooling: `planes` (= N*C) input planes of `height` x `width`,
/// and the resulting output size.
public struct Pool3x3Shape: Hashable, Sendable {
    /// Number of planes, N * C.
    public let planes: Int
    /// Input plane height H and width W.
    public let height, width: Int
    /// Step between windows, 1 or 2 in the networks.
    public let stride: Int
    /// Output plane size, (H - 1) / stride + 1 by (W - 1) / stride + 1.
    public let outHeight, outWidth: Int

    /// The pooling of `planes` planes of `height` x `width` with `stride`.
    /// - Precondition: stride > 0 and the plane is at least 1x1.
    @inlinable
    public init(planes: Int, height: Int, width: Int, stride: Int) {
        precondition(stride > 0 && height > 0 && width > 0 && planes >= 0,
                     "pool3x3: stride \(stride) on \(planes) planes of \(height)x\(width)")
        self.planes = planes
        self.height = height
        self.width = width
        self.stride = stride
        outHeight = (height - 1) / stride + 1
        outWidth = (width - 1) / stride + 1
    }

    /// In-image rows of output row `oh`'s window.
    @inlinable
    func rows(_ oh: Int) -> Range<Int> { Swift.max(oh * stride - 1, 0)..<Swift.min(oh * stride + 2, height) }

    /// In-image columns of output column `ow`'s window.
    @inlinable
    func columns(_ ow: Int) -> Range<Int> { Swift.max(ow * stride - 1, 0)..<Swift.min(ow * stride + 2, width) }
}

// MARK: - One output (PyTorch's loops)

/// Max and argmax (index inside the plane) of output (oh, ow) of the plane at `x`.
@inlinable
func maxPool3x3At<T: TensorElement>(_ x: UnsafePointer<T>, _ shape: Pool3x3Shape, _ oh: Int, _ ow: Int) -> (T, Int32) {
    let (rows, columns, W) = (shape.rows(oh), shape.columns(ow), shape.width)
    var best = -T.infinity, index = rows.lowerBound * W + columns.lowerBound
    for r in rows {
        for c in columns {
            let v = x[r * W + c]
            // v > best, or v is NaN (never both); selects rather than branches on random data
            let wins = (v > best) != (v != v)
            best = wins ? v : best
            index = wins ? r * W + c : index
        }
    }
    return (best, Int32(truncatingIfNeeded: index))
}

/// Mean of the in-image taps of output (oh, ow) of the plane at `x`.
@inlinable
func avgPool3x3At<T: TensorElement>(_ x: UnsafePointer<T>, _ shape: Pool3x3Shape, _ oh: Int, _ ow: Int) -> T {
    let (rows, columns, W) = (shape.rows(oh), shape.columns(ow), shape.width)
    var sum: T = 0
    for r in rows {
        for c in columns { sum += x[r * W + c] }
    }
    return sum / T(rows.count * columns.count)
}

/// dx[tap] += g / (number of in-image taps), for the taps of output (oh, ow) of the plane at `dx`.
@inlinable
func avgPool3x3BackwardAt<T: TensorElement>(
    _ dx: UnsafeMutablePointer<T>, _ g: T, _ shape: Pool3x3Shape, _ oh: Int, _ ow: Int
) {
    let (rows, columns, W) = (shape.rows(oh), shape.columns(ow), shape.width)
    let share = g / T(rows.count * columns.count)
    for r in rows {
        for c in columns { dx[r * W + c] += share }
    }
}

// MARK: - Kernels

/// Max pool 3x3, padding 1. Writes `out` and, per output, the index (h * W + w) inside its input
/// plane of the winning tap.
///
/// Buffers: out and argmax [planes, outH, outW], x [planes, H, W].
/// NOTE: the first maximum in row-major window order wins a tie; a NaN wins over numbers.
@inlinable
public func maxPool3x3Forward<T: TensorElement>(
    _ out: UnsafeMutableBufferPointer<T>, _ argmax: UnsafeMutableBufferPointer<Int32>,
    _ x: UnsafeBufferPointer<T>, _ shape: Pool3x3Shape
) {
    let (plane, outPlane) = (shape.height * shape.width, shape.outHeight * shape.outWidth)
    precondition(x.count == shape.planes * plane && out.count == shape.planes * outPlane
                 && argmax.count == out.count, "maxPool3x3Forward: buffer sizes do not match \(shape)")
    precondition(plane <= Int(Int32.max), "maxPool3x3Forward: plane of \(plane) elements is too large")
    let (o, a, xs) = (out.baseAddress!, argmax.baseAddress!, x.baseAddress!)
    guard poolVectorises(shape) else {
        Parallel.forEach(shape.planes) { p in
            maxPool3x3PlaneNaive(o + p * outPlane, a + p * outPlane, xs + p * plane, shape)
        }
        return
    }
    poolForEachPaddedPlane(xs, shape, padding: -T.infinity) { p, padded in
        switch shape.stride {  // a literal stride turns the strided loads into plain vector loads
        case 1: maxPool3x3PaddedPlane(o + p * outPlane, a + p * outPlane, padded, shape, stride: 1)
        default: maxPool3x3PaddedPlane(o + p * outPlane, a + p * outPlane, padded, shape, stride: 2)
        }
    }
}

/// Max pool of one plane, one output at a time.
@inlinable
func maxPool3x3PlaneNaive<T: TensorElement>(
    _ out: UnsafeMutablePointer<T>, _ argmax: UnsafeMutablePointer<Int32>, _ x: UnsafePointer<T>,
    _ shape: Pool3x3Shape
) {
    for oh in 0..<shape.outHeight {
        for ow in 0..<shape.outWidth {
            (out[oh * shape.outWidth + ow], argmax[oh * shape.outWidth + ow]) = maxPool3x3At(x, shape, oh, ow)
        }
    }
}

/// Max pool of one plane from the plane padded with -inf, separably and 8 outputs at a time.
///
/// First each in-image input row r is reduced over the 3 column taps of every output column
/// (`rowMax[r, ow]`, and the winning column in `rowArgmax`), then each output takes the max over
/// its in-image rows of those. With strict `>` in both passes the winner is the first maximum in
/// the topmost row that has one, i.e. the first in row-major order; a NaN wins in both passes, so
/// the last NaN in row-major order wins, as in the one-pass loop. A -inf pad never wins, and the
/// indices start at each window's first in-image tap, as in PyTorch. So the result is exactly that
/// of `maxPool3x3PlaneNaive`, with 3 + 3 instead of 9 steps per output at stride 1.
@inlinable @inline(__always)
func maxPool3x3PaddedPlane<T: TensorElement>(
    _ out: UnsafeMutablePointer<T>, _ argmax: UnsafeMutablePointer<Int32>, _ padded: UnsafePointer<T>,
    _ shape: Pool3x3Shape, stride s: Int
) {
    let (H, W, PW, OW) = (shape.height, shape.width, shape.width + 2, shape.outWidth)
    let lanes = SIMD8<Int32>(0, 1, 2, 3, 4, 5, 6, 7) &* Int32(s)
    withUnsafeTemporaryAllocation(of: T.self, capacity: H * OW) { rowMax in
        withUnsafeTemporaryAllocation(of: Int32.self, capacity: H * OW) { rowArgmax in
            let (rm, ra) = (rowMax.baseAddress!, rowArgmax.baseAddress!)
            // Pass 1: over the columns of each input row.
            for r in 0..<H {
                poolForEachBlock(OW) { ow0 in
                    var column = lanes &+ Int32(truncatingIfNeeded: ow0 * s - 1)
                    if ow0 == 0 { column[0] = 0 }  // only output column 0 starts in the padding
                    var best = SIMD8<T>(repeating: -.infinity)
                    for dc in 0..<3 {
                        let tap = lanes &+ Int32(truncatingIfNeeded: ow0 * s + dc - 1)
                        // Input column ow*s + dc - 1 sits at padded column ow*s + dc.
                        let v = poolLoad8(padded + ((r + 1) * PW + ow0 * s + dc), stride: s)
                        maxPoolStep(&best, &column, v, tap)
                    }
                    poolStore(best, rm + r * OW + ow0)
                    poolStore(column, ra + r * OW + ow0)
                }
            }
            // Pass 2: over the in-image rows of each output row.
            for oh in 0..<shape.outHeight {
                let rows = shape.rows(oh)
                poolForEachBlock(OW) { ow0 in
                    let first: SIMD8<Int32> = poolLoad(ra + rows.lowerBound * OW + ow0)
                    var index = first &+ Int32(truncatingIfNeeded: rows.lowerBound * W)
                    var best = SIMD8<T>(repeating: -.infinity)
                    for r in rows {
                        let column: SIMD8<Int32> = poolLoad(ra + r * OW + ow0)
                        maxPoolStep(&best, &index, poolLoad(rm + r * OW + ow0), column &+ Int32(truncatingIfNeeded: r * W))
                    }
                    poolStore(best, out + oh * OW + ow0)
                    poolStore(index, argmax + oh * OW + ow0)
                }
            }
        }
    }
}

/// Calls `body(ow0)` for blocks ow0 ..< ow0 + 8 covering 0 ..< count (count >= 8). The last block
/// may overlap the previous one, which is harmless for a forward that only writes its outputs.
@inlinable @inline(__always)
func poolForEachBlock(_ count: Int, _ body: (Int) -> Void) {
    var next = 0
    while next < count {
        body(Swift.min(next, count - 8))
        next += 8
    }
}

/// Lanewise: where v > best (strictly, so the first of equal maxima stays) or v is NaN, take v
/// and its tap index.
///
/// Written for Float and Double separately: comparisons and masks of a *generic* SIMD8<T> are
/// compiled lane by lane through memory even after specialisation (about 50x slower), while the
/// concrete types use vector compares and blends. `T.self == Float.self` is folded away.
@inlinable @inline(__always)
func maxPoolStep<T: TensorElement>(
    _ best: inout SIMD8<T>, _ index: inout SIMD8<Int32>, _ v: SIMD8<T>, _ tap: SIMD8<Int32>
) {
    if T.self == Float.self {
        var b = unsafeBitCast(best, to: SIMD8<Float>.self)
        let x = unsafeBitCast(v, to: SIMD8<Float>.self)
        let wins = (x .> b) .| (x .!= x)
        b.replace(with: x, where: wins)
        index.replace(with: tap, where: wins)
        best = unsafeBitCast(b, to: SIMD8<T>.self)
    } else if T.self == Double.self {
        var b = unsafeBitCast(best, to: SIMD8<Double>.self)
        let x = unsafeBitCast(v, to: SIMD8<Double>.self)
        let wins = (x .> b) .| (x .!= x)
        b.replace(with: x, where: wins)
        // The Double mask has 64-bit lanes; narrow it to select the 32-bit indices.
        let bits = SIMD8<Int32>(truncatingIfNeeded: unsafeBitCast(wins, to: SIMD8<Int64>.self))
        index = (tap & bits) | (index & ~bits)
        best = unsafeBitCast(b, to: SIMD8<T>.self)
    } else {
        for k in 0..<8 where v[k] > best[k] || v[k].isNaN { (best[k], index[k]) = (v[k], tap[k]) }
    }
}

/// dx[argmax] += dOut, plane by plane in output order.
///
/// Buffers: dx [planes, H, W]; dOut and argmax [planes, outH, outW].
@inlinable
public func maxPool3x3Backward<T: TensorElement>(
    _ dx: UnsafeMutableBufferPointer<T>, _ dOut: UnsafeBufferPointer<T>,
    _ argmax: UnsafeBufferPointer<Int32>, _ shape: Pool3x3Shape
) {
    let (plane, outPlane) = (shape.height * shape.width, shape.outHeight * shape.outWidth)
    precondition(dx.count == shape.planes * plane && dOut.count == shape.planes * outPlane
                 && argmax.count == dOut.count, "maxPool3x3Backward: buffer sizes do not match \(shape)")
    Parallel.forEach(shape.planes) { p in
        maxPool3x3PlaneBackward(dx.baseAddress! + p * plane, dOut.baseAddress! + p * outPlane,
                                argmax.baseAddress! + p * outPlane, outPlane)
    }
}

/// One plane of `maxPool3x3Backward`: a scatter in output order (with stride 1, outputs share taps).
@inlinable
func maxPool3x3PlaneBackward<T: TensorElement>(
    _ dx: UnsafeMutablePointer<T>, _ dOut: UnsafePointer<T>, _ argmax: UnsafePointer<Int32>, _ count: Int
) {
    for o in 0..<count { dx[Int(argmax[o])] += dOut[o] }
}

/// Avg pool 3x3, padding 1, count_include_pad = false: each output is the sum of its in-image taps
/// (added in row-major order, as PyTorch does) divided by their number.
///
/// Buffers: out [planes, outH, outW], x [planes, H, W].
/// NOTE: padding is not counted: a corner divides by 4, a border by 6, the interior by 9.
@inlinable
public func avgPool3x3Forward<T: TensorElement>(
    _ out: UnsafeMutableBufferPointer<T>, _ x: UnsafeBufferPointer<T>, _ shape: Pool3x3Shape
) {
    let (plane, outPlane) = (shape.height * shape.width, shape.outHeight * shape.outWidth)
    precondition(x.count == shape.planes * plane && out.count == shape.planes * outPlane,
                 "avgPool3x3Forward: buffer sizes do not match \(shape)")
    let (o, xs) = (out.baseAddress!, x.baseAddress!)
    guard poolVectorises(shape) else {
        Parallel.forEach(shape.planes) { p in avgPool3x3PlaneNaive(o + p * outPlane, xs + p * plane, shape) }
        return
    }
    // Number of in-image columns of each output column (+ 8 spare lanes for the vector loads).
    let columnCounts = (0..<shape.outWidth + 8).map { T($0 < shape.outWidth ? shape.columns($0).count : 1) }
    columnCounts.withUnsafeBufferPointer { counts in
        poolForEachPaddedPlane(xs, shape, padding: 0) { p, padded in
            switch shape.stride {
            case 1: avgPool3x3PaddedPlane(o + p * outPlane, padded, counts.baseAddress!, shape, stride: 1)
            default: avgPool3x3PaddedPlane(o + p * outPlane, padded, counts.baseAddress!, shape, stride: 2)
            }
        }
    }
}

/// Avg pool of one plane, one output at a time.
@inlinable
func avgPool3x3PlaneNaive<T: TensorElement>(_ out: UnsafeMutablePointer<T>, _ x: UnsafePointer<T>, _ shape: Pool3x3Shape) {
    for oh in 0..<shape.outHeight {
        for ow in 0..<shape.outWidth { out[oh * shape.outWidth + ow] = avgPool3x3At(x, shape, oh, ow) }
    }
}

/// Avg pool of one plane, 8 outputs of a row at a time, from the plane padded with zeros.
///
/// The 9 taps are added in row-major order from +0, as in PyTorch; a +0 pad changes no partial sum
/// (which is never -0), so the sums are bitwise those of `avgPool3x3PlaneNaive`, and the divisor
/// still counts in-image taps only.
@inlinable @inline(__always)
func avgPool3x3PaddedPlane<T: TensorElement>(
    _ out: UnsafeMutablePointer<T>, _ padded: UnsafePointer<T>, _ columnCounts: UnsafePointer<T>,
    _ shape: Pool3x3Shape, stride s: Int
) {
    let (PW, OW) = (shape.width + 2, shape.outWidth)
    for oh in 0..<shape.outHeight {
        let rowCount = SIMD8<T>(repeating: T(shape.rows(oh).count))
        poolForEachBlock(OW) { ow0 in
            var sum = SIMD8<T>(repeating: 0)
            for dr in 0..<3 {
                for dc in 0..<3 { sum += poolLoad8(padded + ((oh * s + dr) * PW + ow0 * s + dc), stride: s) }
            }
            // rows * columns is a small integer, exact in T: this divides by the number of taps.
            let counts: SIMD8<T> = poolLoad(columnCounts + ow0)
            poolStore(sum / (rowCount * counts), out + oh * OW + ow0)
        }
    }
}

/// Whether the padded SIMD8 kernels apply: stride 1 or 2 and at least one full block per row.
@inlinable
func poolVectorises(_ shape: Pool3x3Shape) -> Bool {
    (shape.stride == 1 || shape.stride == 2) && shape.outWidth >= 8
}

/// Runs `body(p, padded)` for every plane p, where `padded` holds plane p of `x` inside a border
/// of one `padding` element on each side: (H + 2) x (W + 2), row-major. Planes go in fixed chunks,
/// each with its own scratch plane whose border is written once.
@inlinable
func poolForEachPaddedPlane<T: TensorElement>(
    _ x: UnsafePointer<T>, _ shape: Pool3x3Shape, padding: T, _ body: (Int, UnsafePointer<T>) -> Void
) {
    let (H, W, PW) = (shape.height, shape.width, shape.width + 2)
    let planesPerChunk = 8
    let chunks = (shape.planes + planesPerChunk - 1) / planesPerChunk
    Parallel.forEach(chunks) { chunk in
        // 16 spare elements: a stride-2 load reads 16 lanes from the last tap of a row.
        withUnsafeTemporaryAllocation(of: T.self, capacity: (H + 2) * PW + 16) { scratch in
            let padded = scratch.baseAddress!
            padded.initialize(repeating: padding, count: scratch.count)
            for p in chunk * planesPerChunk..<Swift.min(shape.planes, (chunk + 1) * planesPerChunk) {
                for r in 0..<H { (padded + (r + 1) * PW + 1).update(from: x + (p * H + r) * W, count: W) }
                body(p, padded)
            }
        }
    }
}

/// dx[tap] += dOut / (number of in-image taps), for every in-image tap of every output; with
/// `accumulate` false dx is overwritten instead (its contents may be garbage), with the bits of adding
/// into zeros.
///
/// Buffers: dx [planes, H, W], dOut [planes, outH, outW].
@inlinable
public func avgPool3x3Backward<T: TensorElement>(
    _ dx: UnsafeMutableBufferPointer<T>, _ dOut: UnsafeBufferPointer<T>, _ shape: Pool3x3Shape, accumulate: Bool = true
) {
    let (plane, outPlane) = (shape.height * shape.width, shape.outHeight * shape.outWidth)
    precondition(dx.count == shape.planes * plane && dOut.count == shape.planes * outPlane,
                 "avgPool3x3Backward: buffer sizes do not match \(shape)")
    // Number of in-image columns of each output column, the same for every row and plane.
    let columnCounts = (0..<shape.outWidth).map { T(shape.columns($0).count) }
    if shape.stride == 1 {
        // Each output's number of taps, rows x columns (small integers, exact in T).
        let divisors = (0..<outPlane).map { i in T(shape.rows(i / shape.outWidth).count) * columnCounts[i % shape.outWidth] }
        divisors.withUnsafeBufferPointer { d in
            Parallel.forEach(shape.planes) { p in
                withUnsafeTemporaryAllocation(of: T.self, capacity: shape.width + plane) { scratch in
                    avgPool3x3PlaneBackwardStride1(dx.baseAddress! + p * plane, dOut.baseAddress! + p * outPlane,
                                                   d.baseAddress!, scratch.baseAddress!, shape, accumulate: accumulate)
                }
            }
        }
        return
    }
    Parallel.forEach(shape.planes) { p in
        if !accumulate { (dx.baseAddress! + p * plane).update(repeating: 0, count: plane) }
        withUnsafeTemporaryAllocation(of: T.self, capacity: shape.outWidth + shape.width) { scratch in
            avgPool3x3PlaneBackward(dx.baseAddress! + p * plane, dOut.baseAddress! + p * outPlane,
                                    columnCounts, scratch.baseAddress!, shape)
        }
    }
}

/// Avg pool backward of one plane, one output at a time.
@inlinable
func avgPool3x3PlaneBackwardNaive<T: TensorElement>(
    _ dx: UnsafeMutablePointer<T>, _ dOut: UnsafePointer<T>, _ shape: Pool3x3Shape
) {
    for oh in 0..<shape.outHeight {
        for ow in 0..<shape.outWidth { avgPool3x3BackwardAt(dx, dOut[oh * shape.outWidth + ow], shape, oh, ow) }
    }
}

/// Avg pool backward of one plane, separably: an output row's shares (dOut / tap count) are first
/// spread along one input row, `row[c]` = sum of the shares of the outputs whose window has
/// column c, and `row` is then added to each input row of the window. The same terms as the naive
/// loop, added in another order; every loop is a plain vectorisable one. (Adding 8-lane vectors
/// tap by tap instead stalls: each tap's store overlaps the next tap's load one element over.)
///
/// `scratch` holds outW + W elements.
@inlinable
func avgPool3x3PlaneBackward<T: TensorElement>(
    _ dx: UnsafeMutablePointer<T>, _ dOut: UnsafePointer<T>, _ columnCounts: [T],
    _ scratch: UnsafeMutablePointer<T>, _ shape: Pool3x3Shape
) {
    let (W, OW) = (shape.width, shape.outWidth)
    let (share, row) = (scratch, scratch + OW)
    columnCounts.withUnsafeBufferPointer { counts in
        for oh in 0..<shape.outHeight {
            let rows = shape.rows(oh)
            // rows * columns is a small integer, exact in T, so this is dOut / (number of taps).
            poolDivide(share, dOut + oh * OW, T(rows.count), counts.baseAddress!, OW)
            if shape.stride == 1 {
                // Column c is in the windows of outputs c - 1, c and c + 1.
                row.update(from: share, count: W)
                poolAddRow(row, share + 1, W - 1)
                poolAddRow(row + 1, share, W - 1)
            } else if shape.stride == 2 {
                // Column 2k is only in output k's window; column 2k + 1 in those of k and k + 1.
                for k in 0..<OW {
                    row[2 * k] = share[k]
                    if 2 * k + 1 < W { row[2 * k + 1] = share[k] + (k + 1 < OW ? share[k + 1] : 0) }
                }
            } else {
                row.update(repeating: 0, count: W)
                for ow in 0..<OW {
                    for c in shape.columns(ow) { row[c] += share[ow] }
                }
            }
            for r in rows { poolAddRow(dx + r * W, row, W) }
        }
    }
}

/// `avgPool3x3PlaneBackward` at stride 1 in two passes instead of three read-modify-writes of every
/// dx row: first each output row's shares spread along its input row (`spread`, H x W: the same sums
/// in the same order as there), then each dx row written once as ((dx or 0) + spread[r - 1]) +
/// spread[r]) + spread[r + 1], the terms that the separable loop adds into it, in its order (output
/// rows ascending). The loops run over whole rows (a call per row and term cost more than the adds).
///
/// `divisors` holds each output's number of taps; `scratch` W + H * W elements.
@inlinable
func avgPool3x3PlaneBackwardStride1<T: TensorElement>(
    _ dx: UnsafeMutablePointer<T>, _ dOut: UnsafePointer<T>, _ divisors: UnsafePointer<T>,
    _ scratch: UnsafeMutablePointer<T>, _ shape: Pool3x3Shape, accumulate: Bool
) {
    let (H, W) = (shape.height, shape.width)
    let share = scratch, spread = scratch + W
    for oh in 0..<H {
        let g = dOut + oh * W, d = divisors + oh * W, row = spread + oh * W
        for c in 0..<W { share[c] = g[c] / d[c] }
        // Column c is in the windows of outputs c - 1, c and c + 1: (share[c] + share[c + 1]) + share[c - 1].
        guard W > 1 else { row[0] = share[0]; continue }
        row[0] = share[0] + share[1]
        for c in 1..<(W - 1) { row[c] = (share[c] + share[c + 1]) + share[c - 1] }
        row[W - 1] = share[W - 1] + share[W - 2]
    }
    for r in 0..<H {
        let dst = dx + r * W, lo = Swift.max(r - 1, 0), hi = Swift.min(r + 1, H - 1)
        let a = UnsafePointer(spread + lo * W), b = UnsafePointer(spread + (lo + 1) * W)
        let last = UnsafePointer(spread + hi * W)
        switch (hi - lo, accumulate) {
        case (2, true): for c in 0..<W { dst[c] = ((dst[c] + a[c]) + b[c]) + last[c] }
        case (2, false): for c in 0..<W { dst[c] = ((0 + a[c]) + b[c]) + last[c] }
        case (1, true): for c in 0..<W { dst[c] = (dst[c] + a[c]) + last[c] }
        case (1, false): for c in 0..<W { dst[c] = (0 + a[c]) + last[c] }
        case (_, true): for c in 0..<W { dst[c] = dst[c] + a[c] }
        case (_, false): for c in 0..<W { dst[c] = 0 + a[c] }
        }
    }
}

/// share[i] = g[i] / (rowCount * columnCounts[i]) for i < count.
@inlinable @inline(never)
func poolDivide<T: TensorElement>(
    _ share: UnsafeMutablePointer<T>, _ g: UnsafePointer<T>, _ rowCount: T, _ columnCounts: UnsafePointer<T>,
    _ count: Int
) {
    for i in 0..<count { share[i] = g[i] / (rowCount * columnCounts[i]) }
}

/// dst[0..<count] += src[0..<count]; a separate function, so that LLVM vectorises it.
@inlinable @inline(never)
func poolAddRow<T: TensorElement>(_ dst: UnsafeMutablePointer<T>, _ src: UnsafePointer<T>, _ count: Int) {
    for c in 0..<count { dst[c] += src[c] }
}

// MARK: - SIMD loads and stores

/// The 8 elements p[0], p[s], ..., p[7 * s] for s = 1 or 2. With s = 2 it reads p[0] ..< p[16],
/// one element more than it uses; callers leave room for it.
@inlinable @inline(__always)
func poolLoad8<T: TensorElement>(_ p: UnsafePointer<T>, stride s: Int) -> SIMD8<T> {
    if s == 1 { return poolLoad(p) }
    let pair: SIMD16<T> = poolLoad(p)
    return pair.evenHalf
}

/// An unaligned vector load.
@inlinable @inline(__always)
func poolLoad<T: SIMDScalar, V: SIMD>(_ p: UnsafePointer<T>) -> V where V.Scalar == T {
    UnsafeRawPointer(p).loadUnaligned(as: V.self)
}

/// An unaligned vector store.
@inlinable @inline(__always)
func poolStore<T: SIMDScalar, V: SIMD>(_ v: V, _ p: UnsafeMutablePointer<T>) where V.Scalar == T {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: V.self)
}

// MARK: - Global average pool

/// out[p] = mean of plane p, summed in Double.
///
/// Buffers: out [planes], x [planes, planeSize].
@inlinable
public func globalAveragePoolForward<T: TensorElement>(
    _ out: UnsafeMutableBufferPointer<T>, _ x: UnsafeBufferPointer<T>, planeSize: Int
) {
    precondition(x.count == out.count * planeSize, "globalAveragePoolForward: buffer sizes do not match")
    Parallel.forEach(out.count) { p in
        out[p] = T(poolPlaneSum(x.baseAddress! + p * planeSize, planeSize) / Double(planeSize))
    }
}

/// sum of x[0..<count] in Double, with four interleaved partial sums (in a fixed order) so that
/// the additions are not one serial chain.
@inlinable
func poolPlaneSum<T: TensorElement>(_ x: UnsafePointer<T>, _ count: Int) -> Double {
    var s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0
    var i = 0
    while i + 4 <= count {
        s0 += Double(x[i])
        s1 += Double(x[i + 1])
        s2 += Double(x[i + 2])
        s3 += Double(x[i + 3])
        i += 4
    }
    while i < count { s0 += Double(x[i]); i += 1 }
    return (s0 + s1) + (s2 + s3)
}

/// dx[p, :] (+)= dOut[p] / planeSize: stored when `dx` is the input's first gradient (no zero fill
/// of a buffer as large as the last cell's output, read back to add), added otherwise.
///
/// Buffers: dx [planes, planeSize], dOut [planes].
@inlinable
public func globalAveragePoolBackward<T: TensorElement>(
    _ dx: GradientTarget<T>, _ dOut: UnsafeBufferPointer<T>, planeSize: Int
) {
    Parallel.forEach(dOut.count) { p in
        let g = dOut[p] / T(planeSize)
        let plane = dx.buffer.baseAddress! + p * planeSize
        if dx.accumulate {
            for i in 0..<planeSize { plane[i] += g }
        } else {
            plane.update(repeating: g, count: planeSize)
        }
    }
}

// MARK: - Differentiable ops

extension Tape {
    /// The pooling shape of an NCHW tensor, checked.
    @inlinable
    func pool3x3Shape(_ op: String, _ x: Var, stride: Int) -> Pool3x3Shape {
        let s = shape(x)
        precondition(s.count == 4, "\(op): expected an NCHW tensor, got shape \(s)")
        precondition(stride == 1 || stride == 2, "\(op): stride \(stride) on \(s) (1 or 2 expected)")
        return Pool3x3Shape(planes: s[0] * s[1], height: s[2], width: s[3], stride: stride)
    }

    /// Max pool, kernel 3, padding 1 (padding never wins), of an NCHW tensor.
    ///
    /// NOTE: ties go to the first maximum in row-major window order (PyTorch's CPU rule), and
    /// only that tap receives the gradient.
    /// - Returns: [N, C, (H - 1) / stride + 1, (W - 1) / stride + 1].
    /// - Precondition: `x` is rank 4 and `stride` is 1 or 2.
    @inlinable
    public func maxPool3x3(_ x: Var, stride: Int) -> Var {
        let ps = pool3x3Shape("maxPool3x3", x, stride: stride)
        let xv = value(x)
        var out = makeOutput(shape: [xv.shape[0], xv.shape[1], ps.outHeight, ps.outWidth])
        // The forward writes every element, so the buffer need not be zeroed first.
        var argmax = [Int32](unsafeUninitializedCapacity: out.count) { _, n in n = out.count }
        xv.withUnsafeBufferPointer { xb in
            out.withUnsafeMutableBufferPointer { ob in
                argmax.withUnsafeMutableBufferPointer { maxPool3x3Forward(ob, $0, xb, ps) }
            }
        }
        return record("maxPool3x3", inputs: [x], output: out) { ctx in
            guard let dx = ctx.dInput(0) else { return }
            argmax.withUnsafeBufferPointer { maxPool3x3Backward(dx, ctx.dOutput, $0, ps) }
        }
    }

    /// Average pool, kernel 3, padding 1, count_include_pad = false, of an NCHW tensor.
    ///
    /// NOTE: an output divides by its number of in-image taps: 4 at corners, 6 on borders, 9 inside.
    /// - Returns: [N, C, (H - 1) / stride + 1, (W - 1) / stride + 1].
    /// - Precondition: `x` is rank 4 and `stride` is 1 or 2.
    @inlinable
    public func avgPool3x3(_ x: Var, stride: Int) -> Var {
        let ps = pool3x3Shape("avgPool3x3", x, stride: stride)
        let xv = value(x)
        var out = makeOutput(shape: [xv.shape[0], xv.shape[1], ps.outHeight, ps.outWidth])
        xv.withUnsafeBufferPointer { xb in out.withUnsafeMutableBufferPointer { avgPool3x3Forward($0, xb, ps) } }
        return record("avgPool3x3", inputs: [x], output: out) { ctx in
            guard let dx = ctx.dInputTarget(0) else { return }
            avgPool3x3Backward(dx.buffer, ctx.dOutput, ps, accumulate: dx.accumulate)
        }
    }

    /// Global average pool of the classifier head: [N, C, H, W] -> [N, C], the mean of each plane
    /// (summed in Double).
    /// - Precondition: `x` is rank 4.
    @inlinable
    public func globalAveragePool(_ x: Var) -> Var {
        let s = shape(x)
        precondition(s.count == 4, "globalAveragePool: expected an NCHW tensor, got shape \(s)")
        let planeSize = s[2] * s[3]
        var out = makeOutput(shape: [s[0], s[1]])
        value(x).withUnsafeBufferPointer { xb in
            out.withUnsafeMutableBufferPointer { globalAveragePoolForward($0, xb, planeSize: planeSize) }
        }
        return record("globalAveragePool", inputs: [x], output: out) { ctx in
            guard let dx = ctx.dInputTarget(0) else { return }
            globalAveragePoolBackward(dx, ctx.dOutput, planeSize: planeSize)
        }
    }
}
