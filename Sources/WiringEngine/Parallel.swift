// Work splitting for kernels. The number of threads is a process-wide setting; kernels split
// their work into a fixed number of chunks that does not depend on it, so results are bitwise
// identical with 1 or 2 threads (reductions combine chunk partials in chunk order).
import Dispatch

public enum Parallel {
    /// Threads used by kernels (1 = run inline). Set once at start-up, before any kernel runs.
    nonisolated(unsafe) public static var threads: Int = 1

    /// Runs `body(i)` for `i` in `0..<count`, spread over `threads` threads.
    /// `body` must write to disjoint memory for distinct `i`.
    @inlinable
    public static func forEach(_ count: Int, _ body: (Int) -> Void) {
        let workers = Swift.min(threads, count)
        if workers <= 1 {
            for i in 0..<count { body(i) }
            return
        }
        withoutActuallyEscaping(body) { body in
            DispatchQueue.concurrentPerform(iterations: workers) { w in
                // Contiguous block per worker keeps cache locality.
                let lo = count * w / workers, hi = count * (w + 1) / workers
                for i in lo..<hi { body(i) }
            }
        }
    }
}
