// The plain pooling loops of PyTorch's CPU kernels (kernel 3, padding 1), one output at a time: the test
// oracle of the fast kernels in WiringEngine/Ops/Pooling.swift, kept apart from them.
import WiringEngine

/// PyTorch's max_pool2d loop (kernel 3, padding 1): value and in-plane argmax of every output.
public func naiveMaxPool(_ x: Tensor<Double>, stride s: Int) -> (values: [Double], argmax: [Int]) {
    let (P, H, W) = (x.shape[0] * x.shape[1], x.shape[2], x.shape[3])
    let (OH, OW) = ((H - 1) / s + 1, (W - 1) / s + 1)
    var values: [Double] = [], argmax: [Int] = []
    for p in 0..<P {
        for oh in 0..<OH {
            for ow in 0..<OW {
                let (r0, r1) = (max(oh * s - 1, 0), min(oh * s + 2, H))
                let (c0, c1) = (max(ow * s - 1, 0), min(ow * s + 2, W))
                var best = -Double.infinity, index = r0 * W + c0
                for r in r0..<r1 {
                    for c in c0..<c1 {
                        let v = x[flat: p * H * W + r * W + c]
                        if v > best || v.isNaN { (best, index) = (v, r * W + c) }
                    }
                }
                values.append(best)
                argmax.append(index)
            }
        }
    }
    return (values, argmax)
}

/// PyTorch's avg_pool2d loop (kernel 3, padding 1, count_include_pad = false).
public func naiveAvgPool<T: TensorElement>(_ x: Tensor<T>, stride s: Int) -> [T] {
    let (P, H, W) = (x.shape[0] * x.shape[1], x.shape[2], x.shape[3])
    var out: [T] = []
    for p in 0..<P {
        for oh in 0..<(H - 1) / s + 1 {
            for ow in 0..<(W - 1) / s + 1 {
                let (r0, r1) = (max(oh * s - 1, 0), min(oh * s + 2, H))
                let (c0, c1) = (max(ow * s - 1, 0), min(ow * s + 2, W))
                var sum: T = 0
                for r in r0..<r1 {
                    for c in c0..<c1 { sum += x[flat: p * H * W + r * W + c] }
                }
                out.append(sum / T((r1 - r0) * (c1 - c0)))
            }
        }
    }
    return out
}

