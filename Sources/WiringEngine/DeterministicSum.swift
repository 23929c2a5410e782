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
        let x = a.baseAddress!, y = b.baseAddress!
        var lanes = DotLanes()
        var i = lo
        while i + 32 <= hi {
            lanes.addBlock(x + i, y + i)
            i += 32
        }
        while i < hi { lanes.addTail(x[i], y[i]); i += 1 }
        return lanes.total
    }

    /// The partial sums of `dotRange`: thirty-two independent lanes (element i of a 32-element block
    /// goes to lane i % 32, here eight SIMD4<Double> accumulators of four lanes), so the Double
    /// additions are not one dependent chain (one accumulator made the pass latency-bound at about
    /// one element per cycle), then a sequential tail for the elements after the last whole block.
    /// The order depends only on the range. Kernels that write a plane and want its dot with another
    /// (`reluMaskedStoreAndDot`) feed the same lanes while the values are in registers: the same bits.
    @frozen @usableFromInline
    struct DotLanes {
        @usableFromInline var s0 = SIMD4<Double>(), s1 = SIMD4<Double>(), s2 = SIMD4<Double>(), s3 = SIMD4<Double>()
        @usableFromInline var s4 = SIMD4<Double>(), s5 = SIMD4<Double>(), s6 = SIMD4<Double>(), s7 = SIMD4<Double>()
        @usableFromInline var tail = 0.0

        @inlinable init() {}

        /// Adds x[0..<32] * y[0..<32], a whole block.
        @inlinable @inline(__always)
        mutating func addBlock<T: TensorElement>(_ x: UnsafePointer<T>, _ y: UnsafePointer<T>) {
            DeterministicSum.addWidenedProduct(&s0, x, y)
            DeterministicSum.addWidenedProduct(&s1, x + 4, y + 4)
            DeterministicSum.addWidenedProduct(&s2, x + 8, y + 8)
            DeterministicSum.addWidenedProduct(&s3, x + 12, y + 12)
            DeterministicSum.addWidenedProduct(&s4, x + 16, y + 16)
            DeterministicSum.addWidenedProduct(&s5, x + 20, y + 20)
            DeterministicSum.addWidenedProduct(&s6, x + 24, y + 24)
            DeterministicSum.addWidenedProduct(&s7, x + 28, y + 28)
        }

        /// Adds one product of the tail, in order.
        @inlinable @inline(__always)
        mutating func addTail<T: TensorElement>(_ x: T, _ y: T) { tail += Double(x) * Double(y) }

        @inlinable var total: Double {
            let v0 = SIMD8(lowHalf: s0, highHalf: s1), v1 = SIMD8(lowHalf: s2, highHalf: s3)
            let v2 = SIMD8(lowHalf: s4, highHalf: s5), v3 = SIMD8(lowHalf: s6, highHalf: s7)
            return ((v0 + v1) + (v2 + v3)).sum() + tail
        }
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

    /// acc += Double(x[0..<4]) * Double(y[0..<4]), the product rounded to Double before the add. A
    /// Float product is exact in Double, so there a fused multiply-add rounds exactly as the product
    /// then the add (one instruction instead of two, the same bits); a Double product is not, so
    /// Double keeps the two.
    @inlinable @inline(__always)
    static func addWidenedProduct<T: TensorElement>(
        _ acc: inout SIMD4<Double>, _ x: UnsafePointer<T>, _ y: UnsafePointer<T>
    ) {
        if T.self == Float.self {
            acc.addProduct(widen4(x), widen4(y))
        } else {
            acc += widen4(x) * widen4(y)
        }
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
