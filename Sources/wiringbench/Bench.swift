// `make bench`: the engine's op blocks (issue 2) and the supernet steps (issue 3), each timed as the
// median of at least 20 repetitions after warm-up, at 1 and 2 threads, next to PyTorch in the same
// invocation when /usr/bin/python3 has torch. Every comparison prints one line:
//   MACHINE fma_peak_gflops threads=1 <p1> threads=2 <p2>   (the calibrated FMA loop, MachinePeak.swift)
//   BENCH <block or step> B=<b> threads=<t> ours_ms=<x> torch_ms=<y> ratio=<x/y> [fma_peak=<share>%]
//   SCALING <step> B=<b> ours_1to2=<speedup> torch_1to2=<speedup>
//   MEMORY <step> B=<b> threads=2 ours_mb=<peak - resident before> torch_mb=<same> ratio=<x/y>
//     (each in a fresh process, PeakMemory.swift; ours_total_mb / torch_total_mb are the whole processes' peaks)
//   profile <step> ... <op phase>=<share of the step's time>% for its five most expensive op phases
//   COST block=<name> C=<channels> HxW=<h>x<w> threads=<t> forward_ms_per_image=<f> ms_per_image=<x>
//   (forward+backward; the rows of `plan`'s StepCostTable, printed again as Swift at the end)
// A step's fma_peak share counts forward+backward as 3x the forward's conv and linear multiply-adds, 2 FLOPs
// each, against the FMA loop's rate at the same thread count: a share means the same on any host.
// Speed targets are checked here, never in tests.
import Dispatch
import Foundation
import WiringEngine
import WiringModel
import WiringExperiment

let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

/// Median wall-clock milliseconds of `body` over `repetitions` runs after `warmup` runs.
func medianMilliseconds(repetitions: Int, warmup: Int = 3, _ body: () -> Void) -> Double {
    for _ in 0..<warmup { body() }
    var times: [Double] = []
    for _ in 0..<repetitions {
        let start = DispatchTime.now().uptimeNanoseconds
        body()
        times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
    }
    times.sort()
    return times[times.count / 2]
}

/// Runs `body` with the kernels on `threads` threads.
func withThreads<R>(_ threads: Int, _ body: () throws -> R) rethrows -> R {
    try Parallel.$threads.withValue(threads, operation: body)
}

/// Multiply-adds of one forward pass of `network` on a batch of `batch` images of side `side` with every
/// op of every edge (a mixture step), or the expectation under a uniform draw of one op per edge (a
/// sampled step).
func stepForwardMACs(network: NetworkConfig, sampled: Bool, batch: Int, side: Int) -> Double {
    var rng = RNG(seed: 2)
    let net = Supernet<Float>(config: network, rng: &rng)
    let domains = try! network.edgeDomains()
    let ops = network.ops.count
    let everyEdge: [EdgeChoice] = domains.map { domain in
        domain.deleted ? .deleted : .mixture(Mixture(weights: Array(repeating: 1 / Double(ops), count: ops)))
    }
    let everyOp = Architecture(choices: Array(repeating: everyEdge, count: network.cells))
    var macs = Double(net.forwardMACs(everyOp, height: side, width: side))
    if sampled {
        let noEdge = Architecture(choices: Array(repeating: domains.map { _ in .deleted }, count: network.cells))
        let fixed = Double(net.forwardMACs(noEdge, height: side, width: side))
        macs = fixed + (macs - fixed) / Double(ops)
    }
    return macs * Double(batch)
}

/// The share of the FMA peak that a step of `forwardMACs` multiply-adds forward reaches in `milliseconds`.
func fmaShare(forwardMACs: Double, milliseconds: Double, peakGFLOPs: Double) -> Double {
    3 * 2 * forwardMACs / (milliseconds / 1e3) / (peakGFLOPs * 1e9)
}

/// One op block of the engine issue on a tape: its layers, parameters and input.
struct Block {
    let name: String
    let layers: [Layer]
    let inputChannels: Int
    /// The classifier block: global average pooling, the linear layer and the cross-entropy.
    var classifier = false

    /// The block's name in `plan`'s cost table: an op's raw value (its trailing norm is part of the op).
    var costName: String { name.replacingOccurrences(of: "+BN", with: "") }

    /// Channels of the block's output.
    var outputChannels: Int {
        for layer in layers.reversed() {
            if case let .conv(_, _, out, _, _, _, _, _) = layer { return out }
        }
        return inputChannels
    }

