// wiringbench [repetitions [name-filter]]   op blocks and supernet steps next to PyTorch (BENCH lines)
// wiringbench conv                          the conv2d kernels alone, per path
let arguments = Array(CommandLine.arguments.dropFirst())
if arguments.first == "conv" {
    runConvBench()
} else {
    runBenchmarks(repetitions: arguments.first.flatMap { Int($0) } ?? 20, only: arguments.dropFirst().first)
}
