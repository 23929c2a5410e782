// wiringbench [repetitions [name-filter]]   op blocks and supernet steps next to PyTorch (BENCH lines)
// wiringbench conv                          the conv2d kernels alone, per path
// wiringbench runner                        the runner's probe / train steps per image and the host speed probe
//                                           (the cost table's run: and host_probe rows)
// wiringbench memory <step> <threads>       (the bench's child) peak memory of three steps of one step kind
// wiringbench checksum                      bit patterns of one step's probes and gradients (before/after checks)
// wiringbench profile [repetitions [name-filter]]   every op phase of each supernet step, ms per step
// wiringbench precision [seeds [cells]] [smooth] [edges]   Float against Double on 8 original cells, cost errors
import Foundation
import WiringEngine
import WiringExperiment

HeapTuning.retainFreedMemory()
setvbuf(stdout, nil, _IOLBF, 0)  // a line at a time, also into a file or a pipe: the bench takes many minutes

let arguments = Array(CommandLine.arguments.dropFirst())
if arguments.first == "memory", arguments.count == 3, let threads = Int(arguments[2]) {
    runMemoryChild(step: arguments[1], threads: threads)
} else if arguments.first == "conv" {
    runConvBench()
} else if arguments.first == "checksum" {
    runChecksums()
} else if arguments.first == "precision" {
    let numbers = arguments.dropFirst().compactMap { Int($0) }
    runPrecision(seeds: numbers.first ?? 5, cells: numbers.dropFirst().first ?? 8, smooth: arguments.contains("smooth"),
                 perEdge: arguments.contains("edges"))
} else if arguments.first == "runner" {
    for (block, threads, forward, both) in runnerCostRows() {
        print(String(format: "        Row(block: \"%@\", threads: %d, forward: %.4f, forwardBackward: %.4f),",
                     block as NSString, threads, forward, both))
    }
    // The speed probe `plan` times on the user's machine, measured here beside the rows it scales.
    print(String(format: "        Row(block: \"%@\", threads: 1, forward: 0.0000, forwardBackward: %.4f),",
                 HostSpeed.tableBlock as NSString, HostSpeed.probe(budget: 3, maximumSteps: 5000)))
} else if arguments.first == "profile" {
    runStepProfiles(repetitions: arguments.dropFirst().first.flatMap { Int($0) } ?? 10,
                    only: arguments.dropFirst(2).first)
} else {
    runBenchmarks(repetitions: arguments.first.flatMap { Int($0) } ?? 20, only: arguments.dropFirst().first)
}
