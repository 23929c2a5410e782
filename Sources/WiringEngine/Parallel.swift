// Work splitting for kernels. The number of threads is a process-wide setting; kernels split
// their work into a fixed number of chunks that does not depend on it, so results are bitwise
// identical with 1 or 2 threads (reductions combine chunk partials in chunk order).
//
// The threads are a pool of our own that spins between calls (`WorkerPool`), not Dispatch: a step
// makes hundreds of calls of ~100 µs each, and a Dispatch worker that went idle took ~30 µs to
// start again, which cost a 2-thread step a fifth of its time (measured in docs/kernels/parallel.md).
import Dispatch
import Foundation
import Synchronization

public enum Parallel {
    /// Threads used by kernels (1 = run inline). Set between kernels (at start-up, or between steps),
    /// never while one runs.
    nonisolated(unsafe) public static var threads: Int = 1

    /// Runs `body(i)` for `i` in `0..<count`, spread over `threads` threads, each taking one
    /// contiguous block of indices (cache locality).
    /// `body` must write to disjoint memory for distinct `i`.
    @inlinable
    public static func forEach(_ count: Int, _ body: (Int) -> Void) {
        let workers = Swift.min(threads, count)
        if workers <= 1 {
            for i in 0..<count { body(i) }
            return
        }
        withoutActuallyEscaping(body) { body in
            let block: (Int) -> Void = { w in
                let lo = count * w / workers, hi = count * (w + 1) / workers
                for i in lo..<hi { body(i) }
            }
            if #available(macOS 15, *) {
                WorkerPool.shared.run(blocks: workers, block)
            } else {
                DispatchQueue.concurrentPerform(iterations: workers, execute: block)
            }
        }
    }
}

/// Threads that stay awake between `Parallel.forEach` calls: after a call each worker spins on the
/// job counter for `spinNanoseconds` before it parks on a condition, so a call that follows within
/// that time starts on every thread at once. The calling thread runs block 0 itself.
///
/// A call made while another is running (a nested `forEach`, or a second thread such as a test
/// runner's) runs its blocks inline on its own thread: the same blocks, so the same results.
@available(macOS 15, *)
@usableFromInline
final class WorkerPool: @unchecked Sendable {
    @usableFromInline static let shared = WorkerPool()

    /// How long an idle worker spins before it parks (a step's gaps between kernels are shorter).
    static let spinNanoseconds: UInt64 = 2_000_000

    /// Bumped once per call; a worker runs the job of each new value.
    private let generation = Atomic<Int>(0)
    /// Workers that have not yet finished the current call. Every started worker takes part in every
    /// call (those beyond `jobBlocks` only report in), so no worker can lag into the next call's job.
    private let remaining = Atomic<Int>(0)
    /// Workers parked on `wake` (so a call knows whether to signal).
    private let parked = Atomic<Int>(0)
    /// Held by the thread that is running a call.
    private let busy = Atomic<Bool>(false)
    private let wake = NSCondition()
    /// The current call, written before `generation` is bumped and read after it is seen.
    private var job: ((Int) -> Void)?
    private var jobBlocks = 0
    /// Started worker threads; worker k runs block k (k >= 1).
    private var started = 0

    /// Runs `block(w)` for w in 0..<blocks, w = 0 on the calling thread, and returns when all are done.
    @usableFromInline
    func run(blocks: Int, _ block: @escaping (Int) -> Void) {
        guard busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else {
            for w in 0..<blocks { block(w) }
            return
        }
        defer { busy.store(false, ordering: .releasing) }
        // A new worker starts from the generation before this call's, so it takes part in this call.
        let before = generation.load(ordering: .relaxed)
        while started < blocks - 1 {
            started += 1
            let index = started
            let thread = Thread { [self] in work(index: index, seen: before) }
            thread.stackSize = 8 << 20  // kernels keep scratch planes on the stack
            thread.start()
        }
        job = block
        jobBlocks = blocks
        remaining.store(started, ordering: .relaxed)
        generation.add(1, ordering: .sequentiallyConsistent)
        if parked.load(ordering: .sequentiallyConsistent) > 0 {
            wake.lock()
            wake.broadcast()
            wake.unlock()
        }
        block(0)
        while remaining.load(ordering: .acquiring) > 0 {}
        job = nil
    }

    private func work(index: Int, seen start: Int) {
        var seen = start
        while true {
            // Spin for the next call, then park.
            var idleSince: UInt64 = 0, spins = 0
            while generation.load(ordering: .acquiring) == seen {
                spins &+= 1
                guard spins & 1023 == 0 else { continue }
                let now = DispatchTime.now().uptimeNanoseconds
                if idleSince == 0 { idleSince = now; continue }
                guard now - idleSince > WorkerPool.spinNanoseconds else { continue }
                wake.lock()
                parked.add(1, ordering: .sequentiallyConsistent)
                while generation.load(ordering: .sequentiallyConsistent) == seen { wake.wait() }
                parked.subtract(1, ordering: .sequentiallyConsistent)
                wake.unlock()
            }
            seen = generation.load(ordering: .acquiring)
            if index < jobBlocks, let job { job(index) }
            remaining.subtract(1, ordering: .releasing)
        }
    }
}
