// depthwiseCorrelate promises every output the bits of the scalar loop: the taps in row-major order,
// one fused multiply-add each, from zero. Its vector paths (32-wide blocks, pairs with an overlapping
// last vector, the narrow rows taken four vectors at a time across rows) must all give those bits.
import Testing
@testable import WiringEngine

/// out[y, x] = sum over taps (i, j), in row-major order, of taps[i*K + j] * src[(y + i*D) * sourceWidth + x + j*D],
/// one fused multiply-add per tap: the arithmetic the kernel promises for each output.
private func scalarOracle<T: TensorElement>(_ src: [T], sourceWidth: Int, _ taps: [T], kernel K: Int, dilation D: Int,
                                            height: Int, width: Int) -> [T] {
    var out = [T](repeating: .nan, count: height * width)
    for y in 0..<height {
        for x in 0..<width {
            var sum: T = 0
            for i in 0..<K {
                for j in 0..<K { sum.addProduct(taps[i * K + j], src[(y + i * D) * sourceWidth + x + j * D]) }
            }
            out[y * width + x] = sum
        }
    }
    return out
}

private func kernel<T: TensorElement>(_ src: [T], sourceWidth: Int, _ taps: [T], kernel K: Int, dilation D: Int,
                                      height: Int, width: Int, accumulate: Bool, into start: [T]) -> [T] {
    var out = start
    out.withUnsafeMutableBufferPointer { o in
        src.withUnsafeBufferPointer { s in
            taps.withUnsafeBufferPointer { t in
                depthwiseCorrelate(o.baseAddress!, s.baseAddress!, sourceWidth: sourceWidth, t.baseAddress!, kernel: K,
                                   dilation: D, height: height, width: width, accumulate: accumulate)
            }
        }
    }
    return out
}

/// Bit for bit (the sign of zero included).
private func identical<T: TensorElement>(_ a: [T], _ b: [T]) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy {
        $0.sign == $1.sign && $0.exponentBitPattern == $1.exponentBitPattern
            && $0.significandBitPattern == $1.significandBitPattern
    }
}

private func checkRows<T: TensorElement>(_: T.Type) {
    // Widths: under 8 (scalar), 8 to 31 (the narrow rows: 8, 16 of reduction cells, 28 of Fashion-MNIST, every
    // remainder of 8), 32 and over (blocks, then pairs). Heights give a last group of 1, 2, 3 or 4 vectors.
    for (K, D) in [(3, 1), (5, 1), (3, 2), (5, 2), (1, 1), (7, 1)] {
        for width in [5, 7, 8, 9, 12, 14, 15, 16, 17, 20, 24, 25, 28, 31, 32, 33, 40, 45, 64] {
            for (height, spare) in [(1, 0), (2, 1), (3, 0), (5, 3), (7, 0)] {
                let sourceWidth = width + D * (K - 1) + spare, sourceHeight = height + D * (K - 1)
                let src = pseudoRandomValues(sourceWidth * sourceHeight, seed: UInt64(width * 31 + height), as: T.self)
                let taps = pseudoRandomValues(K * K, seed: UInt64(K * 7 + D), as: T.self)
                let expected = scalarOracle(src, sourceWidth: sourceWidth, taps, kernel: K, dilation: D, height: height,
                                            width: width)
                let stored = kernel(src, sourceWidth: sourceWidth, taps, kernel: K, dilation: D, height: height,
                                    width: width, accumulate: false, into: [T](repeating: .nan, count: height * width))
                #expect(identical(stored, expected),
                        "stored K \(K) D \(D) \(height) x \(width)")
                // Adding onto a plane: each output is start + sum, the sum rounded first.
                let start = pseudoRandomValues(height * width, seed: 99, as: T.self)
                let added = kernel(src, sourceWidth: sourceWidth, taps, kernel: K, dilation: D, height: height,
                                   width: width, accumulate: true, into: start)
                #expect(identical(added, zip(start, expected).map { $0 + $1 }),
                        "added K \(K) D \(D) \(height) x \(width)")
            }
        }
    }
}

@Suite struct DepthwiseRowsTests {
    @Test func everyRowPathGivesTheScalarLoopsBitsInFloat() { checkRows(Float.self) }
    @Test func everyRowPathGivesTheScalarLoopsBitsInDouble() { checkRows(Double.self) }
}
