// Work splitting for kernels. The number of threads is a value bound around the kernels that use it
// (`Parallel.$threads.withValue(n) { ... }`), not a process-wide setting; kernels split their work
// into a fixed number of chunks that does not depend on it, so results are bitwise identical with 1
// or 2 threads (reductions combine chunk partials in chunk order).
//
// The threads are a pool of our own that spins between calls (`WorkerPool`), not Dispatch: a step
// makes hundreds of calls of ~100 µs each, and a Dispatch worker that went idle took ~30 µs to
// start again, which cost a 2-thread step a fifth of its time (measured in docs/kernels/parallel.md).
import Dispatch
import Foundation
import Synchronization

public enum Parallel {
    /// Threads used by the kernels called inside the current binding (1 = run inline; the default where
    /// nothing is bound). Whoever runs kernels binds it for their extent: the run executor around each
    /// step (so a sweep's tail can raise it between steps), the bench, `plan`'s speed probe, tests.
    /// A task-local value: it reads what the calling thread (or task) bound, so two callers on two
    /// threads never see each other's count. Only `forEach` reads it, on the calling thread; the pool's
    /// workers get their count from the call and never read it (a nested `forEach` on a worker sees
    /// the default 1 and runs inline, as the busy pool would make it anyway). A read costs ~40 ns
    /// (measured), against ~100 µs per kernel call.
    @TaskLocal public static var threads: Int = 1

    /// Runs `body(i)` for `i` in `0..<count`, spread over `threads` threads. The indices are cut into
    /// contiguous blocks (cache locality) that the threads claim as they come free, so a thread the
    /// system has descheduled holds up at most the one block it is running.
    /// `body` must write to disjoint memory for distinct `i`.
    @inlinable
    public static func forEach(_ count: Int, _ body: (Int) -> Void) {
        let workers = Swift.min(threads, count)
        if workers <= 1 {
            for i in 0..<count { body(i) }
            return
        }
        withoutActuallyEscaping(body) { body in
            if #available(macOS 15, *) {
                WorkerPool.shared.run(count: count, workers: workers, body)
            } else {
                DispatchQueue.concurrentPerform(iterations: workers) { w in
                    for i in (count * w / workers)..<(count * (w + 1) / workers) { body(i) }
                }
            }
        }
    }
}

/// Threads that stay awake between `Parallel.forEach` calls: after a call each worker spins on the
/// job counter for `spinNanoseconds` before it parks on a condition, so a call that follows within
/// that time starts on every thread at once. The calling thread works on the call too.
///
/// Work is handed out in blocks claimed from one atomic cursor, not one fixed share per thread: on a
/// shared or virtual machine one of two threads is often descheduled for milliseconds, and a fixed
/// split made the other wait for it; now it takes the blocks that are left. Which thread runs a block
/// never changes a result (each index writes its own memory), so results stay bitwise the same.
///
/// A call made while another is running (a nested `forEach`, or a second thread such as a test
/// runner's) runs its indices inline on its own thread: the same per-index work, so the same results.
@available(macOS 15, *)
@usableFromInline
final class WorkerPool: @unchecked Sendable {
    @usableFromInline static let shared = WorkerPool()

    /// How long an idle worker spins before it parks (a step's gaps between kernels are shorter).
    static let spinNanoseconds: UInt64 = 2_000_000
    /// Blocks per thread: enough that a late thread's share is soon taken over, few enough that
    /// claiming (one compare-and-swap per block) stays far below a block's work.
    static let blocksPerThread = 32

    /// Bumped once per call; an idle worker waits for it to change.
    private let generation = Atomic<Int>(0)
    /// The current call's claim state, packed so one compare-and-swap checks and claims at once:
    /// bits 40..<63 the call's generation (its low 23 bits), bits 32..<40 the threads it may use,
    /// bits 16..<32 its block count, bits 0..<16 the next unclaimed block. A claim succeeds only for
    /// the generation the worker woke for, so a late worker can never run a block of a newer call
    /// with an older call's job; workers numbered past the call's threads do not claim (a pool
    /// started for 4 threads uses 2 when the caller's `Parallel.threads` is 2).
    private let cursor = Atomic<Int>(0)
    /// Workers inside the claim loop. The caller returns only when it is 0 and every block is claimed;
    /// a worker enters before it reads `cursor`, so once the caller has seen 0 no worker can claim.
    private let active = Atomic<Int>(0)
    /// Workers parked on `wake` (so a call knows whether to signal).
    private let parked = Atomic<Int>(0)
    /// Held by the thread that is running a call.
    private let busy = Atomic<Bool>(false)
    private let wake = NSCondition()
    /// The current call, written before `cursor` and `generation` publish it and read only after a
    /// successful claim.
    private var job: ((Int) -> Void)?
    private var jobCount = 0
    /// Started worker threads; worker k (k >= 1) takes part in calls for more than k threads.
    private var started = 0

    /// Runs `body(i)` for i in 0..<count on the calling thread and up to `workers - 1` pool threads,
    /// and returns when all are done.
    @usableFromInline
    func run(count: Int, workers: Int, _ body: @escaping (Int) -> Void) {
        guard busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else {
            for i in 0..<count { body(i) }
            return
        }
        defer { busy.store(false, ordering: .releasing) }
        while started < workers - 1 {
            started += 1
            let index = started
            let thread = Thread { [self] in work(index: index, seen: 0) }
            thread.stackSize = 8 << 20  // kernels keep scratch planes on the stack
            thread.start()
        }
        let blocks = Swift.min(count, workers * WorkerPool.blocksPerThread, 0xFFFF)
        job = body
        jobCount = count
        let call = generation.load(ordering: .relaxed) &+ 1
        cursor.store(WorkerPool.packed(call, threads: workers, blocks: blocks), ordering: .sequentiallyConsistent)
        generation.store(call, ordering: .sequentiallyConsistent)
        if parked.load(ordering: .sequentiallyConsistent) > 0 {
            wake.lock()
            wake.broadcast()
            wake.unlock()
        }
        claimAndRun(call: call, index: 0)
        while active.load(ordering: .sequentiallyConsistent) > 0 {}
        job = nil
    }

    /// The claim state of a new call (next block 0).
    private static func packed(_ call: Int, threads: Int, blocks: Int) -> Int {
        (call & generationMask) << 40 | Swift.min(threads, 0xFF) << 32 | blocks << 16
    }
    private static let generationMask = (1 << 23) - 1

    /// Claims blocks of call `call` until none is left (or a newer call has replaced it), running each;
    /// thread `index` (0 = the caller) claims nothing from a call for `index` threads or fewer.
    private func claimAndRun(call: Int, index: Int) {
        while true {
            let state = cursor.load(ordering: .sequentiallyConsistent)
            guard state >> 40 == call & WorkerPool.generationMask, index < (state >> 32) & 0xFF else { return }
            let blocks = (state >> 16) & 0xFFFF, next = state & 0xFFFF
            guard next < blocks else { return }
            guard cursor.compareExchange(expected: state, desired: state + 1,
                                         ordering: .sequentiallyConsistent).exchanged else { continue }
            // Claimed: the caller of `call` cannot return (and so cannot replace the job) before this
            // thread leaves the claim loop.
            let count = jobCount
            guard let job else { return }
            for i in (count * next / blocks)..<(count * (next + 1) / blocks) { job(i) }
        }
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
            active.add(1, ordering: .sequentiallyConsistent)
            claimAndRun(call: seen, index: index)
            active.subtract(1, ordering: .sequentiallyConsistent)
        }
    }
}
