// Writes a finished run's result file in the layout documented in docs/results-format.md: per-step
// records under /steps and /checks, per-phase summaries under /summary, label datasets /phases,
// /cells, /edges, /ops, /nodes attached as dimension scales (xarray sees named dimensions), and the
// provenance as attributes. Written under a temporary name and renamed only when complete.
import Foundation
import WiringEngine
import WiringModel
import WiringResults

/// The result-file format version, bumped when the layout changes.
public let resultsFormatVersion = 1

struct ResultsWriter<T: TensorElement> {
    let executor: RunExecutor<T>

    func write(to path: String) throws {
        let file = try HDF5File(creating: path)
        do {
            try fill(file.root)
            try file.commit()
        } catch {
            file.discard()
            throw error
        }
    }

    private func fill(_ root: HDF5Group) throws {
        let config = executor.config
        let log = executor.log
        let topology = executor.net.topology
        let cells = config.network.cells, edges = topology.edges.count, ops = config.network.ops.count
        let steps = log.count, nodes = config.network.steps, phases = config.phases.count

        // Labels, created first so every dataset below attaches to them by name.
        try root.createDimensionScale("phases", labels: config.phases.map(\.name))
        try root.createDimensionScale("cells", labels: (0..<cells).map { "cell\($0)" })
        try root.createDimensionScale("edges", labels: topology.edges.map { "e\($0.index):\($0.source)->\($0.node)" })
        try root.createDimensionScale("ops", labels: config.network.ops.map(\.rawValue))
        try root.createDimensionScale("nodes", labels: (0..<nodes).map { "node\($0 + 2)" })

        // Per step.
        try root.write("steps/phase", log.phase.map(Int32.init), dimensions: ["step"])
        try root.write("steps/epoch", log.epoch.map(Int32.init), dimensions: ["step"])
        try root.write("steps/edge_op", log.edgeOp.map(Int32.init), shape: [steps, cells, edges],
                       dimensions: ["step", "cells", "edges"])
        try root.write("steps/edge_cost", log.edgeCost, shape: [steps, cells, edges], dimensions: ["step", "cells", "edges"])
        if log.hasMixtures {
            try root.write("steps/op_cost", log.opCost, shape: [steps, cells, edges, ops],
                           dimensions: ["step", "cells", "edges", "ops"])
        }
        try root.write("steps/node_cost", log.nodeCost, shape: [steps, cells, nodes], dimensions: ["step", "cells", "nodes"])
        try root.write("steps/node_cost_via_edges", log.nodeCostViaEdges, shape: [steps, cells, nodes],
                       dimensions: ["step", "cells", "nodes"])
        for (name, values) in [("loss", log.loss), ("entropy", log.entropy), ("cost_Z", log.costZ),
                               ("accuracy", log.accuracy), ("lr", log.lr)] {
            try root.write("steps/" + name, values, dimensions: ["step"])
        }
        try root.write("checks/thm2_residual", log.theorem2Residual, dimensions: ["step"])
        try root.write("checks/cor12_residual", log.corollary12Residual, dimensions: ["step"])
        if config.record.perSample {
            try root.write("samples/step", log.sampleStep.map(Int32.init), dimensions: ["sample"])
            try root.write("samples/loss", log.sampleLoss, dimensions: ["sample"])
            try root.write("samples/entropy", log.sampleEntropy, dimensions: ["sample"])
            try root.write("samples/cost", log.sampleCost, dimensions: ["sample"])
            try root.write("samples/correct", log.sampleCorrect.map(Int8.init), dimensions: ["sample"])
        }

        // Per phase: the Fig 4 matrix with standard errors, node costs.
        let summary = RunSummary(log: log, phases: phases)
        let costShape = [phases, cells, edges, ops], costDims = ["phases", "cells", "edges", "ops"]
        try root.write("summary/cost_mean", summary.costs.flatMap { $0.mean.flatMap { $0.flatMap { $0 } } },
                       shape: costShape, dimensions: costDims)
        try root.write("summary/cost_sem", summary.costs.flatMap { $0.standardError.flatMap { $0.flatMap { $0 } } },
                       shape: costShape, dimensions: costDims)
        try root.write("summary/cost_count", summary.costs.flatMap { $0.count.flatMap { $0.flatMap { $0 } } }.map(Int64.init),
                       shape: costShape, dimensions: costDims)
        try root.write("summary/node_cost", summary.nodeCost.flatMap { $0.flatMap { $0 } }, shape: [phases, cells, nodes],
                       dimensions: ["phases", "cells", "nodes"])
        try root.write("summary/node_cost_via_edges", summary.nodeCostViaEdges.flatMap { $0.flatMap { $0 } },
                       shape: [phases, cells, nodes], dimensions: ["phases", "cells", "nodes"])

        // C/L/H split by correct and wrong samples, per (phase, epoch).
        let splits = executor.splits
        try root.createDimensionScale("subset", labels: ["correct", "wrong", "all"])
        try root.createDimensionScale("quantity", labels: ["loss", "entropy", "cost", "count"])
        try root.write("summary/split_phase", splits.keys.map { Int32($0[0]) }, dimensions: ["phase_epoch"])
        try root.write("summary/split_epoch", splits.keys.map { Int32($0[1]) }, dimensions: ["phase_epoch"])
        try root.write("summary/split_mean", splits.means.flatMap { $0.flatMap { $0 } }, shape: [splits.keys.count, 3, 4],
                       dimensions: ["phase_epoch", "subset", "quantity"])

        // Search phases: alpha and the wiring per epoch, search-batch costs of bi-level DARTS.
        let search = executor.searchLog
        if search.epochs > 0 {
            let epochDims = ["search_epoch", "edges", "ops"], epochShape = [search.epochs, edges, ops]
            try root.write("search/phase", search.epochPhase.map(Int32.init), dimensions: ["search_epoch"])
            try root.write("search/epoch", search.epochIndex.map(Int32.init), dimensions: ["search_epoch"])
            try root.write("search/alpha", search.alpha, shape: epochShape, dimensions: epochDims)
            try root.write("search/prob", search.probability, shape: epochShape, dimensions: epochDims)
            try root.write("search/topology", search.topology.map(Int32.init), shape: [search.epochs, edges],
                           dimensions: ["search_epoch", "edges"])
            try root.write("search/topology_without_none", search.topologyWithoutNone.map(Int32.init),
                           shape: [search.epochs, edges], dimensions: ["search_epoch", "edges"])
            try root.write("search/none_prob", search.noneProbability, shape: [search.epochs, edges],
                           dimensions: ["search_epoch", "edges"])
            try root.write("search/temperature", search.temperature, dimensions: ["search_epoch"])
        }
        if !search.searchStep.isEmpty {
            let n = search.searchStep.count
            try root.write("search/batch_step", search.searchStep.map(Int32.init), dimensions: ["search_batch"])
            try root.write("search/batch_edge_cost", search.searchEdgeCost, shape: [n, cells, edges],
                           dimensions: ["search_batch", "cells", "edges"])
            try root.write("search/batch_op_cost", search.searchOpCost, shape: [n, cells, edges, ops],
                           dimensions: ["search_batch", "cells", "edges", "ops"])
            try root.write("search/batch_loss", search.searchLoss, dimensions: ["search_batch"])
            try root.write("search/batch_entropy", search.searchEntropy, dimensions: ["search_batch"])
            try root.write("search/batch_cost_Z", search.searchCostZ, dimensions: ["search_batch"])
        }

        // Provenance.
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        let attributes: [(String, String)] = [
            ("run_id", executor.spec.id), ("run_name", executor.spec.name), ("experiment", executor.plan.name),
            ("description", executor.plan.description), ("manifest", executor.plan.resolvedManifest),
            ("manifest_file", executor.plan.file),
            ("config", String(decoding: try encoder.encode(config), as: UTF8.self)),
            ("code_version", executor.plan.codeVersion), ("toolchain", toolchainDescription),
            ("host", ProcessInfo.processInfo.hostName), ("precision", T.precisionName),
            ("created", ISO8601DateFormatter().string(from: Date())), ("format", "wiringlab-results"),
        ]
        for (name, value) in attributes { try root.setAttribute(name, value) }
        try root.setAttribute("format_version", Int64(resultsFormatVersion))
        try root.setAttribute("seed", Int64(bitPattern: config.seed))
        try root.setAttribute("threads", Int64(config.threads))
        try root.setAttribute("steps", Int64(steps))
    }
}

