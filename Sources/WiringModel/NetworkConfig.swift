// The supernet's configuration: every ablation axis of the paper and its appendices, as plain
// Codable values. The manifest (WiringExperiment) decodes into these; the network is built from them.
// Defaults are the reference's (reference-spec sections 2-3): op order B, C = 16, BN eps 1e-5,
// ops and preprocessing affine-free, stem affine, classifier without bias.

import WiringEngine

/// A candidate operation on an edge (reference-spec section 2).
public enum OpKind: String, CaseIterable, Codable, Hashable, Sendable {
    case none
    case skipConnect = "skip_connect"
    case maxPool3x3 = "max_pool_3x3"
    case avgPool3x3 = "avg_pool_3x3"
    case sepConv3x3 = "sep_conv_3x3"
    case sepConv5x5 = "sep_conv_5x5"
    case dilConv3x3 = "dil_conv_3x3"
    case dilConv5x5 = "dil_conv_5x5"

    /// The paper's figures and the DSNAS scripts (`--order`, `PRIMITIVES2`).
    public static let orderB: [OpKind] = [
        .none, .skipConnect, .maxPool3x3, .avgPool3x3, .sepConv3x3, .dilConv3x3, .dilConv5x5, .sepConv5x5,
    ]
    /// DARTS (`PRIMITIVES`).
    public static let orderA: [OpKind] = [
        .none, .maxPool3x3, .avgPool3x3, .skipConnect, .sepConv3x3, .sepConv5x5, .dilConv3x3, .dilConv5x5,
    ]
}

/// The two named op orders of the reference codes.
public enum OpOrder: String, CaseIterable, Codable, Hashable, Sendable {
    /// The paper's figures and the DSNAS scripts.
    case orderB = "order_b"
    /// DARTS.
    case orderA = "order_a"

    /// The ops in index order.
    public var ops: [OpKind] { self == .orderB ? OpKind.orderB : OpKind.orderA }
}

/// Which normalisation a layer uses.
public enum NormKind: String, CaseIterable, Codable, Hashable, Sendable {
    /// BatchNorm2d: statistics over (N, H, W) per channel; running statistics for eval mode.
    case batch
    /// InstanceNorm2d: statistics over (H, W) per sample and channel.
    case instance
    /// Layer norm over (C, H, W) per sample, affine per channel (GroupNorm with one group).
    case layer
    /// No normalisation (identity).
    case none
}

extension NormKind {
    /// The engine's grouping of the statistics, or nil for no normalisation.
    public var statisticsKind: NormalizationKind? {
        switch self {
        case .batch: return .batch
        case .instance: return .instance
        case .layer: return .layer
        case .none: return nil
        }
    }
}

/// A normalisation layer's settings.
public struct NormConfig: Codable, Hashable, Sendable {
    public var kind: NormKind
    public var affine: Bool
    public var eps: Double
    /// Running-statistics momentum (batch norm only): running = (1 - m) running + m batch.
    public var momentum: Double

    public init(kind: NormKind = .batch, affine: Bool = false, eps: Double = 1e-5, momentum: Double = 0.1) {
        self.kind = kind
        self.affine = affine
        self.eps = eps
        self.momentum = momentum
    }
}

/// The order of ReLU, convolution and normalisation inside conv ops (paper Appx H, Figs 30-31).
/// Pools are pool-norm in every order.
public enum StackingOrder: String, CaseIterable, Codable, Hashable, Sendable {
    case reluConvNorm = "relu-conv-norm"
    case convReluNorm = "conv-relu-norm"
    case convNormRelu = "conv-norm-relu"
}

/// Which edges a constraint applies to.
public enum EdgeSelector: Codable, Hashable, Sendable {
    case edge(Int)
    /// Edges whose source is a cell input (states 0 and 1).
    case inputEdges
    /// Edges between two intermediate nodes (e4 for steps 2).
    case intermediateEdges
    case allEdges
}

