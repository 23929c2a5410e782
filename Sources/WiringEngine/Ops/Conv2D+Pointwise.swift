// Conv2D fast path for 1x1 convolutions, and the GEMMs that the im2col path shares.
//
// A 1x1, stride-1, unpadded, ungrouped conv of one sample is a matrix product:
//   out (O x HW) = W (O x C) * in (C x HW),   dIn += W^T dOut,   dW += dOut in^T,
// so no unfolding is needed. The im2col path (stem, strided 1x1 of FactorizedReduce, grouped
// convs) runs the same two GEMMs on the unfolded matrix.
//
// The GEMMs keep a 4-row x 16-column block of C in eight SIMD8 registers (one AVX2 register each
// for Float) and stream over k; the order of every sum depends only on the sizes.

@inlinable @inline(__always)
func convLoad<T: TensorElement>(_ p: UnsafePointer<T>) -> SIMD8<T> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD8<T>.self)
}

@inlinable @inline(__always)
func convLoad<T: TensorElement>(_ p: UnsafeMutablePointer<T>) -> SIMD8<T> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD8<T>.self)
}

/// acc += a * b, fused (one rounding; one vfmadd instruction with -target-cpu haswell).
@inlinable @inline(__always)
func convFMA<T: TensorElement>(_ acc: inout SIMD8<T>, _ a: SIMD8<T>, _ b: SIMD8<T>) {
    acc = acc.addingProduct(a, b)
}

/// Stores `v` at `p`, or adds it to what is there when `accumulate` is true.
@inlinable @inline(__always)
func convStore<T: TensorElement>(_ v: SIMD8<T>, _ p: UnsafeMutablePointer<T>, accumulate: Bool) {
    let value = accumulate ? convLoad(p) + v : v
    UnsafeMutableRawPointer(p).storeBytes(of: value, as: SIMD8<T>.self)
}

/// The lanes of `v` added in a fixed tree order.
@inlinable @inline(__always)
func convLaneSum<T: TensorElement>(_ v: SIMD8<T>) -> T {
    ((v[0] + v[1]) + (v[2] + v[3])) + ((v[4] + v[5]) + (v[6] + v[7]))
}

/// dst (columns x rows) = src (rows x columns) transposed, both row-major: a conv weight W (O x R) as
/// W^T, so that the input gradient W^T dOut is the forward's row-major GEMM.
@inlinable
func transpose<T>(_ dst: UnsafeMutablePointer<T>, _ src: UnsafePointer<T>, rows: Int, columns: Int) {
    for r in 0..<rows { for c in 0..<columns { dst[c * rows + r] = src[r * columns + c] } }
}

// MARK: - Kernels

/// C = A * B (or C += A * B when `accumulate`), row-major: A is m x k (row stride lda),
/// B is k x n (ldb), C is m x n (ldc). Each C entry is summed over k in order, with one fused
/// multiply-add per term, so every blocking below gives the same bits.
///
/// B is copied into contiguous k x 16 panels that the row blocks then read in order: B's rows are
/// a plane apart (4 KiB for 32x32), so reading them in place maps every row to the same cache set.
/// - Parameters:
/// `reluB`: multiply by max(B, 0) instead of B (a ReLU fused into the conv's input read, applied
/// while the panel is packed).
@inlinable
func gemm<T: TensorElement>(
    _ c: UnsafeMutablePointer<T>, ldc: Int, _ a: UnsafePointer<T>, lda: Int, _ b: UnsafePointer<T>, ldb: Int,
    m: Int, n: Int, k: Int, accumulate: Bool, reluB: Bool = false
) {
    let panels = n / 16  // panels of 16 columns: two SIMD8 vectors
    if panels > 0 {
        let packed = UnsafeMutablePointer<T>.allocate(capacity: k * panels * 16)
        defer { packed.deallocate() }
        packPanels(packed, b, ldb: ldb, k: k, panels: panels, reluB: reluB)
        gemmPacked(c, ldc: ldc, a, lda: lda, packed, m: m, panels: panels, k: k, accumulate: accumulate)
    }
    gemmLeftoverColumns(c, ldc: ldc, a, lda: lda, b, ldb: ldb, m: m, n: n, k: k, accumulate: accumulate, reluB: reluB)
}

