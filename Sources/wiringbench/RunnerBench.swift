// The runner's real steps, timed through `executeRun` on synthetic CIFAR-sized images (3 x 32 x 32,
// batch 96, one minimal cell, C = 16): what a run pays on top of the bench's bare supernet step (data
// order and augmentation, the probes' node split, the step log, checkpoints). `plan`'s StepCostTable
// takes these as its `run:` rows; each is wall milliseconds per image over the measured steps.
import Foundation
import WiringExperiment

/// Wall milliseconds per training image of `steps` steps of one phase kind (after a warm-up run).
func runnerMilliseconds(phase: String, steps: Int, threads: Int) throws -> Double {
    let yaml = """
        name: runner-bench
        description: "runner steps for the cost table"
        seed: 1
        threads: \(threads)
        data:
          dataset: synthetic
          synthetic: {count: 960, size: 32, channels: 3, classes: 10}
          batch_size: 96
        network: {cell: minimal, channels: 16}
        phases:
          - \(phase.replacingOccurrences(of: "STEPS", with: "\(steps)"))
        """
    let plan = try Manifest(yaml: yaml, file: "runner-bench.yaml").plan(codeVersion: "bench")
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("wiringbench-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: folder) }
    // The first run warms the caches and the allocator; the median of the next three is the figure (one
    // run of 20 steps spreads +-15 % on a shared 2-core VM).
    _ = try executeRun(plan.runs[0], plan: plan, options: RunOptions(outFolder: folder.appendingPathComponent("warm")))
    var elapsed: [Double] = []
    for repeat_ in 0..<3 {
        let start = DispatchTime.now().uptimeNanoseconds
        _ = try executeRun(plan.runs[0], plan: plan,
                           options: RunOptions(outFolder: folder.appendingPathComponent("timed\(repeat_)")))
        elapsed.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
    }
    return elapsed.sorted()[1] / Double(steps * 96)
}

/// The `run:` rows of the cost table: probe, train (no refresh), train with the running-statistics refresh.
func runnerCostRows(steps: Int = 20) -> [(String, Int, Double, Double)] {
    let phases = [
        ("run:probe", "{kind: probe, batches: STEPS}"),
        ("run:train", "{kind: train, batches: STEPS, refresh_running_statistics: false}"),
        ("run:train_refresh", "{kind: train, batches: STEPS}"),
    ]
    var rows: [(String, Int, Double, Double)] = []
    for (name, phase) in phases {
        for threads in [1, 2] {
            do {
                rows.append((name, threads, 0, try runnerMilliseconds(phase: phase, steps: steps, threads: threads)))
            } catch {
                print("runner bench \(name): \(error)")
            }
        }
    }
    return rows
}
