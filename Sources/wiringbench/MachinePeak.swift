// The machine's fused multiply-add peak, measured in the same run as the steps, so that a step's
// speed can be printed as a share of what the cores can do ("fma_peak=31%") and compared across hosts.
//
// The loop keeps twelve independent 8-wide accumulators (AVX2: twelve ymm registers, enough FMAs in
// flight to cover the unit's latency on every x86 core of the last decade) and does nothing else, so
// its rate is the FMA throughput of the SIMD width the release build targets (`-target-cpu haswell`).
import Dispatch
import WiringEngine

enum MachinePeak {
    /// GFLOP/s (2 per multiply-add) of `threads` threads each running the FMA loop for ~0.3 s.
    static func gflops(threads: Int) -> Double {
        let iterations = 20_000_000
        let perThread = Double(iterations) * 12 * 8 * 2
        var best = 0.0
        // The best of three: a descheduled thread only ever lowers the figure.
        for _ in 0..<3 {
            let start = DispatchTime.now().uptimeNanoseconds
            let sinks = UnsafeMutableBufferPointer<Float>.allocate(capacity: threads)
            defer { sinks.deallocate() }
            withThreads(threads) {
                Parallel.forEach(threads) { t in sinks[t] = fmaLoop(iterations: iterations, seed: Float(t + 1)) }
            }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            // Reading the sinks keeps the loops from being optimised away.
            if sinks.contains(where: { $0.isNaN }) { print("FMA loop produced NaN") }
            best = Swift.max(best, perThread * Double(threads) / seconds / 1e9)
        }
        return best
    }

    @inline(never)
    static func fmaLoop(iterations: Int, seed: Float) -> Float {
        let a = SIMD8<Float>(repeating: 0.999_999), b = SIMD8<Float>(repeating: 1e-7 * seed)
        var c0 = SIMD8<Float>(repeating: seed), c1 = c0 + 1, c2 = c0 + 2, c3 = c0 + 3, c4 = c0 + 4, c5 = c0 + 5
        var c6 = c0 + 6, c7 = c0 + 7, c8 = c0 + 8, c9 = c0 + 9, c10 = c0 + 10, c11 = c0 + 11
        for _ in 0..<iterations {
            c0 = c0.addingProduct(a, b); c1 = c1.addingProduct(a, b); c2 = c2.addingProduct(a, b)
            c3 = c3.addingProduct(a, b); c4 = c4.addingProduct(a, b); c5 = c5.addingProduct(a, b)
            c6 = c6.addingProduct(a, b); c7 = c7.addingProduct(a, b); c8 = c8.addingProduct(a, b)
            c9 = c9.addingProduct(a, b); c10 = c10.addingProduct(a, b); c11 = c11.addingProduct(a, b)
        }
        let sum = (c0 + c1 + c2 + c3) + (c4 + c5 + c6 + c7) + (c8 + c9 + c10 + c11)
        return sum.sum()
    }
}