    static func all(channels c: Int) -> [Block] {
        let config = NetworkConfig()
        func op(_ kind: OpKind, _ name: String) -> Block {
            Block(name: name, layers: Operation(kind, channels: c, prefix: "b", config: config).layers, inputChannels: c)
        }
        return [
            op(.sepConv3x3, "sep_conv_3x3"), op(.sepConv5x5, "sep_conv_5x5"), op(.dilConv3x3, "dil_conv_3x3"),
            op(.dilConv5x5, "dil_conv_5x5"), op(.maxPool3x3, "max_pool_3x3+BN"), op(.avgPool3x3, "avg_pool_3x3+BN"),
            Block(name: "stem", layers: [
                .conv(name: "stem.0.weight", inChannels: 3, outChannels: 3 * c, kernel: 3, stride: 1, padding: 1,
                      dilation: 1, groups: 1),
                .norm(prefix: "stem.1", channels: 3 * c, config: NormConfig(kind: .batch, affine: true)),
            ], inputChannels: 3),
            // The preprocessing of a cell reading the stem (3C -> C).
            Block(name: "preprocess", layers: [
                .relu,
                .conv(name: "p.1.weight", inChannels: 3 * c, outChannels: c, kernel: 1, stride: 1, padding: 0,
                      dilation: 1, groups: 1),
                .norm(prefix: "p.2", channels: c, config: config.preprocessNorm),
            ], inputChannels: 3 * c),
            // After a minimal cell (multiplier 2): 2C channels into 10 classes.
            Block(name: "classifier", layers: [], inputChannels: 2 * c, classifier: true),
        ]
    }

    /// Forward and forward+backward median milliseconds at batch `b`, 32x32.
    func time(batch b: Int, repetitions: Int) -> (forward: Double, forwardBackward: Double) {
        var rng = RNG(seed: 1)
        var store = ParameterStore<Float>()
        for layer in layers { layer.initialise(&store, rng: &rng, legacyDepthwiseFanIn: false) }
        if classifier {
            store.add("classifier.weight", .uniform(shape: [10, inputChannels], lo: -0.1, hi: 0.1, rng: &rng))
        }
        let x = Tensor<Float>.normal(shape: [b, inputChannels, 32, 32], rng: &rng)
        let labels = (0..<b).map { $0 % 10 }
        let tape = Tape<Float>()
        var seed: Tensor<Float>?
        func run(backward: Bool) {
            tape.reset()
            let input = tape.leaf(x)
            let vars = Dictionary(uniqueKeysWithValues: store.names.map { ($0, tape.leaf(store[$0]!)) })
            if classifier {
                let logits = tape.linear(tape.globalAveragePool(input), weight: vars["classifier.weight"]!, bias: nil)
                let loss = tape.crossEntropy(logits, labels: labels)
                if backward { tape.backward(loss) }
                return
            }
            let out = layers.forward(input, tape: tape, store: &store, vars: vars, training: true)
            if backward {
                if seed == nil { seed = Tensor<Float>.normal(shape: tape.shape(out), rng: &rng) }
                tape.backward(out, seed: seed)
            }
        }
        let forward = medianMilliseconds(repetitions: repetitions) { run(backward: false) }
        let both = medianMilliseconds(repetitions: repetitions) { run(backward: true) }
        return (forward, both)
    }

    /// Floating-point operations of one forward pass (2 per multiply-accumulate; convs only).
    func forwardFlops(batch b: Int) -> Double {
        Double(layers.reduce(0) { $0 + $1.forwardMACs(height: 32, width: 32) }) * 2 * Double(b)
    }
}

/// One supernet step of the supernet issue: forward, backward and every probe.
struct SupernetStep {
    let name: String
    let torchName: String
    let config: NetworkConfig
    let batch: Int
    let mixture: Bool

    static let all: [SupernetStep] = {
        var minimal = NetworkConfig.minimal
        minimal.inputChannels = 3
        var original = NetworkConfig.original
        original.cells = 8
        return [
            SupernetStep(name: "dsnas_step_minimal", torchName: "dsnas_minimal", config: minimal, batch: 96, mixture: false),
            SupernetStep(name: "dsnas_step_8_original", torchName: "original8", config: original, batch: 64, mixture: false),
            SupernetStep(name: "darts_mixture_step_minimal", torchName: "darts_minimal", config: minimal, batch: 64,
                         mixture: true),
        ]
    }()

