// WiringLab: presentation only (not part of the code version)
// The wall time of a sweep as `wiringlab run` runs it by default: `jobs` = min(cores, runs left) side
// by side, each child with cores / jobs threads, the next run starting as one finishes, and at the
// tail (nothing left to start, fewer than `jobs` running) the freed cores handed to the runs still
// going (Run/SweepThreadShare.swift). One run, or one job, is the run alone at its own threads.

/// Estimates the wall time of running several runs with the default schedule of `run`.
public enum SweepSchedule {
    /// The jobs `run` picks by default: one per core, at most the runs left.
    public static func defaultJobs(runs: Int, cores: Int) -> Int { max(1, min(cores, runs)) }

    /// Seconds from start to the last run's end.
    /// - Parameters:
    ///   - runs: per run, its wall seconds when it runs on a given number of threads.
    ///   - jobs: runs side by side; 1 runs them one after another with `ownThreads` each.
    ///   - cores: the machine's cores.
    ///   - ownThreads: per run, its manifest's `threads` (used when `jobs` is 1).
    public static func wallSeconds(_ runs: [(Int) -> Double], jobs: Int, cores: Int, ownThreads: [Int]) -> Double {
        guard jobs > 1, runs.count > 1 else {
            return zip(runs, ownThreads).map { run, threads in run(threads) }.reduce(0, +)
        }
        let start = max(1, cores / jobs)
        var queue = Array(runs.indices.reversed())
        // Active runs: index, fraction of the run left, threads.
        var active: [(run: Int, left: Double, threads: Int)] = []
        var clock = 0.0
        while !queue.isEmpty || !active.isEmpty {
            while active.count < jobs, let next = queue.popLast() { active.append((next, 1, start)) }
            if queue.isEmpty && active.count < jobs {
                let share = max(1, cores / active.count)
                for k in active.indices where share > active[k].threads { active[k].threads = share }
            }
            // Advance to the next finish; every run progresses at 1 / (its seconds at its threads).
            let rates = active.map { 1 / max(runs[$0.run]($0.threads), 1e-9) }
            let step = zip(active, rates).map { $0.left / $1 }.min()!
            clock += step
            for k in active.indices { active[k].left -= rates[k] * step }
            active.removeAll { $0.left <= 1e-9 }
        }
        return clock
    }
}
