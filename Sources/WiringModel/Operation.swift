// The eight candidate operations, FactorizedReduce and the ReLU-conv-norm preprocessing as layer
// stacks with the reference's exact layer indices (fixtures README section 3), for instance
// sep_conv_3x3 = op.0 ReLU, op.1 depthwise 3x3, op.2 1x1, op.3 norm, op.4 ReLU, op.5 depthwise 3x3,
// op.6 1x1, op.7 norm. The stacking-order ablation (paper Appx H) permutes ReLU and norm around the
// convolutions; pools are pool-norm in every order.
import WiringEngine

/// A built candidate op: its kind and its layer stack (empty for none and the identity skip).
public struct Operation: Hashable, Sendable {
    public let kind: OpKind
    public let layers: [Layer]

    /// Builds the op of `kind` on `channels` channels whose state_dict prefix is `prefix`
    /// (for example `cells.0._ops.4._ops.7`).
    public init(_ kind: OpKind, channels c: Int, stride: Int = 1, prefix: String, config: NetworkConfig) {
        self.kind = kind
        let norm = config.opNorm
        let seq = prefix + ".op."
        switch kind {
        case .none:
            layers = []
        case .skipConnect:
            layers = stride == 1 ? [] : FactorizedReduce.layers(c, c, prefix: prefix, norm: norm)
        case .maxPool3x3, .avgPool3x3:
            // DARTS wraps the pool and its norm as a bare nn.Sequential (no `.op`).
            let poolSeq = config.naming == .darts ? prefix + "." : seq
            let pool: Layer = kind == .maxPool3x3 ? .maxPool(stride: stride) : .avgPool(stride: stride)
            layers = [pool, .norm(prefix: poolSeq + "1", channels: c, config: norm)]
        case .sepConv3x3, .sepConv5x5:
            let k = kind == .sepConv3x3 ? 3 : 5
            let first = Operation.convBlock(depthwiseKernel: k, dilation: 1, stride: stride, channels: c,
                                            names: (seq + "1", seq + "2", seq + "3"), norm: norm,
                                            stacking: config.stacking)
            let second = Operation.convBlock(depthwiseKernel: k, dilation: 1, stride: 1, channels: c,
                                             names: (seq + "5", seq + "6", seq + "7"), norm: norm,
                                             stacking: config.stacking)
            layers = first + second
        case .dilConv3x3, .dilConv5x5:
            let k = kind == .dilConv3x3 ? 3 : 5
            layers = Operation.convBlock(depthwiseKernel: k, dilation: 2, stride: stride, channels: c,
                                         names: (seq + "1", seq + "2", seq + "3"), norm: norm,
                                         stacking: config.stacking)
        }
    }

    /// ReLU, depthwise KxK, pointwise 1x1 and norm in the requested order (padding keeps the size).
    static func convBlock(depthwiseKernel k: Int, dilation: Int, stride: Int, channels c: Int,
                          names: (depthwise: String, pointwise: String, norm: String), norm: NormConfig,
                          stacking: StackingOrder) -> [Layer] {
        let depthwise = Layer.conv(name: names.depthwise + ".weight", inChannels: c, outChannels: c, kernel: k,
                                   stride: stride, padding: dilation * (k - 1) / 2, dilation: dilation, groups: c)
        let pointwise = Layer.conv(name: names.pointwise + ".weight", inChannels: c, outChannels: c, kernel: 1,
                                   stride: 1, padding: 0, dilation: 1, groups: 1)
        let normLayer = Layer.norm(prefix: names.norm, channels: c, config: norm)
        switch stacking {
        case .reluConvNorm: return [.relu, depthwise, pointwise, normLayer]
        case .convReluNorm: return [depthwise, pointwise, .relu, normLayer]
        case .convNormRelu: return [depthwise, pointwise, normLayer, .relu]
        }
    }

    /// Whether the op's output is the output of a normalisation (the premise of Theorem 1).
    public var endsInNorm: Bool {
        if case let .norm(_, _, config)? = layers.last { return config.kind != .none }
        return false
    }
}

/// ReLU, then two 1x1 stride-2 convolutions C_in -> C_out / 2, the second on the input shifted by
/// one pixel, concatenated, then norm (reference-spec section 2). Used for stride-2 skips only.
public enum FactorizedReduce {
    static func layers(_ cin: Int, _ cout: Int, prefix: String, norm: NormConfig) -> [Layer] {
        [.relu,
         .conv(name: prefix + ".conv_1.weight", inChannels: cin, outChannels: cout / 2, kernel: 1, stride: 2,
               padding: 0, dilation: 1, groups: 1),
         .conv(name: prefix + ".conv_2.weight", inChannels: cin, outChannels: cout / 2, kernel: 1, stride: 2,
               padding: 0, dilation: 1, groups: 1),
         .norm(prefix: prefix + ".bn", channels: cout, config: norm)]
    }
}

extension Operation {
    /// Records the op's forward. A none op is not evaluated here (its output is exactly zero).
    public func forward<T>(_ x: Var, tape: Tape<T>, store: inout ParameterStore<T>, vars: [String: Var],
                           training: Bool) -> Var {
        precondition(kind != .none, "Operation.forward: none is never evaluated")
        if kind == .skipConnect && !layers.isEmpty {
            // FactorizedReduce: relu, two shifted stride-2 1x1 convs, concat, norm.
            let r = layers[0].forward(x, tape: tape, store: &store, vars: vars, training: training)
            let a = layers[1].forward(r, tape: tape, store: &store, vars: vars, training: training)
            let shifted = tape.spatialSlice(r, top: 1, left: 1)
            let b = layers[2].forward(shifted, tape: tape, store: &store, vars: vars, training: training)
            return layers[3].forward(tape.concatChannels([a, b]), tape: tape, store: &store, vars: vars,
                                     training: training)
        }
        return layers.forward(x, tape: tape, store: &store, vars: vars, training: training)
    }
}