/// A restriction of the ops an edge may take. Applied in list order: `delete`, `fix` and `allow` replace
/// the edge's set, `exclude` narrows what the earlier rules left (reference-spec section 4 applies
/// subsets, then fixes, then deletions, a later flag overriding an earlier one on the same edge).
public enum EdgeRestriction: Codable, Hashable, Sendable {
    /// The edge is removed (always none).
    case delete
    /// The edge always takes this op.
    case fix(OpKind)
    /// The edge samples only among these ops (replacing its set).
    case allow([OpKind])
    /// The edge never samples these ops.
    case exclude([OpKind])
}

public struct EdgeConstraint: Codable, Hashable, Sendable {
    public var selector: EdgeSelector
    public var restriction: EdgeRestriction
    public init(_ selector: EdgeSelector, _ restriction: EdgeRestriction) {
        self.selector = selector
        self.restriction = restriction
    }
}

/// The reference codes name a pool's norm differently: DSNAS `..._ops.<o>.op.1`, DARTS `..._ops.<o>.1`
/// (fixtures README section 3). Everything else is spelled the same.
public enum ParameterNaming: String, CaseIterable, Codable, Hashable, Sendable {
    case dsnas
    case darts
}

/// The paper's named cells.
public enum CellPreset: String, CaseIterable, Codable, Hashable, Sendable {
    /// Steps 2, multiplier 2: 5 edges (the paper's main object of study).
    case minimal
    /// Steps 4, multiplier 4: 14 edges (the DARTS cell).
    case original

    /// Intermediate nodes.
    public var steps: Int { self == .minimal ? 2 : 4 }
    /// Concatenated nodes.
    public var multiplier: Int { self == .minimal ? 2 : 4 }
}

/// Everything that determines the supernet's structure and initial parameters.
public struct NetworkConfig: Codable, Hashable, Sendable {
    /// Number of stacked normal cells.
    public var cells: Int = 1
    /// Intermediate nodes per cell (2 = minimal cell, 4 = original cell).
    public var steps: Int = 2
    /// How many of the last intermediate nodes are concatenated into the cell output.
    public var multiplier: Int = 2
    /// Channels per node (C).
    public var channels: Int = 16
    /// Stem output channels = stemMultiplier * channels.
    public var stemMultiplier: Int = 3
    /// Image channels of the data (1 Fashion-MNIST, 3 CIFAR-10).
    public var inputChannels: Int = 3
    public var numClasses: Int = 10
    /// Candidate ops in index order (default: order B).
    public var ops: [OpKind] = OpKind.orderB
    public var opNorm = NormConfig(kind: .batch, affine: false)
    public var preprocessNorm = NormConfig(kind: .batch, affine: false)
    public var stemNorm = NormConfig(kind: .batch, affine: true)
    public var stacking: StackingOrder = .reluConvNorm
    /// Off by default: Theorem 2 needs the classifier without bias.
    public var classifierBias: Bool = false
    public var constraints: [EdgeConstraint] = []
    /// How parameter names are spelled where the two reference codes differ (pool norms).
    public var naming: ParameterNaming = .dsnas
    /// PyTorch 0.4's depthwise fan-in (in_channels * K^2) instead of the modern (in/groups) * K^2.
    public var legacyDepthwiseFanIn: Bool = false

    public init() {}

    /// The minimal cell (steps 2, multiplier 2).
    public static var minimal: NetworkConfig { NetworkConfig(cell: .minimal) }
    /// The original DARTS cell (steps 4, multiplier 4).
    public static var original: NetworkConfig { NetworkConfig(cell: .original) }

    /// The defaults with the steps and multiplier of a named cell.
    public init(cell: CellPreset) {
        (steps, multiplier) = (cell.steps, cell.multiplier)
    }

    /// Edges per cell: steps (steps + 3) / 2.
    public var edgeCount: Int { steps * (steps + 3) / 2 }
}
