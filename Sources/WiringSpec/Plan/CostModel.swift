// WiringLab: presentation only (not part of the code version)
// The time estimate of `wiringlab plan`: steps from the phases and data sizes, time from the measured
// milliseconds per image of each block the steps run (StepCostTable, from `make bench`), plus what the
// runner's own steps cost per image beyond their blocks (the table's `run:` rows, timed through the runner).
//
// A block measured at 16 channels and 32x32 is scaled to the run's network by its multiply-accumulates
// (WiringModel's NetworkLayout: the layers the supernet builds), or by its elements for the pools and
// the classifier, which have none.

import WiringModel
import WiringSearch

/// The estimated cost of one run.
public struct CostEstimate: Codable, Hashable, Sendable {
    /// Batches (optimiser or probe steps) over all phases.
    public var steps: Int
    /// Estimated wall-clock time in seconds.
    public var seconds: Double
}

/// Turns a configuration into steps and seconds.
public struct CostModel: Sendable {
    public var table: StepCostTable
    /// How many times slower this machine is than the table's (HostSpeed.factor); every time is multiplied by it.
    public var hostFactor: Double

    public init(table: StepCostTable = .measured, hostFactor: Double = 1) {
        self.table = table
        self.hostFactor = hostFactor
    }

    /// The estimate for one run.
    public func estimate(_ config: RunConfig) -> CostEstimate {
        let perEpoch = config.data.batchesPerEpoch
        let blocks = BlockCosts(config.network, imageSize: config.data.imageSize, table: table, threads: config.threads)
        let factors = RunnerFactors(table: table, threads: config.threads)
        var steps = 0
        var milliseconds = 0.0
        for phase in config.phases {
            let n = phase.steps(batchesPerEpoch: perEpoch)
            steps += n
            milliseconds += Double(n * config.data.batchSize) * imageMilliseconds(blocks, factors, phase)
            // Eval passes: a probe (forward + backward, one sampled child) of every test image.
            let epochs = phase.epochs(batchesPerEpoch: perEpoch)
            let passes = phase.kind == .eval ? epochs : phase.work.evalEvery.map { k in (epochs + k - 1) / k } ?? 0
            milliseconds += Double(passes * config.data.testSize) * (blocks.sampled + factors.probe)
            milliseconds += diagnosticsMilliseconds(phase, config: config, epochs: epochs, blocks: blocks, factors: factors)
        }
        return CostEstimate(steps: steps, seconds: milliseconds * hostFactor / 1000)
    }

    /// What a search phase's `diagnostics` and a probe's `exact_cost` add: their passes over their own batches.
    func diagnosticsMilliseconds(_ phase: PhaseConfig, config: RunConfig, epochs: Int, blocks: BlockCosts,
                                 factors: RunnerFactors) -> Double {
        let domains = (try? config.network.edgeDomains()) ?? []
        let live = domains.filter { !$0.deleted }
        let allowed = live.reduce(0) { $0 + $1.allowed.count }
        switch phase.work {
        case let .search(settings):
            guard let d = settings.diagnostics else { return 0 }
            let runs = epochs / d.every + (epochs % d.every == 0 ? 0 : 1)
            // The base gradient, then 2 gradients per Hessian column (or per power iteration); strength: one
            // forward of the unperturbed supernet and one per allowed (edge, op).
            let entries = domains.count * config.network.ops.count
            let gradients = 1 + (d.hessian ? 2 * (entries <= d.fullMatrixLimit ? allowed : d.powerIterations) : 0)
            let forwards = d.strength ? 1 + allowed : 0
            let images = Double(runs * d.batches * config.data.batchSize)
            return images * (Double(gradients) * (blocks.mixture + factors.probe) + Double(forwards) * blocks.supernetForward)
        case let .probe(settings):
            guard let exact = settings.exactCost else { return 0 }
            let subnets = live.reduce(1.0) { $0 * Double($1.allowed.count) }
            return subnets * Double(exact.batches * config.data.batchSize) * (blocks.sampled + factors.probe)
        default:
            return 0
        }
    }

    /// Milliseconds per training image of one step of `phase`.
    func imageMilliseconds(_ blocks: BlockCosts, _ factors: RunnerFactors, _ phase: PhaseConfig) -> Double {
        switch phase.work {
        case .probe, .eval:
            return blocks.sampled + factors.probe
        case let .train(settings):
            // The reference's running-statistics refresh: one more forward of every op of every edge.
            return blocks.sampled + factors.train
                + (settings.refreshRunningStatistics ? blocks.supernetForward + factors.refresh : 0)
        case let .search(settings):
            // The passes the strategy says a step runs, alike ones priced together (k x, not k adds).
            let passes = settings.search.passesPerStep
            var perBatch = 0.0
            for pass in passes.reduce(into: [SearchPass]()) { if !$0.contains($1) { $0.append($1) } } {
                let count = Double(passes.filter { $0 == pass }.count)
                switch pass {
                case .child: perBatch += count * (blocks.sampled + factors.train)
                case .mixture: perBatch += count * (blocks.mixture + factors.train)
                case .statisticsRefresh: perBatch += count * (blocks.supernetForward + factors.refresh)
                }
            }
            return perBatch
        }
    }
}

