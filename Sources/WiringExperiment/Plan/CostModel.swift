// A rough cost estimate for `wiringlab plan`: steps from the phases and data sizes, and time from a
// count of multiply-accumulates (MACs) per step divided by an assumed throughput. It only has to tell
// a one-minute run from a one-day run; `make bench` measures the real speed.
//
// The MACs are the layers' own (WiringModel's NetworkLayout: the stem, the preprocessing and every
// candidate op as the supernet builds them), so a new op or norm is counted with its definition.

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
            let n = phase.kind == .eval ? 0 : phase.length.steps(batchesPerEpoch: perEpoch)
            steps += n
            macs += Double(n) * stepMACs(config, phase)
        }
        // Eval passes: forward + backward (the probes) over the test images, batches of 96.
        let evalBatches = (config.data.testSize + 95) / 96
        for phase in config.phases {
            let passes = phase.kind == .eval ? phase.length.count
                : phase.work.evalEvery.map { k in
                    let epochs = phase.length.unit == .epochs ? phase.length.count : (phase.length.count + perEpoch - 1) / max(1, perEpoch)
                    return epochs / k + (epochs % k == 0 ? 0 : 1)
                } ?? 0
            macs += Double(passes * evalBatches) * stepMACs(config, phase) * 96 / Double(max(1, config.data.batchSize))
        }
        return CostEstimate(steps: steps, seconds: macs / (macsPerSecondPerThread * Double(config.threads)))
    }

    /// Forward + backward MACs of one batch of `phase`, counted from the network's own layers.
    func stepMACs(_ config: RunConfig, _ phase: PhaseConfig) -> Double {
        let layout = NetworkLayout(config: config.network)
        let (h, w) = (config.data.imageSize, config.data.imageSize)
        let domains = (try? config.network.edgeDomains()) ?? []
        // Sampled phases run one allowed op per edge (on average their mean); SNAS and DARTS run every
        // allowed op; bi-level adds the search batch, and second order the two extra passes.
        var mixture = false
        var batches = 1.0
        switch phase.work {
        case .probe, .train, .eval:
            break
        case let .search(s):
            mixture = s.search.algorithm != .dsnas
            if s.search.level == .bi { batches = s.search.order == .second ? 4 : 2 }
        }
        var perSample = Double(layout.fixedForwardMACs(height: h, width: w))
        for cell in 0..<config.network.cells {
            for (e, domain) in domains.enumerated() where !domain.deleted && !domain.allowed.isEmpty {
                let macs = domain.allowed.map { Double(layout.opForwardMACs(cell: cell, edge: e, op: $0, height: h, width: w)) }
                perSample += mixture ? macs.reduce(0, +) : macs.reduce(0, +) / Double(macs.count)
            }
        }
        // A step is forward + backward, about three forwards.
        return 3 * batches * Double(config.data.batchSize) * perSample
    }
}