    /// The peer's request for the same step (3x32x32 images).
    var torchRequest: String { torchName }

    /// Forward multiply-adds of the batch (see `stepForwardMACs`).
    var forwardMACs: Double { stepForwardMACs(network: config, sampled: !mixture, batch: batch, side: 32) }

    /// One step on fixed images (a fresh architecture drawn each call), and the tape it runs on.
    func makeStep() -> (step: () -> Void, tape: Tape<Float>) {
        var rng = RNG(seed: 2)
        let net = Supernet<Float>(config: config, rng: &rng)
        let images = Tensor<Float>.normal(shape: [batch, 3, 32, 32], rng: &rng)
        let labels = (0..<batch).map { $0 % 10 }
        let domains = try! config.edgeDomains()
        let tape = Tape<Float>()
        var uniform = UniformSampler()
        var mixed = UniformMixtureSampler(opCount: config.ops.count)
        let mixture = mixture, cells = config.cells
        let step = {
            let architecture = mixture ? mixed.sample(domains: domains, cells: cells, rng: &rng)
                : uniform.sample(domains: domains, cells: cells, rng: &rng)
            tape.reset()
            _ = net.step(tape: tape, images: images, labels: labels, architecture: architecture)
        }
        return (step, tape)
    }

    /// Median milliseconds of a step, and the tape's profile of a quarter as many more steps with the
    /// op timers on (kept out of the median).
    func time(repetitions: Int) -> (milliseconds: Double, profile: TapeProfile, profiledNanoseconds: UInt64) {
        let (step, tape) = makeStep()
        let median = medianMilliseconds(repetitions: repetitions, step)
        tape.profile = TapeProfile()
        let start = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<Swift.max(3, repetitions / 4) { step() }
        let elapsed = DispatchTime.now().uptimeNanoseconds - start
        return (median, tape.profile!, elapsed)
    }
}

func line(_ name: String, batch: Int, threads: Int, ours: Double, torch: Double?, fmaShare: Double? = nil) -> String {
    let torchText = torch.map { String(format: "%.2f", $0) } ?? "n/a"
    let ratio = torch.map { String(format: "%.2f", ours / $0) } ?? "n/a"
    let share = fmaShare.map { String(format: " fma_peak=%.0f%%", 100 * $0) } ?? ""
    return String(format: "BENCH %@ B=%d threads=%d ours_ms=%.2f torch_ms=%@ ratio=%@%@", name as NSString, batch,
                  threads, ours, torchText as NSString, ratio as NSString, share as NSString)
}

/// The 1 -> 2 thread speedup of a step, ours and the peer's.
func scalingLine(_ name: String, batch: Int, ours: [Double], torch: [Double?]) -> String {
    let theirs = (torch.count == 2 && torch[0] != nil && torch[1] != nil)
        ? String(format: "%.2f", torch[0]! / torch[1]!) : "n/a"
    return String(format: "SCALING %@ B=%d ours_1to2=%.2f torch_1to2=%@", name as NSString, batch, ours[0] / ours[1],
                  theirs as NSString)
}

/// Peak memory of a step beyond what was resident before it, ours and the peer's, each in a fresh process.
func memoryLine(_ name: String, batch: Int, torchRequest: String?, peer: Bool) -> String {
    let threads = 2
    let ours = PeakMemory.ours(step: name, threads: threads)
    let theirs = peer ? torchRequest.flatMap { PeakMemory.peer(packageRoot: packageRoot, request: $0, batch: batch,
                                                                threads: threads) } : nil
    func text(_ m: (baseline: Double, peak: Double)?) -> String { m.map { String(format: "%.0f", $0.peak - $0.baseline) } ?? "n/a" }
    func total(_ m: (baseline: Double, peak: Double)?) -> String { m.map { String(format: "%.0f", $0.peak) } ?? "n/a" }
    let ratio = (ours != nil && theirs != nil)
        ? String(format: "%.2f", (ours!.peak - ours!.baseline) / (theirs!.peak - theirs!.baseline)) : "n/a"
    return "MEMORY \(name) B=\(batch) threads=\(threads) ours_mb=\(text(ours)) torch_mb=\(text(theirs)) ratio=\(ratio)"
        + " ours_total_mb=\(total(ours)) torch_total_mb=\(total(theirs))"
}