/// Copies the first `panels` x 16 columns of B (k x n, row stride ldb) into contiguous k x 16 panels,
/// panel-major (max(B, 0) when `reluB`), for `gemmPacked`.
///
/// Every panel at once, filled by reading B's rows in order (a stream the prefetcher follows;
/// gathering one panel at a time touches k pages per 64 bytes).
@inlinable
func packPanels<T: TensorElement>(
    _ packed: UnsafeMutablePointer<T>, _ b: UnsafePointer<T>, ldb: Int, k: Int, panels: Int, reluB: Bool
) {
    let panelColumns = 16
    for p in 0..<k {
        let row = b + p &* ldb
        for panel in 0..<panels {
            let src = row + panel &* panelColumns, dst = packed + (panel &* k &+ p) &* panelColumns
            if reluB {
                reluCopy(dst, src, count: panelColumns)
            } else {  // two vector moves (a memmove call per 64 bytes cost more than the copy)
                UnsafeMutableRawPointer(dst).storeBytes(of: convLoad(src), as: SIMD8<T>.self)
                UnsafeMutableRawPointer(dst + 8).storeBytes(of: convLoad(src + 8), as: SIMD8<T>.self)
            }
        }
    }
}

/// The first `panels` x 16 columns of C = A * B (or C += A * B) from B packed by `packPanels`.
@inlinable
func gemmPacked<T: TensorElement>(
    _ c: UnsafeMutablePointer<T>, ldc: Int, _ a: UnsafePointer<T>, lda: Int, _ packed: UnsafePointer<T>,
    m: Int, panels: Int, k: Int, accumulate: Bool
) {
    for panelIndex in 0..<panels {
        let panel = packed + panelIndex &* k &* 16, j = panelIndex &* 16
        var i = 0
        while i + 6 <= m {
            gemmPanel6x16(c + (i &* ldc &+ j), ldc: ldc, a + i &* lda, lda: lda, panel, k: k, accumulate: accumulate)
            i += 6
        }
        while i + 4 <= m {
            gemmPanel4x16(c + (i &* ldc &+ j), ldc: ldc, a + i &* lda, lda: lda, panel, k: k, accumulate: accumulate)
            i += 4
        }
        while i < m {
            gemmPanel1x16(c + (i &* ldc &+ j), a + i &* lda, panel, k: k, accumulate: accumulate)
            i += 1
        }
    }
}

/// The columns of C = A * B past the last whole panel, one entry at a time (the same fused
/// multiply-adds in the same order as the panels).
@inlinable
func gemmLeftoverColumns<T: TensorElement>(
    _ c: UnsafeMutablePointer<T>, ldc: Int, _ a: UnsafePointer<T>, lda: Int, _ b: UnsafePointer<T>, ldb: Int,
    m: Int, n: Int, k: Int, accumulate: Bool, reluB: Bool
) {
    let wholeColumns = n - n % 16
    guard wholeColumns < n else { return }
    for i in 0..<m {
        for j in wholeColumns..<n {
            var sum: T = 0
            for p in 0..<k {
                let bv = b[p &* ldb &+ j]
                sum.addProduct(a[i &* lda &+ p], reluB && bv < 0 ? 0 : bv)
            }
            if accumulate { c[i &* ldc &+ j] += sum } else { c[i &* ldc &+ j] = sum }
        }
    }
}

// MARK: - Fused ReLU helpers
// Plain loops of the relu op's own form (`v < 0 ? 0 : v`, `x > 0 ? g : 0`), which LLVM vectorises;
// the same selections on SIMD8 masks compile to lane-by-lane code for generic T.

/// dst[i] = max(src[i], 0) for i < count (NaN stays NaN, as the relu op).
@inlinable
func reluCopy<T: TensorElement>(_ dst: UnsafeMutablePointer<T>, _ src: UnsafePointer<T>, count: Int) {
    for i in 0..<count {
        let v = src[i]
        dst[i] = v < 0 ? 0 : v
    }
}

/// dst[i] (+)= (mask[i] > 0 ? src[i] : 0) for i < count: a fused ReLU's backward (adds when `accumulate`).
@inlinable
func reluMaskedWrite<T: TensorElement>(
    _ dst: UnsafeMutablePointer<T>, _ src: UnsafePointer<T>, mask: UnsafePointer<T>, count: Int, accumulate: Bool
) {
    if accumulate {
        for i in 0..<count { let g = src[i], v = mask[i]; dst[i] += v > 0 ? g : 0 }
    } else {
        for i in 0..<count { let g = src[i], v = mask[i]; dst[i] = v > 0 ? g : 0 }
    }
}

