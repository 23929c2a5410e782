// Parallel.forEach on its spinning worker pool: every index runs exactly once whatever the thread
// count, also for calls nested in a block and for calls from several threads at once (which run inline);
// a thread that stalls holds up only the block it is running.
import Foundation
import Synchronization
import Testing
@testable import WiringEngine

@Suite(.serialized) struct ParallelTests {
    /// How often each index of 0..<count ran, for `forEach` at `threads`.
    func visits(_ count: Int, threads: Int, nested: Bool = false) -> [Int] {
        var hits = [Int](repeating: 0, count: count * (nested ? 3 : 1))
        hits.withUnsafeMutableBufferPointer { h in
            Parallel.$threads.withValue(threads) { Parallel.forEach(count) { i in
                if nested {
                    Parallel.forEach(3) { j in h[i * 3 + j] += 1 }
                } else {
                    h[i] += 1
                }
            } }
        }
        return hits
    }

    @Test func everyIndexRunsOnceAtAnyThreadCount() {
        for threads in [1, 2, 3, 5, 2, 1, 4] {
            for count in [0, 1, 2, 3, 7, 1000] {
                #expect(visits(count, threads: threads) == [Int](repeating: 1, count: count), "threads \(threads) count \(count)")
            }
        }
        // Many calls in a row, with pauses long enough for the workers to park between some of them.
        for call in 0..<300 {
            if call % 100 == 99 { Thread.sleep(forTimeInterval: 0.01) }
            #expect(visits(64, threads: 2) == [Int](repeating: 1, count: 64))
        }
    }

    @Test func nestedCallsRunInline() {
        #expect(visits(50, threads: 2, nested: true) == [Int](repeating: 1, count: 150))
    }

    @Test func callsFromSeveralThreadsAtOnceAllComplete() {
        let callers = 4, count = 5000
        let totals = UnsafeMutableBufferPointer<Int>.allocate(capacity: callers)
        defer { totals.deallocate() }
        DispatchQueue.concurrentPerform(iterations: callers) { c in
            var sums = [Int](repeating: 0, count: count)
            // Each caller binds its own count: a binding is seen only by the thread that made it.
            Parallel.$threads.withValue(2) {
                for _ in 0..<50 {
                    sums.withUnsafeMutableBufferPointer { s in Parallel.forEach(count) { i in s[i] += i } }
                }
            }
            totals[c] = sums.reduce(0, +)
        }
        let expected = 50 * count * (count - 1) / 2
        for c in 0..<callers { #expect(totals[c] == expected, "caller \(c)") }
    }

    /// The pool's threads claim blocks as they come free: while the worker is stuck in its first block
    /// (here a 0.2 s sleep standing in for a descheduled vCPU), the calling thread runs all the others.
    @Test func aStalledWorkerHoldsUpOnlyItsOwnBlock() {
        Parallel.$threads.withValue(2) { aStalledWorkerHoldsUpOnlyItsOwnBlockAtTwoThreads() }
    }

    func aStalledWorkerHoldsUpOnlyItsOwnBlockAtTwoThreads() {
        Parallel.forEach(2) { _ in }  // the worker thread exists before the measured call
        let caller = pthread_self()
        let count = 16
        var ranOnCaller = [Bool](repeating: false, count: count)
        let stalled = Atomic<Int>(0)
        ranOnCaller.withUnsafeMutableBufferPointer { onCaller in
            Parallel.forEach(count) { i in
                if pthread_equal(pthread_self(), caller) != 0 {
                    onCaller[i] = true
                    Thread.sleep(forTimeInterval: 0.002)  // so that the worker surely claims a block
                } else if stalled.add(1, ordering: .relaxed).newValue == 1 {
                    Thread.sleep(forTimeInterval: 0.2)
                }
            }
        }
        #expect(stalled.load(ordering: .relaxed) >= 1, "the worker ran no block")
        // 16 blocks of one index for two threads: the worker runs its stalled one and perhaps one it
        // claimed before the caller got going; a fixed half-and-half split would give it 8.
        #expect(ranOnCaller.filter { $0 }.count >= count - 2, "caller ran \(ranOnCaller.filter { $0 }.count) of \(count)")
    }

    /// A pool started for 4 threads runs a call for 2 on 2: the workers numbered past a call's thread
    /// count do not claim its blocks.
    @Test func aCallRunsOnAtMostParallelThreadsThreads() {
        Parallel.$threads.withValue(4) { Parallel.forEach(64) { _ in } }  // starts three workers
        let count = 512
        var runners = [pthread_t?](repeating: nil, count: count)
        runners.withUnsafeMutableBufferPointer { r in
            Parallel.$threads.withValue(2) { Parallel.forEach(count) { i in
                r[i] = pthread_self()
                var x = Double(i)
                for _ in 0..<2000 { x = (x * 1.000001).squareRoot() + 1 }  // long enough for every worker to try
                if x < 0 { r[i] = nil }
            } }
        }
        var distinct: [pthread_t] = []
        for case let t? in runners where !distinct.contains(where: { pthread_equal($0, t) != 0 }) { distinct.append(t) }
        #expect(runners.allSatisfy { $0 != nil })
        #expect(distinct.count <= 2, "\(distinct.count) threads ran a call for 2")
    }

    /// The count is a binding, not a setting: it holds inside `withValue` on the thread that bound it, is
    /// back to what it was after, and another thread meanwhile sees its own (here the default, 1).
    @Test func theThreadCountIsScopedToTheBindingAndItsThread() {
        let outside = Parallel.threads
        Parallel.$threads.withValue(3) {
            #expect(Parallel.threads == 3)
            let other = Atomic<Int>(0)
            let thread = Thread { other.store(Parallel.threads, ordering: .sequentiallyConsistent) }
            thread.start()
            while other.load(ordering: .sequentiallyConsistent) == 0 { usleep(100) }
            #expect(other.load(ordering: .sequentiallyConsistent) == 1, "another thread saw this thread's binding")
            Parallel.$threads.withValue(2) { #expect(Parallel.threads == 2) }
            #expect(Parallel.threads == 3)
        }
        #expect(Parallel.threads == outside)
    }
}