/// `wiringbench memory <step> <threads>`, in the child: runs the named step three times, prints its memory.
func runMemoryChild(step name: String, threads: Int) {
    let step: (() -> Void)? = SupernetStep.all.first { $0.name == name }.map { $0.makeStep().step }
        ?? SearchStepBench.all.first { $0.name == name }.map { $0.makeStep().step }
    guard let step else {
        print("wiringbench memory: no step named \(name)")
        exit(2)
    }
    let measured = withThreads(threads) { PeakMemory.measure(step) }
    print(String(format: "MEMORY_RESULT %.3f %.3f", measured.baseline, measured.peak))
}

/// The five most expensive op phases as shares of the measured wall time, and what the timers missed.
func profileLine(_ name: String, _ profile: TapeProfile, wall: UInt64) -> String {
    let shares = profile.top(5).map { String(format: "%@=%.1f%%", $0.name as NSString, 100 * Double($0.nanoseconds) / Double(wall)) }
    let untimed = 100 * (1 - Double(profile.total) / Double(wall))
    return "profile \(name) " + shares.joined(separator: " ") + String(format: " untimed=%.1f%%", untimed)
}

func runBenchmarks(repetitions: Int = 20, only filter: String? = nil) {
    let torch = TorchPeer(packageRoot: packageRoot)
    print(torch == nil ? "PyTorch: not available (\(TorchPeer.unavailableReason)); apt-get install python3-torch for the side-by-side numbers"
                       : "PyTorch: /usr/bin/python3 tools/bench_torch.py, channels_last, same thread count")
    print("Float, C = 16, 32x32; median of \(repetitions) runs after 3 warm-up runs; GFLOP/s counts conv MACs x 2 (x3 fwd+bwd)")
    // The machine's FMA rate at 1 and 2 threads, against which each step's fma_peak share is taken.
    let peak = [MachinePeak.gflops(threads: 1), MachinePeak.gflops(threads: 2)]
    print(String(format: "MACHINE fma_peak_gflops threads=1 %.1f threads=2 %.1f", peak[0], peak[1]))
    var costLines: [String] = []
    var costRows: [(String, Int, Double, Double)] = []
    for block in Block.all(channels: 16) where filter.map(block.name.contains) ?? true {
        for b in [64, 96] {
            for threads in [1, 2] {
                let ours = withThreads(threads) { block.time(batch: b, repetitions: repetitions) }
                if b == 96 {
                    costLines.append(String(format: "COST block=%@ C=%d HxW=32x32 threads=%d forward_ms_per_image=%.4f ms_per_image=%.4f",
                                            block.costName as NSString, block.outputChannels, threads,
                                            ours.forward / Double(b), ours.forwardBackward / Double(b)))
                    costRows.append((block.costName, threads, ours.forward / Double(b), ours.forwardBackward / Double(b)))
                }
                let theirs = torch?.time(kind: "block", name: block.name, batch: b, threads: threads,
                                         repetitions: repetitions)
                let flops = block.forwardFlops(batch: b)
                print(String(format: "  %-16@ B=%d threads=%d forward %.2f ms (%.1f GFLOP/s) forward+backward %.2f ms (%.1f GFLOP/s)",
                             block.name as NSString, b, threads, ours.forward, flops / ours.forward / 1e6,
                             ours.forwardBackward, 3 * flops / ours.forwardBackward / 1e6))
                print(line(block.name, batch: b, threads: threads, ours: ours.forwardBackward,
                           torch: theirs?["forward_backward"]))
            }
        }
    }
    var profileLines: [String] = []
    var scalingLines: [String] = []
    var memoryLines: [String] = []
    let steps = SupernetStep.all.filter { filter.map($0.name.contains) ?? true }
    let searchSteps = SearchStepBench.all.filter { filter.map($0.name.contains) ?? true }
    for step in steps {
        var ours: [Double] = [], theirs: [Double?] = []
        let macs = step.forwardMACs
        for threads in [1, 2] {
            let measured = withThreads(threads) { step.time(repetitions: repetitions) }
            HeapTuning.returnFreedMemory()  // the peer's step may need most of the machine's memory
            let peer = torch?.time(kind: "step", name: step.torchRequest, batch: step.batch, threads: threads,
                                   repetitions: max(5, repetitions / 2))?["forward_backward"]
            ours.append(measured.milliseconds)
            theirs.append(peer)
            print(line(step.name, batch: step.batch, threads: threads, ours: measured.milliseconds, torch: peer,
                       fmaShare: fmaShare(forwardMACs: macs, milliseconds: measured.milliseconds, peakGFLOPs: peak[threads - 1])))
            if step.name == "dsnas_step_minimal" {
                let perImage = measured.milliseconds / Double(step.batch)
                costLines.append(String(format: "COST block=step:dsnas_minimal C=16 HxW=32x32 threads=%d forward_ms_per_image=0 ms_per_image=%.4f",
                                        threads, perImage))
                costRows.append(("step:dsnas_minimal", threads, 0, perImage))
            }
            profileLines.append(profileLine("\(step.name) B=\(step.batch) threads=\(threads)", measured.profile,
                                            wall: measured.profiledNanoseconds))
        }
        scalingLines.append(scalingLine(step.name, batch: step.batch, ours: ours, torch: theirs))
        memoryLines.append(memoryLine(step.name, batch: step.batch, torchRequest: step.torchRequest, peer: torch != nil))
    }
    // Whole search steps (SearchBench.swift): fewer repetitions, a bi-level or 8-cell step takes seconds.
    for step in searchSteps {
        var ours: [Double] = [], theirs: [Double?] = []
        let macs = step.forwardMACs
        // A sampled step's time depends on the ops drawn: more of them (the same draws at 1 and 2 threads).
        let sampled = step.search.algorithm == .dsnas || step.search.algorithm == .proxyless
        let reps = sampled ? max(7, repetitions / 2) : max(3, repetitions / 6)
        for threads in [1, 2] {
            let measured = withThreads(threads) { step.time(repetitions: reps) }
            // SNAS on 8 original cells holds ~14 GB here and ~21 GB in the peer: give ours back first.
            HeapTuning.returnFreedMemory()
            let peer = step.torchRequest.flatMap {
                torch?.time(kind: "step", name: $0, batch: step.batch, threads: threads, repetitions: reps,
                            warmup: 1)?["forward_backward"]
            }
            ours.append(measured)
            theirs.append(peer)
            print(line(step.name, batch: step.batch, threads: threads, ours: measured, torch: peer,
                       fmaShare: fmaShare(forwardMACs: macs, milliseconds: measured, peakGFLOPs: peak[threads - 1])))
        }
        scalingLines.append(scalingLine(step.name, batch: step.batch, ours: ours, torch: theirs))
        memoryLines.append(memoryLine(step.name, batch: step.batch, torchRequest: step.torchRequest, peer: torch != nil))
    }
    for text in scalingLines + memoryLines { print(text) }
    for text in profileLines { print(text) }
    print("Per-image cost of each block, forward+backward at B=96 (ms_per_image = median step ms / 96):")
    for text in costLines { print(text) }
    if filter == nil {
        for (block, threads, forward, both) in runnerCostRows() {
            costLines.append(String(format: "COST block=%@ C=16 HxW=32x32 threads=%d forward_ms_per_image=%.4f ms_per_image=%.4f",
                                    block as NSString, threads, forward, both))
            costRows.append((block, threads, forward, both))
        }
        // The speed probe `plan` times on the user's machine, measured here beside the rows it scales.
        let probe = HostSpeed.probe(budget: 3, maximumSteps: 5000)
        costLines.append(String(format: "COST block=%@ (plan's speed probe) threads=1 ms_per_image=%.4f",
                                HostSpeed.tableBlock as NSString, probe))
        costRows.append((HostSpeed.tableBlock, 1, 0, probe))
        for text in costLines.suffix(7) { print(text) }
    }
    print("The same as StepCostTable.measured rows (Sources/WiringSpec/Plan/StepCostTable.swift):")
    for (block, threads, forward, both) in costRows {
        print(String(format: "        Row(block: \"%@\", threads: %d, forward: %.4f, forwardBackward: %.4f),",
                     block as NSString, threads, forward, both))
    }
}

