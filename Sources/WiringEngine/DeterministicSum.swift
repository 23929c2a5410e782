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
        // Four independent partial sums (element i goes to partial i % 4), kept as the lanes of one
        // SIMD4<Double>: the same additions as four scalar accumulators, in one vector instruction.
        var lanes = SIMD4<Double>()
        var i = lo
        while i + 4 <= hi {
            let x = SIMD4<Double>(Double(a[i]), Double(a[i + 1]), Double(a[i + 2]), Double(a[i + 3]))
            let y = SIMD4<Double>(Double(b[i]), Double(b[i + 1]), Double(b[i + 2]), Double(b[i + 3]))
            lanes += x * y
            i += 4
        }
        var s0 = lanes[0]
        let s1 = lanes[1], s2 = lanes[2], s3 = lanes[3]
        while i < hi { s0 += Double(a[i]) * Double(b[i]); i += 1 }
        return (s0 + s1) + (s2 + s3)
    }
}
