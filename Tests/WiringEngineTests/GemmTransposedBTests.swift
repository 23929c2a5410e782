// gemmTransposedB (C = A * B^T, the weight-gradient GEMM) takes k in L1-sized tiles and promises
// the bits of the untiled loop (kTile: .max), which is checked in turn against dot products in Double.
import Testing
@testable import WiringEngine

/// m x n result of A (m x k, row stride lda) times B^T (B n x k, stride ldb), by the kernel asked for.
private func product<T: TensorElement>(
    _ a: [T], lda: Int, _ b: [T], ldb: Int, m: Int, n: Int, k: Int, tiled: Bool
) -> [T] {
    var c = [T](repeating: .nan, count: m * n)
    c.withUnsafeMutableBufferPointer { cb in
        a.withUnsafeBufferPointer { ab in
            b.withUnsafeBufferPointer { bb in
                gemmTransposedB(cb.baseAddress!, ldc: n, ab.baseAddress!, lda: lda, bb.baseAddress!, ldb: ldb,
                                m: m, n: n, k: k, kTile: tiled ? 128 : .max)
            }
        }
    }
    return c
}

// (m, n, k): the separable weight gradient (16 x 16 x 1024), Fashion-MNIST planes (784), tiles with
// a ragged last one and a scalar tail (1000 + 3), odd m and n (row and column tails), the stem's
// unfolded 27 columns, k just over one tile, and a few more block counts (8 x 8, 4 x 6, 12 x 4).
private let shapes: [(m: Int, n: Int, k: Int)] = [
    (16, 16, 1024), (16, 16, 784), (16, 16, 1003), (7, 5, 1003), (16, 27, 256), (6, 3, 129), (4, 2, 136), (3, 1, 300),
    (8, 8, 264), (4, 6, 64), (12, 4, 1024),
]

/// The kernel's arithmetic written per entry: in the blocked part (rows below the last multiple of 4, the even
/// columns), eight lanes each summing their terms in k order with one fused multiply-add, `convLaneSum`, then the
/// scalar tail in order; elsewhere `convDot`. Any blocking must give these bits (a 4 x 3 blocking was tried on
/// 2026-12-07 against this oracle: same bits, no faster).
private func laneByLane<T: TensorElement>(_ a: [T], lda: Int, _ b: [T], ldb: Int, m: Int, n: Int, k: Int) -> [T] {
    let kVec = k - k % 8
    var c = [T](repeating: .nan, count: m * n)
    a.withUnsafeBufferPointer { ab in
        b.withUnsafeBufferPointer { bb in
            for i in 0..<m {
                for j in 0..<n {
                    let row = ab.baseAddress! + i * lda, other = bb.baseAddress! + j * ldb
                    if i >= m - m % 4 || j >= n - n % 2 {
                        c[i * n + j] = convDot(row, other, count: k)
                        continue
                    }
                    var lanes = SIMD8<T>()
                    for p in stride(from: 0, to: kVec, by: 8) {
                        for lane in 0..<8 { lanes[lane] = lanes[lane].addingProduct(row[p + lane], other[p + lane]) }
                    }
                    var total = convLaneSum(lanes)
                    for q in kVec..<k { total.addProduct(row[q], other[q]) }
                    c[i * n + j] = total
                }
            }
        }
    }
    return c
}

@Suite struct GemmTransposedBTests {
    @Test(arguments: shapes.indices)
    func tiledGivesTheBitsOfThePlainLoop(_ index: Int) {
        let (m, n, k) = shapes[index]
        let lda = k + 5, ldb = k + 3  // strides wider than k: the kernels must honour them
        for seed in [UInt64(1), 2] {
            let a = pseudoRandomValues(m * lda, seed: seed, as: Float.self)
            let b = pseudoRandomValues(n * ldb, seed: seed + 10, as: Float.self)
            let tiled = product(a, lda: lda, b, ldb: ldb, m: m, n: n, k: k, tiled: true)
            let plain = product(a, lda: lda, b, ldb: ldb, m: m, n: n, k: k, tiled: false)
            #expect(tiled.map(\.bitPattern) == plain.map(\.bitPattern), "Float m\(m) n\(n) k\(k)")
            let ad = pseudoRandomValues(m * lda, seed: seed, as: Double.self)
            let bd = pseudoRandomValues(n * ldb, seed: seed + 10, as: Double.self)
            let tiledD = product(ad, lda: lda, bd, ldb: ldb, m: m, n: n, k: k, tiled: true)
            let plainD = product(ad, lda: lda, bd, ldb: ldb, m: m, n: n, k: k, tiled: false)
            #expect(tiledD.map(\.bitPattern) == plainD.map(\.bitPattern), "Double m\(m) n\(n) k\(k)")
        }
    }

    @Test(arguments: shapes.indices)
    func blocksGiveTheLaneByLaneBits(_ index: Int) {
        let (m, n, k) = shapes[index]
        let lda = k + 5, ldb = k + 3
        let a = pseudoRandomValues(m * lda, seed: 5, as: Float.self)
        let b = pseudoRandomValues(n * ldb, seed: 6, as: Float.self)
        let blocked = product(a, lda: lda, b, ldb: ldb, m: m, n: n, k: k, tiled: true)
        let plain = laneByLane(a, lda: lda, b, ldb: ldb, m: m, n: n, k: k)
        #expect(blocked.map(\.bitPattern) == plain.map(\.bitPattern), "Float m\(m) n\(n) k\(k)")
        let ad = pseudoRandomValues(m * lda, seed: 5, as: Double.self)
        let bd = pseudoRandomValues(n * ldb, seed: 6, as: Double.self)
        let blockedD = product(ad, lda: lda, bd, ldb: ldb, m: m, n: n, k: k, tiled: true)
        let plainD = laneByLane(ad, lda: lda, bd, ldb: ldb, m: m, n: n, k: k)
        #expect(blockedD.map(\.bitPattern) == plainD.map(\.bitPattern), "Double m\(m) n\(n) k\(k)")
    }

    @Test(arguments: shapes.indices)
    func plainLoopIsTheProduct(_ index: Int) {
        let (m, n, k) = shapes[index]
        let a = pseudoRandomValues(m * k, seed: 3, as: Float.self)
        let b = pseudoRandomValues(n * k, seed: 4, as: Float.self)
        let c = product(a, lda: k, b, ldb: k, m: m, n: n, k: k, tiled: false)
        for i in 0..<m {
            for j in 0..<n {
                var exact = 0.0, magnitude = 0.0
                for p in 0..<k {
                    exact += Double(a[i * k + p]) * Double(b[j * k + p])
                    magnitude += abs(Double(a[i * k + p]) * Double(b[j * k + p]))
                }
                // Float summation error bound: k ulps of the sum of magnitudes, loosely.
                #expect(abs(Double(c[i * n + j]) - exact) <= Double(k) * 1.2e-7 * magnitude + 1e-12,
                        "m\(m) n\(n) k\(k) entry (\(i), \(j))")
            }
        }
    }
}