/// The whole tape profile of each supernet step at the current thread count: ms per step for every op phase.
func runStepProfiles(repetitions: Int, only filter: String?) {
    let threads = ProcessInfo.processInfo.environment["WIRINGBENCH_THREADS"].flatMap { Int($0) } ?? 2
    func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
            + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }
    withThreads(threads) {
    for step in SupernetStep.all where filter.map(step.name.contains) ?? true {
        let cpuStart = cpuSeconds()
        let result = step.time(repetitions: repetitions)
        let runs = Double(Swift.max(3, repetitions / 4))
        // CPU time (user + system, all threads) per step over the timed, warm-up and profiled steps:
        // less disturbed than wall time when other processes share the cores.
        let cpuPerStep = (cpuSeconds() - cpuStart) / (Double(repetitions) + 3 + runs) * 1e3
        print(String(format: "%@ B=%d threads=%d median %.2f ms; profiled %.2f ms per step; cpu %.2f ms per step",
                     step.name as NSString, step.batch, Parallel.threads, result.milliseconds,
                     Double(result.profiledNanoseconds) / runs / 1e6, cpuPerStep))
        printProfile(result.profile, runs: runs, wall: result.profiledNanoseconds)
    }
    for step in SearchStepBench.all where filter.map(step.name.contains) ?? true {
        let runs = max(3, repetitions / 4)
        let result = step.profile(repetitions: runs)
        print(String(format: "%@ B=%d threads=%d median %.2f ms; profiled %.2f ms per step", step.name as NSString,
                     step.batch, Parallel.threads, result.milliseconds, Double(result.profiledNanoseconds) / Double(runs) / 1e6))
        printProfile(result.profile, runs: Double(runs), wall: result.profiledNanoseconds)
    }
    }
}