/// Stores dst[i] = mask[i] > 0 ? src[i] : 0 (`reluMaskedWrite` storing) and returns the plane's
/// cost sum(dst * mask), the dot `DeterministicSum.dotRange(dst, mask, 0, count)` takes (the same
/// lanes and additions, so the same bits), summed while each block is in registers instead of in a
/// second pass over the two planes.
@inlinable
func reluMaskedStoreAndDot<T: TensorElement>(
    _ dst: UnsafeMutablePointer<T>, _ src: UnsafePointer<T>, mask: UnsafePointer<T>, count: Int
) -> Double {
    var lanes = DeterministicSum.DotLanes()
    var i = 0
    while i + 32 <= count {
        // A plain loop of fixed length, which the compiler turns into compares and blends (SIMD8's
        // `replacing(with:where:)` came out as a scalar loop over the lanes, 3x slower per step).
        let d = dst + i, g = src + i, m = mask + i
        for v in 0..<32 { d[v] = m[v] > 0 ? g[v] : 0 }
        lanes.addBlock(UnsafePointer(d), m)
        i += 32
    }
    while i < count {
        let g = mask[i] > 0 ? src[i] : 0
        dst[i] = g
        lanes.addTail(g, mask[i])
        i += 1
    }
    return lanes.total
}

/// A 6 x 16 block of C from six rows of A and a k x 16 panel: twelve accumulators, the most that
/// fit the sixteen AVX registers with the two panel vectors and a broadcast, so each panel load
/// feeds six multiply-adds instead of four.
@inlinable
func gemmPanel6x16<T: TensorElement>(
    _ c: UnsafeMutablePointer<T>, ldc: Int, _ a: UnsafePointer<T>, lda: Int, _ panel: UnsafePointer<T>, k: Int,
    accumulate: Bool
) {
    let a0 = a, a1 = a + lda, a2 = a + 2 * lda, a3 = a + 3 * lda, a4 = a + 4 * lda, a5 = a + 5 * lda
    var s00 = SIMD8<T>(), s01 = SIMD8<T>(), s10 = SIMD8<T>(), s11 = SIMD8<T>()
    var s20 = SIMD8<T>(), s21 = SIMD8<T>(), s30 = SIMD8<T>(), s31 = SIMD8<T>()
    var s40 = SIMD8<T>(), s41 = SIMD8<T>(), s50 = SIMD8<T>(), s51 = SIMD8<T>()
    var bp = panel
    for p in 0..<k {
        let b0 = convLoad(bp), b1 = convLoad(bp + 8)
        var w = SIMD8(repeating: a0[p])
        convFMA(&s00, w, b0); convFMA(&s01, w, b1)
        w = SIMD8(repeating: a1[p])
        convFMA(&s10, w, b0); convFMA(&s11, w, b1)
        w = SIMD8(repeating: a2[p])
        convFMA(&s20, w, b0); convFMA(&s21, w, b1)
        w = SIMD8(repeating: a3[p])
        convFMA(&s30, w, b0); convFMA(&s31, w, b1)
        w = SIMD8(repeating: a4[p])
        convFMA(&s40, w, b0); convFMA(&s41, w, b1)
        w = SIMD8(repeating: a5[p])
        convFMA(&s50, w, b0); convFMA(&s51, w, b1)
        bp += 16
    }
    let c1 = c + ldc, c2 = c + 2 * ldc, c3 = c + 3 * ldc, c4 = c + 4 * ldc, c5 = c + 5 * ldc
    convStore(s00, c, accumulate: accumulate); convStore(s01, c + 8, accumulate: accumulate)
    convStore(s10, c1, accumulate: accumulate); convStore(s11, c1 + 8, accumulate: accumulate)
    convStore(s20, c2, accumulate: accumulate); convStore(s21, c2 + 8, accumulate: accumulate)
    convStore(s30, c3, accumulate: accumulate); convStore(s31, c3 + 8, accumulate: accumulate)
    convStore(s40, c4, accumulate: accumulate); convStore(s41, c4 + 8, accumulate: accumulate)
    convStore(s50, c5, accumulate: accumulate); convStore(s51, c5 + 8, accumulate: accumulate)
}

