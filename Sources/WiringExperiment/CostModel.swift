// A rough cost estimate for `wiringlab plan`: steps from the phases and data sizes, and time from a
// count of multiply-accumulates (MACs) per step divided by an assumed throughput. It only has to tell
// a one-minute run from a one-day run; `make bench` measures the real speed.
//
// MACs per image pixel (C = channels, K = kernel size):
//   sep_conv_KxK = 2 (K^2 C + C^2) (two depthwise + pointwise pairs), dil_conv_KxK = K^2 C + C^2,
//   pools = 9 C, skip_connect and none = 0; stem = 9 * in * stem_C; preprocessing = (C_prev0 + C_prev1) C.
// A step is forward + backward ~ 3 forwards. Sampled phases run one op per edge (the mean over the
// network's ops); SNAS and DARTS run every op; bi-level adds the search batch; second order doubles it.

import WiringModel

/// The estimated cost of one run.
public struct CostEstimate: Codable, Hashable, Sendable {
    /// Batches (optimiser or probe steps) over all phases.
    public var steps: Int
    /// Rough wall-clock time in seconds.
    public var seconds: Double
}

/// Turns a configuration into steps and seconds.
public struct CostModel: Sendable {
    /// Sustained multiply-accumulates per second of one thread. A guess for a scalar-ish CPU engine;
    /// recalibrate from `make bench` when the kernels change.
    public var macsPerSecondPerThread: Double

    /// A model assuming `macsPerSecondPerThread` (default 1e9).
    public init(macsPerSecondPerThread: Double = 1e9) {
        self.macsPerSecondPerThread = macsPerSecondPerThread
    }

    /// The estimate for one run.
    public func estimate(_ config: RunConfig) -> CostEstimate {
        let perEpoch = config.data.batchesPerEpoch
        var steps = 0
        var macs = 0.0
        for phase in config.phases {
            let n = phase.length.steps(batchesPerEpoch: perEpoch)
            steps += n
            macs += Double(n) * stepMACs(config, phase)
        }
        return CostEstimate(steps: steps, seconds: macs / (macsPerSecondPerThread * Double(config.threads)))
    }

    /// Forward + backward MACs of one batch of `phase`.
    func stepMACs(_ config: RunConfig, _ phase: PhaseConfig) -> Double {
        let n = config.network
        let c = Double(n.channels)
        let ops = n.ops.map { opMACs($0, c) }
        let mixture = phase.search.map { $0.algorithm != .dsnas } ?? false
        let perEdge = mixture ? ops.reduce(0, +) : ops.reduce(0, +) / Double(max(ops.count, 1))
        let stemC = Double(n.stemMultiplier) * c
        let stem = 9 * Double(n.inputChannels) * stemC
        var cells = 0.0
        for k in 0..<n.cells {
            let prev0 = k < 2 ? stemC : Double(n.multiplier) * c
            let prev1 = k < 1 ? stemC : Double(n.multiplier) * c
            cells += (prev0 + prev1) * c + Double(n.edgeCount) * perEdge
        }
        let pixels = Double(config.data.imageSize * config.data.imageSize)
        var batches = 1.0
        if let s = phase.search, s.level == .bi { batches = s.order == .second ? 4 : 2 }
        return 3 * batches * Double(config.data.batchSize) * pixels * (stem + cells)
    }

    /// MACs per pixel of one op with `c` channels in and out.
    func opMACs(_ op: OpKind, _ c: Double) -> Double {
        switch op {
        case .none, .skipConnect: return 0
        case .maxPool3x3, .avgPool3x3: return 9 * c
        case .sepConv3x3: return 2 * (9 * c + c * c)
        case .sepConv5x5: return 2 * (25 * c + c * c)
        case .dilConv3x3: return 9 * c + c * c
        case .dilConv5x5: return 25 * c + c * c
        }
    }
}