/// Every op phase of a profile: ms per step and share of the profiled wall time (`untimed`: outside every op).
func printProfile(_ profile: TapeProfile, runs: Double, wall: UInt64) {
    for (name, ns) in profile.top(1000) {
        print(String(format: "  %@ %8.2f ms  %5.1f%%", name.padding(toLength: 30, withPad: " ", startingAt: 0) as NSString,
                     Double(ns) / runs / 1e6, 100 * Double(ns) / Double(wall)))
    }
    let untimed = Double(wall) - Double(profile.total)
    print(String(format: "  %@ %8.2f ms  %5.1f%%", "untimed".padding(toLength: 30, withPad: " ", startingAt: 0) as NSString,
                 untimed / runs / 1e6, 100 * untimed / Double(wall)))
}

/// Prints an FNV-1a hash of the bit patterns of every probe and parameter gradient of two steps of
/// each supernet step, at 1 and 2 threads: a kernel change that claims to keep results bitwise the
/// same must keep these lines.
func runChecksums() {
    for step in SupernetStep.all {
        for threads in [1, 2] { Parallel.$threads.withValue(threads) {
            var rng = RNG(seed: 2)
            let net = Supernet<Float>(config: step.config, rng: &rng)
            let images = Tensor<Float>.normal(shape: [step.batch, 3, 32, 32], rng: &rng)
            let labels = (0..<step.batch).map { $0 % 10 }
            let domains = try! step.config.edgeDomains()
            var uniform = UniformSampler()
            var mixed = UniformMixtureSampler(opCount: step.config.ops.count)
            var hash: UInt64 = 0xcbf2_9ce4_8422_2325
            func mix(_ bits: UInt64) { hash = (hash ^ bits) &* 0x100_0000_01b3 }
            for _ in 0..<2 {
                let architecture = step.mixture ? mixed.sample(domains: domains, cells: step.config.cells, rng: &rng)
                    : uniform.sample(domains: domains, cells: step.config.cells, rng: &rng)
                let tape = Tape<Float>()
                let (trace, probe) = net.step(tape: tape, images: images, labels: labels, architecture: architecture)
                for value in probe.edgeCost.joined() { mix(value.bitPattern) }
                for value in probe.opCost.joined().joined() { mix(value.bitPattern) }
                for value in probe.edgeInputCost.joined() { mix(value.bitPattern) }
                for value in probe.nodeCost.joined() { mix(value.bitPattern) }
                for value in probe.nodeCostViaEdges.joined() { mix(value.bitPattern) }
                for value in probe.nodeCostViaOutput.joined() { mix(value.bitPattern) }
                for value in probe.cellOutputCost { mix(value.bitPattern) }
                mix(probe.loss.bitPattern)
                let gradients = net.gradients(trace: trace, tape: tape)
                for name in gradients.keys.sorted() {
                    for value in gradients[name]!.scalars { mix(UInt64(value.bitPattern)) }
                }
                print(String(format: "  %@ threads=%d loss=%.9g edgeCost[0][0]=%.17g", step.name as NSString, threads,
                             probe.loss, probe.edgeCost[0][0]))
            }
            print("CHECKSUM \(step.name) threads=\(threads) \(String(hash, radix: 16))")
        } }
    }
}
