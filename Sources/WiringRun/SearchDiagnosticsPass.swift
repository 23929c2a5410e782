// A search phase's `diagnostics` after an epoch (issue 34): on `batches` batches of a stream of their
// own (seeded by the phase and epoch, so a resumed run draws the same ones and no other stream moves),
// the softmax mixture's loss and dL/dW, the Hessian of that loss in alpha, and op strength. Every pass
// restores the batch-norm running statistics and leaves theta alone, so the run's other records are
// bitwise what they are without diagnostics (RunnerTests).
import WiringData
import WiringEngine
import WiringModel
import WiringSearch
import WiringSpec

/// What the diagnostics measured after one epoch.
struct EpochDiagnostics {
    var loss: Double
    /// [cell][edge][op] flattened: dL/dW, mean over the batches.
    var opCost: [Double]
    var curvature: AlphaCurvature?
    var strength: OperationStrength?
}

/// The shape of a run's diagnostics rows, fixed for the whole run so every search epoch has one.
struct DiagnosticsLayout {
    var cells: Int, edges: Int, ops: Int
    /// Whether some phase records the full Hessian (then every row carries one, NaN where absent).
    var recordsMatrix: Bool

    /// nil when no search phase has diagnostics.
    init?(config: RunConfig, edges: Int) {
        let settings = config.phases.compactMap { phase -> SearchDiagnostics? in
            if case let .search(s) = phase.work { return s.diagnostics }
            return nil
        }
        guard !settings.isEmpty else { return nil }
        cells = config.network.cells
        self.edges = edges
        let ops = config.network.ops.count
        self.ops = ops
        recordsMatrix = settings.contains { $0.hessian && edges * ops <= $0.fullMatrixLimit }
    }
}

extension RunExecutor {
    /// The diagnostics of phase `phase` after `epoch` at `alpha`.
    func measureDiagnostics(_ settings: SearchDiagnostics, phase: Int, epoch: Int, alpha: ArchitectureParameters,
                            perturbation: StrengthPerturbation) throws -> EpochDiagnostics {
        var seeds = RNG(seed: config.seed, stream: "diagnostics\(phase)-\(epoch)")
        var loader = try BatchLoader<T>(dataset: data.search ?? data.train, batchSize: config.data.batchSize,
                                        mode: .randomBatches, augmentation: .none, seed: seeds.next())
        var batches: [(images: Tensor<T>, labels: [Int])] = []
        while batches.count < settings.batches {
            if let batch = loader.next() { batches.append(batch) }
        }
        let surface = AlphaLossSurface(net: net, tape: tape, batches: batches, domains: domains)
        let base = surface.evaluate(alpha.values)
        var opCost = Array(repeating: 0.0, count: config.network.cells * domains.count * config.network.ops.count)
        for probe in base.probes {
            for (i, value) in probe.opCost.joined().joined().enumerated() { opCost[i] += value / Double(batches.count) }
        }
        var diagnostics = EpochDiagnostics(loss: base.loss, opCost: opCost)
        if settings.hessian {
            diagnostics.curvature = surface.curvature(at: alpha.values, fullMatrixLimit: settings.fullMatrixLimit,
                                                      iterations: settings.powerIterations, rng: &seeds)
        }
        if settings.strength {
            diagnostics.strength = surface.operationStrength(at: alpha.values, perturbation: perturbation)
        }
        return diagnostics
    }
}