/// Per-phase statistics computed from a step log.
struct RunSummary {
    var costs: [CostStatistics]
    var nodeCost: [[[Double]]]
    var nodeCostViaEdges: [[[Double]]]

    init(log: StepLog, phases: Int) {
        let (cells, edges, ops, nodes) = (log.cells, log.edges, log.ops, log.steps)
        costs = Array(repeating: CostStatistics(cells: cells, edges: edges, ops: ops), count: phases)
        nodeCost = Array(repeating: Array(repeating: Array(repeating: 0, count: nodes), count: cells), count: phases)
        nodeCostViaEdges = nodeCost
        var stepsPerPhase = Array(repeating: 0, count: phases)
        for s in 0..<log.count {
            let p = log.phase[s]
            stepsPerPhase[p] += 1
            for c in 0..<cells {
                for e in 0..<edges {
                    let flat = (s * cells + c) * edges + e
                    let op = log.edgeOp[flat]
                    if op >= 0 {
                        costs[p].add(cell: c, edge: e, op: op, cost: log.edgeCost[flat])
                    } else if op == -1 {  // a mixture: every op's dL/dW (0 for ops left out of the sum)
                        for o in 0..<ops { costs[p].add(cell: c, edge: e, op: o, cost: log.opCost[flat * ops + o]) }
                    }
                }
                for i in 0..<nodes {
                    nodeCost[p][c][i] += log.nodeCost[(s * cells + c) * nodes + i]
                    nodeCostViaEdges[p][c][i] += log.nodeCostViaEdges[(s * cells + c) * nodes + i]
                }
            }
        }
        for p in 0..<phases where stepsPerPhase[p] > 0 {
            let n = Double(stepsPerPhase[p])
            nodeCost[p] = nodeCost[p].map { $0.map { $0 / n } }
            nodeCostViaEdges[p] = nodeCostViaEdges[p].map { $0.map { $0 / n } }
        }
    }
}

/// The compiler that built this binary.
let toolchainDescription: String = {
    #if compiler(>=6.3)
    return "Swift 6.3 or later"
    #elseif compiler(>=6.0)
    return "Swift 6.x"
    #else
    return "Swift 5.x"
    #endif
}()
