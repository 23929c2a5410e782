// The building blocks of every op, preprocessing and stem: a small sequence of layers, each
// with the state_dict name of its parameters. An op's forward is a fold over its layers, which
// keeps the reference's exact stacks (reference-spec section 2) readable in one table.
import WiringEngine

/// One layer of an op's stack.
public enum Layer: Hashable, Sendable {
    case relu
    /// A convolution without bias; `name` is its weight's state_dict name.
    case conv(name: String, inChannels: Int, outChannels: Int, kernel: Int, stride: Int, padding: Int,
              dilation: Int, groups: Int)
    /// A normalisation; `prefix` names its gamma/beta (`<prefix>.weight/.bias`) and running statistics.
    case norm(prefix: String, channels: Int, config: NormConfig)
    case maxPool(stride: Int)
    case avgPool(stride: Int)
}

extension Layer {
    /// Creates this layer's parameters and buffers in `store`, drawing weights from `rng` with
    /// PyTorch's default: U(-b, b), b = 1 / sqrt(fan_in), fan_in = (inChannels / groups) K^2
    /// (or inChannels K^2 with PyTorch 0.4's legacy depthwise rule); affine gamma 1, beta 0.
    public func initialise<T>(_ store: inout ParameterStore<T>, rng: inout RNG, legacyDepthwiseFanIn: Bool) {
        switch self {
        case .relu, .maxPool, .avgPool:
            return
        case let .conv(name, cin, cout, k, _, _, _, groups):
            let fanIn = (legacyDepthwiseFanIn ? cin : cin / groups) * k * k
            let bound = 1 / Double(fanIn).squareRoot()
            store.add(name, .uniform(shape: [cout, cin / groups, k, k], lo: -bound, hi: bound, rng: &rng))
        case let .norm(prefix, channels, config):
            if config.kind == .none { return }
            if config.affine {
                store.add(prefix + ".weight", Tensor(shape: [channels], repeating: 1))
                store.add(prefix + ".bias", Tensor(zeros: [channels]))
            }
            if config.kind == .batch { store.addStatistics(prefix, channels: channels) }
        }
    }

    /// Records this layer's forward on `tape`. `vars` maps parameter names to their tape handles.
    /// `normalizedNext`: a normalisation from the output's own statistics follows (a conv then takes
    /// its output's plane moments as it writes them, `conv2d(outputMoments:)`).
    public func forward<T>(_ x: Var, tape: Tape<T>, store: inout ParameterStore<T>, vars: [String: Var],
                           training: Bool, normalizedNext: Bool = false) -> Var {
        switch self {
        case .relu:
            return tape.relu(x)
        case let .conv(name, _, _, _, stride, padding, dilation, groups):
            return tape.conv2d(x, weight: vars[name]!, stride: stride, padding: padding, dilation: dilation,
                               groups: groups, outputMoments: normalizedNext)
        case let .norm(prefix, _, config):
            let gamma = config.affine ? vars[prefix + ".weight"] : nil
            let beta = config.affine ? vars[prefix + ".bias"] : nil
            guard let kind = config.kind.statisticsKind else { return x }
            return tape.normalize(x, gamma: gamma, beta: beta, kind: kind, running: &store.runningStatistics[prefix],
                                  training: training, eps: config.eps, momentum: config.momentum)
        case let .maxPool(stride):
            return tape.maxPool3x3(x, stride: stride)
        case let .avgPool(stride):
            return tape.avgPool3x3(x, stride: stride)
        }
    }

    /// Records a convolution layer on `x`, reading relu(x) when `reluInput` (the fused ReLU).
    func forwardConv<T>(_ x: Var, tape: Tape<T>, vars: [String: Var], reluInput: Bool, normalizedNext: Bool) -> Var? {
        guard case let .conv(name, _, _, _, stride, padding, dilation, groups) = self else { return nil }
        return tape.conv2d(x, weight: vars[name]!, stride: stride, padding: padding, dilation: dilation,
                           groups: groups, reluInput: reluInput, outputMoments: normalizedNext)
    }

    /// Whether this layer normalises with its input's own statistics (so a conv before it may take
    /// them as it writes, see `forward(normalizedNext:)`): instance and layer norm, and batch norm in training.
    func normalisesWithInputStatistics(training: Bool) -> Bool {
        guard case let .norm(_, _, config) = self, let kind = config.kind.statisticsKind else { return false }
        return kind != .batch || training
    }

    /// Names of the parameters this layer owns.
    public var parameterNames: [String] {
        switch self {
        case let .conv(name, _, _, _, _, _, _, _): return [name]
        case let .norm(prefix, _, config) where config.affine && config.kind != .none:
            return [prefix + ".weight", prefix + ".bias"]
        default: return []
        }
    }