/// A 4 x 16 block of C from four rows of A and a contiguous k x 16 panel of B, in eight SIMD8 accumulators.
@inlinable
func gemmPanel4x16<T: TensorElement>(
    _ c: UnsafeMutablePointer<T>, ldc: Int, _ a: UnsafePointer<T>, lda: Int, _ panel: UnsafePointer<T>, k: Int,
    accumulate: Bool
) {
    let a0 = a, a1 = a + lda, a2 = a + 2 * lda, a3 = a + 3 * lda
    var s00 = SIMD8<T>(), s01 = SIMD8<T>(), s10 = SIMD8<T>(), s11 = SIMD8<T>()
    var s20 = SIMD8<T>(), s21 = SIMD8<T>(), s30 = SIMD8<T>(), s31 = SIMD8<T>()
    var bp = panel
    for p in 0..<k {
        let b0 = convLoad(bp), b1 = convLoad(bp + 8)
        let w0 = SIMD8(repeating: a0[p]), w1 = SIMD8(repeating: a1[p])
        let w2 = SIMD8(repeating: a2[p]), w3 = SIMD8(repeating: a3[p])
        convFMA(&s00, w0, b0); convFMA(&s01, w0, b1)
        convFMA(&s10, w1, b0); convFMA(&s11, w1, b1)
        convFMA(&s20, w2, b0); convFMA(&s21, w2, b1)
        convFMA(&s30, w3, b0); convFMA(&s31, w3, b1)
        bp += 16
    }
    let c1 = c + ldc, c2 = c + 2 * ldc, c3 = c + 3 * ldc
    convStore(s00, c, accumulate: accumulate); convStore(s01, c + 8, accumulate: accumulate)
    convStore(s10, c1, accumulate: accumulate); convStore(s11, c1 + 8, accumulate: accumulate)
    convStore(s20, c2, accumulate: accumulate); convStore(s21, c2 + 8, accumulate: accumulate)
    convStore(s30, c3, accumulate: accumulate); convStore(s31, c3 + 8, accumulate: accumulate)
}

/// One row of a 16-column panel (the m % 4 leftover rows).
@inlinable
func gemmPanel1x16<T: TensorElement>(
    _ c: UnsafeMutablePointer<T>, _ a: UnsafePointer<T>, _ panel: UnsafePointer<T>, k: Int, accumulate: Bool
) {
    var s0 = SIMD8<T>(), s1 = SIMD8<T>()
    var bp = panel
    for p in 0..<k {
        let w = SIMD8(repeating: a[p])
        convFMA(&s0, w, convLoad(bp)); convFMA(&s1, w, convLoad(bp + 8))
        bp += 16
    }
    convStore(s0, c, accumulate: accumulate); convStore(s1, c + 8, accumulate: accumulate)
}

