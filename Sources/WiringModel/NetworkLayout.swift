// The supernet's modules as layer stacks, without parameters: what `Supernet` builds and
// initialises, and what a cost estimate counts. One source for the layers of the stem, the
// preprocessing and every candidate op, so a new op or norm changes its cost with its definition.
import WiringEngine

/// The modules of one cell.
struct CellModules: Sendable {
    let preprocess0: [Layer]
    let preprocess1: [Layer]
    /// ops[edge][opIndex]
    let ops: [[Operation]]
}

/// The layer stacks of a supernet of `config` (reference-spec section 3).
public struct NetworkLayout: Sendable {
    public let config: NetworkConfig
    /// Conv 3x3 to stemMultiplier x C channels, then the stem norm.
    public let stem: [Layer]
    let cells: [CellModules]

    public init(config: NetworkConfig) {
        self.config = config
        let topology = CellTopology(steps: config.steps, multiplier: config.multiplier)
        let c = config.channels
        let stemChannels = config.stemMultiplier * c
        stem = [
            .conv(name: "stem.0.weight", inChannels: config.inputChannels, outChannels: stemChannels, kernel: 3,
                  stride: 1, padding: 1, dilation: 1, groups: 1),
            .norm(prefix: "stem.1", channels: stemChannels, config: config.stemNorm),
        ]
        var cells: [CellModules] = []
        var prevPrev = stemChannels, prev = stemChannels
        for cell in 0..<config.cells {
            func preprocess(_ k: Int, _ cin: Int) -> [Layer] {
                let p = "cells.\(cell).preprocess\(k).op."
                return [.relu,
                        .conv(name: p + "1.weight", inChannels: cin, outChannels: c, kernel: 1, stride: 1, padding: 0,
                              dilation: 1, groups: 1),
                        .norm(prefix: p + "2", channels: c, config: config.preprocessNorm)]
            }
            let ops = (0..<topology.edges.count).map { e in
                config.ops.enumerated().map { o, kind in
                    Operation(kind, channels: c, prefix: "cells.\(cell)._ops.\(e)._ops.\(o)", config: config)
                }
            }
            cells.append(CellModules(preprocess0: preprocess(0, prevPrev), preprocess1: preprocess(1, prev), ops: ops))
            (prevPrev, prev) = (prev, config.multiplier * c)
        }
        self.cells = cells
    }

    /// Forward multiply-accumulates per sample of `height x width` for the stem and every cell's
    /// preprocessing (the part of a step that does not depend on the architecture).
    public func fixedForwardMACs(height: Int, width: Int) -> Int {
        let layers = stem + cells.flatMap { $0.preprocess0 + $0.preprocess1 }
        return layers.reduce(0) { $0 + $1.forwardMACs(height: height, width: width) }
    }

    /// Learnable values of the whole supernet (every op of every edge, and the classifier).
    public var parameterCount: Int {
        let layers = stem + cells.flatMap { $0.preprocess0 + $0.preprocess1 + $0.ops.flatMap { $0.flatMap(\.layers) } }
        let classifier = config.numClasses * config.multiplier * config.channels + (config.classifierBias ? config.numClasses : 0)
        return layers.reduce(classifier) { $0 + $1.parameterCount }
    }

    /// Forward multiply-accumulates per sample of both preprocessing stacks of `cell`.
    public func preprocessForwardMACs(cell: Int, height: Int, width: Int) -> Int {
        (cells[cell].preprocess0 + cells[cell].preprocess1).reduce(0) { $0 + $1.forwardMACs(height: height, width: width) }
    }

    /// Forward multiply-accumulates per sample of op `op` on `edge` of `cell`.
    public func opForwardMACs(cell: Int, edge: Int, op: Int, height: Int, width: Int) -> Int {
        cells[cell].ops[edge][op].layers.reduce(0) { $0 + $1.forwardMACs(height: height, width: width) }
    }
}
