// The optimisers of the reference scripts with PyTorch's exact update rules (reference-spec 5.4):
// SGD with momentum and L2 weight decay for theta, Adam with L2 weight decay for alpha, global-norm
// gradient clipping, and the cosine learning-rate schedule stepped at the start of each epoch.
import WiringEngine
import WiringModel

extension SGDConfig {
    /// The learning rate of epoch `epoch` (0-based) of a `epochs`-epoch phase. The reference steps
    /// its scheduler at the start of every epoch, so epoch 0 already uses step 1:
    /// lr_e = lrMin + (lr - lrMin)(1 + cos(pi (e + 1) / T)) / 2.
    public func learningRate(epoch: Int, of epochs: Int) -> Double {
        switch schedule {
        case .constant: return lr
        case .cosine:
            return lrMin + (lr - lrMin) * (1 + Double.cos(Double.pi * Double(epoch + 1) / Double(max(1, epochs)))) / 2
        }
    }
}

/// Scales `gradients` so that their global L2 norm is at most `maxNorm`, as torch's
/// `clip_grad_norm_` (coefficient maxNorm / (norm + 1e-6), applied only when below 1).
/// - Returns: the norm before clipping.
@discardableResult
public func clipGlobalNorm<T: TensorElement>(_ gradients: inout [String: Tensor<T>], maxNorm: Double) -> Double {
    var sumSquares = 0.0
    for name in gradients.keys.sorted() {
        gradients[name]!.withUnsafeBufferPointer { sumSquares += DeterministicSum.dot($0, $0) }
    }
    let norm = sumSquares.squareRoot()
    let coefficient = maxNorm / (norm + 1e-6)
    if coefficient < 1 {
        for name in gradients.keys {
            gradients[name]!.withUnsafeMutableBufferPointer { g in
                for i in g.indices { g[i] *= T(coefficient) }
            }
        }
    }
    return norm
}

/// SGD with momentum and L2 weight decay, PyTorch semantics:
/// g = grad + wd * theta; buf = momentum * buf + g (buf = g at the first step); theta -= lr * buf.
public struct SGD<T: TensorElement> {
    public var config: SGDConfig
    /// Momentum buffers by parameter name.
    public var momentum: [String: Tensor<T>] = [:]

    public init(config: SGDConfig) { self.config = config }

    /// One step on every parameter in `store`. Parameters without an entry in `gradients` get a zero
    /// gradient, so weight decay and momentum still move them: the reference's `init_model` gives every
    /// parameter a zero gradient before step 0 (reference-spec 5.1, the faithful choice). With
    /// `skipMissing` (default: `config.skipMissingGradients`) only the parameters that have gradients
    /// are updated (modern PyTorch).
    public mutating func step(_ store: inout ParameterStore<T>, gradients: [String: Tensor<T>], lr: Double,
                              skipMissing: Bool? = nil) {
        let mu = T(config.momentum), wd = T(config.weightDecay), rate = T(lr)
        let skipMissing = skipMissing ?? config.skipMissingGradients
        for name in store.names {
            let grad = gradients[name]
            if grad == nil && skipMissing { continue }
            var theta = store[name]!
            let hadBuffer = momentum[name] != nil
            var buffer = momentum[name] ?? Tensor(zeros: theta.shape)
            let zeros = grad == nil ? Tensor<T>(zeros: theta.shape) : nil
            (grad ?? zeros!).withUnsafeBufferPointer { dw in
                theta.withUnsafeMutableBufferPointer { w in
                    buffer.withUnsafeMutableBufferPointer { b in
                        for i in w.indices {
                            let g = dw[i] + wd * w[i]
                            b[i] = hadBuffer && mu != 0 ? mu * b[i] + g : g
                            w[i] -= rate * b[i]
                        }
                    }
                }
            }
            momentum[name] = buffer
            store[name] = theta
        }
    }
}

/// Adam with L2 weight decay added to the gradient (PyTorch `Adam(weight_decay=...)`, not AdamW),
/// over a flat vector of parameters (alpha).
public struct Adam: Codable, Hashable, Sendable {
    public var config: AdamConfig
    public var firstMoment: [Double] = []
    public var secondMoment: [Double] = []
    public var stepCount = 0

    public init(config: AdamConfig) { self.config = config }

    /// One step: m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2; x -= lr m_hat / (sqrt(v_hat) + eps).
    public mutating func step(_ x: inout [Double], gradient: [Double]) {
        precondition(x.count == gradient.count, "Adam.step: \(x.count) values, \(gradient.count) gradients")
        if firstMoment.isEmpty {
            firstMoment = Array(repeating: 0, count: x.count)
            secondMoment = firstMoment
        }
        stepCount += 1
        let b1 = config.beta1, b2 = config.beta2
        let correction1 = 1 - Double.pow(b1, Double(stepCount))
        let correction2 = 1 - Double.pow(b2, Double(stepCount))
        for i in x.indices {
            let g = gradient[i] + config.weightDecay * x[i]
            firstMoment[i] = b1 * firstMoment[i] + (1 - b1) * g
            secondMoment[i] = b2 * secondMoment[i] + (1 - b2) * g * g
            let denominator = (secondMoment[i] / correction2).squareRoot() + config.eps
            x[i] -= config.lr * (firstMoment[i] / correction1) / denominator
        }
    }
}
