// wiringbench [repetitions]   op blocks and supernet steps next to PyTorch (BENCH lines)
// wiringbench conv            the conv2d kernels alone, per path
if CommandLine.arguments.dropFirst().first == "conv" {
    runConvBench()
} else {
    runBenchmarks(repetitions: CommandLine.arguments.dropFirst().first.flatMap { Int($0) } ?? 20)
}