/// What a run's steps cost per image on top of their blocks, from the bench's timed runner steps (`run:` rows)
/// on its own network (one minimal cell, C = 16, 32x32): the data pipeline, the probes' node split, the log.
/// Added per image rather than scaled with the network: measured on 28x28 grey images, a probe costs about what
/// it costs on 32x32 colour ones although its blocks are a third cheaper.
struct RunnerFactors {
    var probe = 0.0, train = 0.0, refresh = 0.0

    init(table: StepCostTable, threads: Int) {
        var bench = NetworkConfig()
        bench.cells = 1
        bench.steps = 2
        bench.multiplier = 2
        bench.channels = 16
        bench.inputChannels = 3
        let blocks = BlockCosts(bench, imageSize: 32, table: table, threads: threads)
        let probe = table.cost("run:probe", threads: threads).forwardBackward
        let train = table.cost("run:train", threads: threads).forwardBackward
        let refreshed = table.cost("run:train_refresh", threads: threads).forwardBackward
        let step = table.cost("step:dsnas_minimal", threads: threads).forwardBackward
        // Without runner rows, the bare DSNAS step over its blocks.
        let fallback = max(0, step - blocks.sampled)
        self.probe = probe > 0 ? max(0, probe - blocks.sampled) : fallback
        self.train = train > 0 ? max(0, train - blocks.sampled) : fallback
        self.refresh = refreshed > train && train > 0 ? max(0, refreshed - train - blocks.supernetForward) : 0
    }
}

/// Milliseconds per image of the parts of one network, from the table scaled to its sizes.
struct BlockCosts {
    /// Forward + backward of the stem, preprocessing, classifier and one sampled op per live edge (mean over its ops).
    var sampled = 0.0
    /// Forward + backward with every allowed op of every live edge (SNAS and DARTS mixtures).
    var mixture = 0.0
    /// Forward only with every allowed op (the batch-norm refresh).
    var supernetForward = 0.0

    init(_ network: NetworkConfig, imageSize: Int, table: StepCostTable, threads: Int) {
        let layout = NetworkLayout(config: network)
        let area = Double(imageSize * imageSize) / 1024
        let reference = NetworkConfig()  // the bench's blocks: C = 16
        func macs(_ layers: [Layer], _ size: Int) -> Double {
            Double(layers.reduce(0) { $0 + $1.forwardMACs(height: size, width: size) })
        }
        // The stem and the preprocessing, scaled by their MACs against the bench's blocks.
        let stemReference = 3.0 * 48 * 9 * 1024
        let stemScale = macs(layout.stem, imageSize) / stemReference
        let stem = table.cost("stem", threads: threads)
        let preprocess = table.cost("preprocess", threads: threads)
        let preprocessReference = 48.0 * 16 * 1024
        let classifier = table.cost("classifier", threads: threads)
        let classifierScale = Double(network.multiplier * network.channels) / 32 * area
        var fixedFB = stem.forwardBackward * stemScale + classifier.forwardBackward * classifierScale
        var fixedF = stem.forward * stemScale + classifier.forward * classifierScale
        let domains = (try? network.edgeDomains()) ?? []
        var sampledOps = 0.0, allFB = 0.0, allF = 0.0
        for cell in 0..<network.cells {
            let scale = Double(layout.preprocessForwardMACs(cell: cell, height: imageSize, width: imageSize)) / preprocessReference
            fixedFB += preprocess.forwardBackward * scale
            fixedF += preprocess.forward * scale
            for (e, domain) in domains.enumerated() where !domain.deleted && !domain.allowed.isEmpty {
                var fb: [Double] = []
                for o in domain.allowed {
                    let kind = network.ops[o]
                    let row = table.cost(kind.rawValue, threads: threads)
                    let own = Double(layout.opForwardMACs(cell: cell, edge: e, op: o, height: imageSize, width: imageSize))
                    let base = macs(Operation(kind, channels: 16, prefix: "b", config: reference).layers, 32)
                    // Pools have no MACs: scale them by their elements.
                    let scale = base > 0 ? own / base : Double(network.channels) / 16 * area
                    fb.append(row.forwardBackward * scale)
                    allF += row.forward * scale
                }
                sampledOps += fb.reduce(0, +) / Double(fb.count)
                allFB += fb.reduce(0, +)
            }
        }
        sampled = fixedFB + sampledOps
        mixture = fixedFB + allFB
        supernetForward = fixedF + allF
    }
}
