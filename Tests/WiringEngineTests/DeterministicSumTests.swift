// The cost dot product's fast loop against its plain version: the same 32 lanes and final
// additions, so the same bits, for every length and start (tails, unaligned starts) and both types.
import Testing
@testable import WiringEngine

@Suite struct DeterministicSumTests {
    func check<T: TensorElement>(_ type: T.Type) {
        var rng = RNG(seed: 11)
        let a = Tensor<T>.normal(shape: [5000], rng: &rng).scalars, b = Tensor<T>.normal(shape: [5000], rng: &rng).scalars
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                for (lo, hi) in [(0, 0), (0, 31), (0, 32), (3, 100), (1, 4096), (17, 5000), (0, 5000)] {
                    let fast = DeterministicSum.dotRange(a, b, lo, hi)
                    let plain = DeterministicSum.dotRangeReference(a, b, lo, hi)
                    #expect(fast.bitPattern == plain.bitPattern, "\(T.self) \(lo)..<\(hi): \(fast) vs \(plain)")
                    // And it is the dot product: against a sequential Double sum, to rounding.
                    var sequential = 0.0, magnitude = 0.0
                    for i in lo..<hi { sequential += Double(a[i]) * Double(b[i]); magnitude += abs(Double(a[i]) * Double(b[i])) }
                    #expect(abs(fast - sequential) <= 1e-14 * max(magnitude, 1))
                }
            }
        }
    }

    @Test func fastDotIsBitwiseThePlainOne() {
        check(Float.self)
        check(Double.self)
    }

    /// The separable conv's fused store-and-cost against its two passes: the masked store, then the dot.
    func checkMaskedStoreAndDot<T: TensorElement>(_ type: T.Type) {
        var rng = RNG(seed: 12)
        let count = 1100
        let src = Tensor<T>.normal(shape: [count], rng: &rng).scalars
        var mask = Tensor<T>.normal(shape: [count], rng: &rng).scalars
        mask[5] = 0; mask[6] = -0.0; mask[7] = .nan  // zero, negative zero and NaN masks write 0
        for length in [0, 7, 31, 32, 100, 784, 1024, 1100] {
            var fused = [T](repeating: 7, count: length), plain = [T](repeating: 7, count: length)
            let cost = fused.withUnsafeMutableBufferPointer { d in
                reluMaskedStoreAndDot(d.baseAddress!, src, mask: mask, count: length)
            }
            plain.withUnsafeMutableBufferPointer { d in
                reluMaskedWrite(d.baseAddress!, src, mask: mask, count: length, accumulate: false)
            }
            let expected = plain.withUnsafeBufferPointer { p in
                mask.withUnsafeBufferPointer { m in DeterministicSum.dotRange(p, m, 0, length) }
            }
            #expect(fused.map { Double($0).bitPattern } == plain.map { Double($0).bitPattern }, "\(T.self) \(length)")
            #expect(cost.bitPattern == expected.bitPattern, "\(T.self) \(length): \(cost) vs \(expected)")
        }
    }

    @Test func maskedStoreAndDotIsBitwiseTheTwoPasses() {
        checkMaskedStoreAndDot(Float.self)
        checkMaskedStoreAndDot(Double.self)
    }
}