    /// Number of learnable values of this layer (conv weights, affine gamma and beta).
    public var parameterCount: Int {
        switch self {
        case let .conv(_, cin, cout, k, _, _, _, groups): return (cin / groups) * cout * k * k
        case let .norm(_, channels, config) where config.affine && config.kind != .none: return 2 * channels
        default: return 0
        }
    }

    /// Multiply-accumulates of the forward pass for one sample of `height x width` (for cost estimates).
    public func forwardMACs(height: Int, width: Int) -> Int {
        if case let .conv(_, cin, cout, k, stride, _, _, groups) = self {
            return (cin / groups) * cout * k * k * (height / stride) * (width / stride)
        }
        return 0
    }
}

extension Array where Element == Layer {
    /// Records the layers in order on `tape`. Two fusions give the same values and gradients with
    /// fewer passes over memory: a ReLU right before a convolution is read by the convolution
    /// (`conv2d(reluInput:)`), and a depthwise conv followed by a 1x1 conv (with that ReLU or not)
    /// is one `separableConv2d`, which never stores the depthwise output.
    public func forward<T>(_ x: Var, tape: Tape<T>, store: inout ParameterStore<T>, vars: [String: Var],
                           training: Bool) -> Var {
        /// Whether layer j normalises with its input's statistics (false past the end).
        func normalizes(_ j: Int) -> Bool { j < count && self[j].normalisesWithInputStatistics(training: training) }
        var h = x, i = 0
        while i < count {
            let relu = self[i] == .relu
            let convAt = relu ? i + 1 : i
            if convAt + 1 < count, let fused = self[convAt].forwardSeparable(then: self[convAt + 1], h, tape: tape,
                                                                             vars: vars, reluInput: relu,
                                                                             normalizedNext: normalizes(convAt + 2)) {
                h = fused
                i = convAt + 2
                continue
            }
            if relu, i + 1 < count, let fused = self[i + 1].forwardConv(h, tape: tape, vars: vars, reluInput: true,
                                                                        normalizedNext: normalizes(i + 2)) {
                h = fused
                i += 2
                continue
            }
            h = self[i].forward(h, tape: tape, store: &store, vars: vars, training: training,
                                normalizedNext: normalizes(i + 1))
            i += 1
        }
        return h
    }
}

extension Array where Element == [Layer] {
    /// Records these layer stacks, each on the same input `x`. When every stack begins with a 1x1 conv
    /// (stride 1, no padding, no groups; after a ReLU in all of them or in none) and the tape allows it,
    /// the convs read x once, as one `pointwiseConvs`, and the rest of each stack follows in stack
    /// order: the first cell's two preprocessings both read the stem. Otherwise each stack runs alone.
    public func forward<T>(sharing x: Var, tape: Tape<T>, store: inout ParameterStore<T>, vars: [String: Var],
                           training: Bool) -> [Var] {
        let relu = first?.first == .relu
        let convAt = relu ? 1 : 0
        let weights = map { stack -> String? in
            guard stack.count > convAt, (stack.first == .relu) == relu,
                  case let .conv(name, _, _, 1, 1, 0, _, 1) = stack[convAt] else { return nil }
            return name
        }
        guard tape.readsSharedInputsOnce, count > 1, weights.allSatisfy({ $0 != nil }) else {
            return map { $0.forward(x, tape: tape, store: &store, vars: vars, training: training) }
        }
        let normalizedNext = map { stack in
            stack.count > convAt + 1 && stack[convAt + 1].normalisesWithInputStatistics(training: training)
        }
        let convolved = tape.pointwiseConvs(x, weights: weights.map { vars[$0!]! }, reluInput: relu,
                                            outputMoments: normalizedNext)
        return indices.map { i in
            [Layer](self[i].dropFirst(convAt + 1)).forward(convolved[i], tape: tape, store: &store, vars: vars,
                                                        training: training)
        }
    }
}

extension Layer {
    /// Records this depthwise conv and `next`, a 1x1 conv on its output, as one `separableConv2d`;
    /// nil (nothing recorded) when the two layers are not of that form.
    func forwardSeparable<T>(then next: Layer, _ x: Var, tape: Tape<T>, vars: [String: Var], reluInput: Bool,
                             normalizedNext: Bool) -> Var? {
        guard case let .conv(name, cin, cout, _, stride, padding, dilation, groups) = self,
              groups == cin, cout == cin,
              case let .conv(nextName, nextIn, _, 1, 1, 0, _, 1) = next, nextIn == cout else { return nil }
        return tape.separableConv2d(x, depthwise: vars[name]!, pointwise: vars[nextName]!, stride: stride,
                                    padding: padding, dilation: dilation, reluInput: reluInput,
                                    outputMoments: normalizedNext)
    }
}
