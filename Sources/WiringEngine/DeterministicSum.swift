// Reductions whose result does not depend on the thread count: the data is cut into fixed-size
// chunks, each chunk is summed in Double, and the chunk sums are added in chunk order.

public enum DeterministicSum {
    /// Elements per chunk. Fixed, so the rounding is the same for any number of threads.
    public static let chunk = 4096

    /// sum_i a[i] * b[i], accumulated in Double.
    @inlinable
    public static func dot<T: TensorElement>(_ a: UnsafeBufferPointer<T>, _ b: UnsafeBufferPointer<T>) -> Double {
        precondition(a.count == b.count, "dot: \(a.count) vs \(b.count) elements")
        let chunks = (a.count + chunk - 1) / chunk
        if chunks <= 1 { return dotRange(a, b, 0, a.count) }
        var partial = [Double](repeating: 0, count: chunks)
        partial.withUnsafeMutableBufferPointer { partial in
            Parallel.forEach(chunks) { c in
                partial[c] = dotRange(a, b, c * chunk, Swift.min(a.count, (c + 1) * chunk))
            }
        }
        return partial.reduce(0, +)
    }

    /// sum_i a[i], accumulated in Double.
    @inlinable
    public static func sum<T: TensorElement>(_ a: UnsafeBufferPointer<T>) -> Double {
        var total = 0.0
        var start = 0
        while start < a.count {
            let end = Swift.min(a.count, start + chunk)
            var s = 0.0
            for i in start..<end { s += Double(a[i]) }
            total += s
            start = end
        }
        return total
    }

    @inlinable
    static func dotRange<T: TensorElement>(
        _ a: UnsafeBufferPointer<T>, _ b: UnsafeBufferPointer<T>, _ lo: Int, _ hi: Int
    ) -> Double {
        // Thirty-two independent partial sums (element i goes to lane i % 32, here eight SIMD4<Double>
        // accumulators of four lanes), so the Double additions are not one dependent chain (one
        // accumulator made this pass latency-bound at about one element per cycle). The order
        // depends only on lo and hi. (A Float product is exact in Double, so no rounding before the add.)
        var s0 = SIMD4<Double>(), s1 = SIMD4<Double>(), s2 = SIMD4<Double>(), s3 = SIMD4<Double>()
        var s4 = SIMD4<Double>(), s5 = SIMD4<Double>(), s6 = SIMD4<Double>(), s7 = SIMD4<Double>()
        let x = a.baseAddress!, y = b.baseAddress!
        var i = lo
        while i + 32 <= hi {
            s0 += widen4(x + i) * widen4(y + i)
            s1 += widen4(x + i + 4) * widen4(y + i + 4)
            s2 += widen4(x + i + 8) * widen4(y + i + 8)
            s3 += widen4(x + i + 12) * widen4(y + i + 12)
            s4 += widen4(x + i + 16) * widen4(y + i + 16)
            s5 += widen4(x + i + 20) * widen4(y + i + 20)
            s6 += widen4(x + i + 24) * widen4(y + i + 24)
            s7 += widen4(x + i + 28) * widen4(y + i + 28)
            i += 32
        }
        var tail = 0.0
        while i < hi { tail += Double(x[i]) * Double(y[i]); i += 1 }
        let v0 = SIMD8(lowHalf: s0, highHalf: s1), v1 = SIMD8(lowHalf: s2, highHalf: s3)
        let v2 = SIMD8(lowHalf: s4, highHalf: s5), v3 = SIMD8(lowHalf: s6, highHalf: s7)
        return ((v0 + v1) + (v2 + v3)).sum() + tail
    }

    /// `dotRange` written plainly, with SIMD8 conversions (the test oracle: the same lanes and the
    /// same final additions, so the same bits).
    @inlinable
    static func dotRangeReference<T: TensorElement>(
        _ a: UnsafeBufferPointer<T>, _ b: UnsafeBufferPointer<T>, _ lo: Int, _ hi: Int
    ) -> Double {
        var lanes = [SIMD8<Double>](repeating: SIMD8(), count: 4)
        var i = lo
        while i + 32 <= hi {
            for k in 0..<4 {
                let start = i + 8 * k
                let x = SIMD8<Double>(load8(a.baseAddress! + start)), y = SIMD8<Double>(load8(b.baseAddress! + start))
                lanes[k] += x * y
            }
            i += 32
        }
        var tail = 0.0
        while i < hi { tail += Double(a[i]) * Double(b[i]); i += 1 }
        return ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])).sum() + tail
    }

    /// p[0..<4] widened to Double. Lane by lane, because the compiler lowers this to one
    /// vcvtps2pd while the SIMD8 conversion `SIMD8<Double>(SIMD8<Float>)` came out as scalar
    /// converts and inserts (2.8x slower in a 4096-element dot, same bits).
    @inlinable @inline(__always)
    public static func widen4<T: TensorElement>(_ p: UnsafePointer<T>) -> SIMD4<Double> {
        let v = UnsafeRawPointer(p).loadUnaligned(as: SIMD4<T>.self)
        return SIMD4<Double>(Double(v[0]), Double(v[1]), Double(v[2]), Double(v[3]))
    }

    @inlinable @inline(__always)
    static func load8<T: TensorElement>(_ p: UnsafePointer<T>) -> SIMD8<T> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD8<T>.self)
    }
}