/// C = A * B^T (overwritten): A is m x k (lda), B is n x k (ldb), C is m x n (ldc). Every entry
/// is a dot product of two rows, taken 8 lanes at a time and finished with `convLaneSum`.
///
/// The weight gradients call this with k = H * W (1024 for 32 x 32) and m, n = 16: the 32 rows
/// (128 KiB) do not fit L1, and a 4 x 2 block running over all of k re-read its 6 rows from L2.
/// So k goes in tiles of `kTile` (128: 32 rows x 512 bytes = 16 KiB, half of L1), every block's
/// accumulators kept in a scratch between tiles. Each lane still adds its terms in k order with
/// one FMA each, so every tile size gives the same bits; `kTile: .max` is the untiled loop, the
/// test oracle.
@inlinable
func gemmTransposedB<T: TensorElement>(
    _ c: UnsafeMutablePointer<T>, ldc: Int, _ a: UnsafePointer<T>, lda: Int, _ b: UnsafePointer<T>, ldb: Int,
    m: Int, n: Int, k: Int, kTile: Int = 128
) {
    let kVec = k - k % 8, blockRows = m / 4, blockColumns = n / 2
    let accumulators = 8  // per block of 4 rows of A x 2 rows of B: 6 loads per 8 multiply-adds
    withUnsafeTemporaryAllocation(of: SIMD8<T>.self, capacity: blockRows * blockColumns * accumulators) { scratch in
        guard let acc = scratch.baseAddress else { return }
        acc.initialize(repeating: SIMD8<T>(), count: scratch.count)
        var tileStart = 0
        while tileStart < kVec {
            let tileEnd = kVec - tileStart > kTile ? tileStart + kTile : kVec
            for bi in 0..<blockRows {
                let a0 = a + 4 * bi * lda, a1 = a0 + lda, a2 = a1 + lda, a3 = a2 + lda
                for bj in 0..<blockColumns {
                    let b0 = b + 2 * bj * ldb, b1 = b0 + ldb, s = acc + (bi * blockColumns + bj) * accumulators
                    var s00 = s[0], s01 = s[1], s10 = s[2], s11 = s[3], s20 = s[4], s21 = s[5], s30 = s[6], s31 = s[7]
                    var p = tileStart
                    while p < tileEnd {
                        let x0 = convLoad(b0 + p), x1 = convLoad(b1 + p)
                        let y0 = convLoad(a0 + p), y1 = convLoad(a1 + p)
                        let y2 = convLoad(a2 + p), y3 = convLoad(a3 + p)
                        convFMA(&s00, y0, x0); convFMA(&s01, y0, x1)
                        convFMA(&s10, y1, x0); convFMA(&s11, y1, x1)
                        convFMA(&s20, y2, x0); convFMA(&s21, y2, x1)
                        convFMA(&s30, y3, x0); convFMA(&s31, y3, x1)
                        p += 8
                    }
                    (s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7]) = (s00, s01, s10, s11, s20, s21, s30, s31)
                }
            }
            tileStart = tileEnd
        }
        for bi in 0..<blockRows {
            for bj in 0..<blockColumns {
                let i = 4 * bi, j = 2 * bj, s = acc + (bi * blockColumns + bj) * accumulators
                let b0 = b + j * ldb, b1 = b0 + ldb
                for r in 0..<4 {
                    finishDotPair(c + (i + r) * ldc + j, s[2 * r], s[2 * r + 1], a + (i + r) * lda, b0, b1,
                                  from: kVec, to: k)
                }
            }
        }
    }
    // The column and the rows the blocks leave over, one dot product each.
    if n % 2 != 0 {
        for r in 0..<(4 * blockRows) { c[r * ldc + n - 1] = convDot(a + r * lda, b + (n - 1) * ldb, count: k) }
    }
    for i in (4 * blockRows)..<m {
        for j in 0..<n { c[i * ldc + j] = convDot(a + i * lda, b + j * ldb, count: k) }
    }
}

/// Writes c[0] = convLaneSum(s0) + a.b0 and c[1] = convLaneSum(s1) + a.b1 over the scalar tail lo..<hi.
@inlinable @inline(__always)
func finishDotPair<T: TensorElement>(
    _ c: UnsafeMutablePointer<T>, _ s0: SIMD8<T>, _ s1: SIMD8<T>, _ a: UnsafePointer<T>,
    _ b0: UnsafePointer<T>, _ b1: UnsafePointer<T>, from lo: Int, to hi: Int
) {
    var t0 = convLaneSum(s0), t1 = convLaneSum(s1)
    for q in lo..<hi {
        t0.addProduct(a[q], b0[q])
        t1.addProduct(a[q], b1[q])
    }
    c[0] = t0
    c[1] = t1
}

/// sum_p x[p] * y[p] with two SIMD accumulators, in an order that depends only on `count`.
@inlinable
func convDot<T: TensorElement>(_ x: UnsafePointer<T>, _ y: UnsafePointer<T>, count: Int) -> T {
    var s0 = SIMD8<T>(), s1 = SIMD8<T>()
    var p = 0
    while p + 16 <= count {
        convFMA(&s0, convLoad(x + p), convLoad(y + p))
        convFMA(&s1, convLoad(x + p + 8), convLoad(y + p + 8))
        p += 16
    }
    if p + 8 <= count {
        convFMA(&s0, convLoad(x + p), convLoad(y + p))
        p += 8
    }
    var total = convLaneSum(s0 + s1)
    while p < count {
        total.addProduct(x[p], y[p])
        p += 1
    }
    return total
}
