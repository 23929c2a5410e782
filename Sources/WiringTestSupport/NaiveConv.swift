// The test oracle for Conv2D: PyTorch's definition written as plain nested loops over every
// (sample, output channel, output pixel, input channel of the group, tap), summed in Double.
// It shares no code with the engine's kernels except the shape struct.
import WiringEngine

/// out[n, o, y, x] = sum_{c, i, j} w[o, c, i, j] * in[n, g*Cg + c, y*S - P + i*D, x*S - P + j*D], g = o / Og.
///
/// - Parameters:
///   - input: (N, C, H, W).
///   - weight: (O, C/G, K, K).
///   - shape: the convolution's sizes.
/// - Returns: (N, O, OH, OW).
public func naiveConv2d<T: TensorElement>(_ input: Tensor<T>, weight: Tensor<T>, shape s: Conv2DShape) -> Tensor<T> {
    precondition(input.shape == s.inputShape && weight.shape == s.weightShape, "naiveConv2d: shapes do not match \(s)")
    let Cg = s.groupInChannels, Og = s.groupOutChannels, K = s.kernel
    var out = [T](repeating: 0, count: s.outputCount)
    for n in 0..<s.batch {
        for o in 0..<s.outChannels {
            let g = o / Og
            for y in 0..<s.outHeight {
                for x in 0..<s.outWidth {
                    var sum = 0.0
                    for c in 0..<Cg {
                        for i in 0..<K {
                            for j in 0..<K {
                                let iy = y * s.stride - s.padding + i * s.dilation
                                let ix = x * s.stride - s.padding + j * s.dilation
                                guard iy >= 0 && iy < s.height && ix >= 0 && ix < s.width else { continue }
                                let xv = input[flat: ((n * s.inChannels + g * Cg + c) * s.height + iy) * s.width + ix]
                                let wv = weight[flat: ((o * Cg + c) * K + i) * K + j]
                                sum += Double(xv) * Double(wv)
                            }
                        }
                    }
                    out[((n * s.outChannels + o) * s.outHeight + y) * s.outWidth + x] = T(sum)
                }
            }
        }
    }
    return Tensor(shape: s.outputShape, scalars: out)
}

/// The gradients of sum(naiveConv2d(input, weight) * dOutput): each product term of the forward
/// sum is visited once and its two partial derivatives are added to dInput and dWeight.
///
/// - Returns: dInput (N, C, H, W) and dWeight (O, C/G, K, K).
public func naiveConv2dBackward<T: TensorElement>(
    dOutput: Tensor<T>, input: Tensor<T>, weight: Tensor<T>, shape s: Conv2DShape
) -> (dInput: Tensor<T>, dWeight: Tensor<T>) {
    precondition(dOutput.shape == s.outputShape && input.shape == s.inputShape && weight.shape == s.weightShape,
                 "naiveConv2dBackward: shapes do not match \(s)")
    let Cg = s.groupInChannels, Og = s.groupOutChannels, K = s.kernel
    var dIn = [Double](repeating: 0, count: input.count)
    var dW = [Double](repeating: 0, count: weight.count)
    for n in 0..<s.batch {
        for o in 0..<s.outChannels {
            let g = o / Og
            for y in 0..<s.outHeight {
                for x in 0..<s.outWidth {
                    let up = Double(dOutput[flat: ((n * s.outChannels + o) * s.outHeight + y) * s.outWidth + x])
                    for c in 0..<Cg {
                        for i in 0..<K {
                            for j in 0..<K {
                                let iy = y * s.stride - s.padding + i * s.dilation
                                let ix = x * s.stride - s.padding + j * s.dilation
                                guard iy >= 0 && iy < s.height && ix >= 0 && ix < s.width else { continue }
                                let xi = ((n * s.inChannels + g * Cg + c) * s.height + iy) * s.width + ix
                                let wi = ((o * Cg + c) * K + i) * K + j
                                dIn[xi] += Double(weight[flat: wi]) * up
                                dW[wi] += Double(input[flat: xi]) * up
                            }
                        }
                    }
                }
            }
        }
    }
    return (Tensor(shape: s.inputShape, scalars: dIn.map { T($0) }),
            Tensor(shape: s.weightShape, scalars: dW.map { T($0) }))
}
