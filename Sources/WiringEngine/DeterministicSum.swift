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
        // Thirty-two independent partial sums (element i goes to lane i % 32 of four SIMD8<Double>
        // accumulators), so the Double additions are not one dependent chain (one accumulator
        // made this pass latency-bound at about one element per cycle). The order depends only on
        // lo and hi.
        var s0 = SIMD8<Double>(), s1 = SIMD8<Double>(), s2 = SIMD8<Double>(), s3 = SIMD8<Double>()
        let x = a.baseAddress!, y = b.baseAddress!
        var i = lo
        while i + 32 <= hi {
            s0 += SIMD8<Double>(load8(x + i)) * SIMD8<Double>(load8(y + i))
            s1 += SIMD8<Double>(load8(x + i + 8)) * SIMD8<Double>(load8(y + i + 8))
            s2 += SIMD8<Double>(load8(x + i + 16)) * SIMD8<Double>(load8(y + i + 16))
            s3 += SIMD8<Double>(load8(x + i + 24)) * SIMD8<Double>(load8(y + i + 24))
            i += 32
        }
        var tail = 0.0
        while i < hi { tail += Double(x[i]) * Double(y[i]); i += 1 }
        return ((s0 + s1) + (s2 + s3)).sum() + tail
    }

    @inlinable @inline(__always)
    static func load8<T: TensorElement>(_ p: UnsafePointer<T>) -> SIMD8<T> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD8<T>.self)
    }
}
