// Timing of the conv2d kernels at the search shapes (B = 64, C = 16, 32x32, Float), for each
// thread count. Run a release build: `swift run -c release -Xswiftc -target-cpu -Xswiftc haswell wiringbench`.
import Foundation
import WiringEngine

/// Prints the best forward, input-gradient and weight-gradient time of every conv shape the search uses.
func runConvBench(threadCounts: [Int] = [1, 2], repeats: Int = 15) {
    let cases: [(String, Conv2DShape)] = [
        ("dw3x3 s1 p1", Conv2DShape(batch: 64, inChannels: 16, outChannels: 16, height: 32, width: 32, kernel: 3,
                                    padding: 1, groups: 16)),
        ("dw5x5 s1 p2", Conv2DShape(batch: 64, inChannels: 16, outChannels: 16, height: 32, width: 32, kernel: 5,
                                    padding: 2, groups: 16)),
        ("dw3x3 d2 p2", Conv2DShape(batch: 64, inChannels: 16, outChannels: 16, height: 32, width: 32, kernel: 3,
                                    padding: 2, dilation: 2, groups: 16)),
        ("dw5x5 d2 p4", Conv2DShape(batch: 64, inChannels: 16, outChannels: 16, height: 32, width: 32, kernel: 5,
                                    padding: 4, dilation: 2, groups: 16)),
        ("dw3x3 s2 p1", Conv2DShape(batch: 64, inChannels: 16, outChannels: 16, height: 32, width: 32, kernel: 3,
                                    stride: 2, padding: 1, groups: 16)),
        ("pw 16->16", Conv2DShape(batch: 64, inChannels: 16, outChannels: 16, height: 32, width: 32, kernel: 1)),
        ("pw 48->16", Conv2DShape(batch: 64, inChannels: 48, outChannels: 16, height: 32, width: 32, kernel: 1)),
        ("pw 64->16", Conv2DShape(batch: 64, inChannels: 64, outChannels: 16, height: 32, width: 32, kernel: 1)),
        ("pw s2 16->8", Conv2DShape(batch: 64, inChannels: 16, outChannels: 8, height: 32, width: 32, kernel: 1,
                                    stride: 2)),
        ("stem 3->48", Conv2DShape(batch: 64, inChannels: 3, outChannels: 48, height: 32, width: 32, kernel: 3,
                                   padding: 1)),
    ]
    print("conv2d, Float, best of \(repeats) runs, milliseconds (1 thread: CPU time; more: wall time)")
    let header = threadCounts.map { "  fwd@\($0)   dx@\($0)   dw@\($0) " }.joined()
    print("case".padding(toLength: 14, withPad: " ", startingAt: 0) + header)
    var totals: [String: [Double]] = [:]  // forward + dx + dw, per thread count
    for (name, shape) in cases {
        var rng = RNG(seed: 1)
        let x = Tensor<Float>.normal(shape: shape.inputShape, rng: &rng)
        let w = Tensor<Float>.normal(shape: shape.weightShape, rng: &rng)
        let g = Tensor<Float>.normal(shape: shape.outputShape, rng: &rng)
        var y = Tensor<Float>(zeros: shape.outputShape)
        var dx = Tensor<Float>(zeros: shape.inputShape)
        var dw = Tensor<Float>(zeros: shape.weightShape)
        var line = name.padding(toLength: 14, withPad: " ", startingAt: 0)
        for threads in threadCounts { Parallel.$threads.withValue(threads) {
            let forward = bestMilliseconds(repeats, cpu: threads == 1) {
                y.withUnsafeMutableBufferPointer { yb in
                    x.withUnsafeBufferPointer { xb in
                        w.withUnsafeBufferPointer { wb in conv2dForward(yb, xb, wb, shape) }
                    }
                }
            }
            let inputGradient = bestMilliseconds(repeats, cpu: threads == 1) {
                dx.withUnsafeMutableBufferPointer { dxb in
                    g.withUnsafeBufferPointer { gb in
                        x.withUnsafeBufferPointer { xb in
                            w.withUnsafeBufferPointer { wb in conv2dBackward(dxb, nil, gb, xb, wb, shape) }
                        }
                    }
                }
            }
            let weightGradient = bestMilliseconds(repeats, cpu: threads == 1) {
                dw.withUnsafeMutableBufferPointer { dwb in
                    g.withUnsafeBufferPointer { gb in
                        x.withUnsafeBufferPointer { xb in
                            w.withUnsafeBufferPointer { wb in conv2dBackward(nil, dwb, gb, xb, wb, shape) }
                        }
                    }
                }
            }
            line += "  " + [forward, inputGradient, weightGradient].map(format).joined(separator: " ")
            totals[name, default: []].append(forward + inputGradient + weightGradient)
        } }
        print(line)
    }
    // The conv share of the two ops that dominate the search (reference-spec section 2).
    for (op, parts) in [("sep_conv_3x3", ["dw3x3 s1 p1", "pw 16->16", "dw3x3 s1 p1", "pw 16->16"]),
                        ("dil_conv_3x3", ["dw3x3 d2 p2", "pw 16->16"])] {
        let sums = threadCounts.indices.map { t in parts.reduce(0) { $0 + totals[$1]![t] } }
        let times = zip(threadCounts, sums).map { "\(format($1)) @\($0)" }
        print("\(op) convs, forward + backward: " + times.joined(separator: ", "))
    }
}

/// The smallest time per call over `repeats` calls of `body`, after one warm-up call: wall time,
/// or with `cpu` the calling thread's CPU time (robust on a loaded machine, but only meaningful
/// for one thread).
private func bestMilliseconds(_ repeats: Int, cpu: Bool, _ body: () -> Void) -> Double {
    body()
    var best = Double.infinity
    for _ in 0..<repeats {
        let start = now(cpu: cpu)
        body()
        best = min(best, now(cpu: cpu) - start)
    }
    return best
}

private func now(cpu: Bool) -> Double {
    var t = timespec()
    clock_gettime(cpu ? CLOCK_THREAD_CPUTIME_ID : CLOCK_MONOTONIC, &t)
    return Double(t.tv_sec) * 1e3 + Double(t.tv_nsec) * 1e-6
}

private func format(_ ms: Double) -> String { String(format: "%6.3f", ms) }
