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
        let cells = config.network.cells, nodes = config.network.steps, phases = config.phases.count
        let edges = topology.edges.count, ops = config.network.ops.count, steps = log.count

        // Labels, created first so every dataset below attaches to them by name.
        try root.createDimensionScale("phases", labels: config.phases.map(\.name))
        try root.createDimensionScale("cells", labels: (0..<cells).map { "cell\($0)" })
        try root.createDimensionScale("edges", labels: topology.edges.map { "e\($0.index):\($0.source)->\($0.node)" })
        try root.createDimensionScale("ops", labels: config.network.ops.map(\.rawValue))
        try root.createDimensionScale("nodes", labels: (0..<nodes).map { "node\($0 + 2)" })

        // Per step and per sample.
        for column in StepLog.columns where column.isStored(log) {
            try column.writeResult(log, to: root, sizes: log.sizes)
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
        for column in SearchLog.columns where column.isStored(search) {
            try column.writeResult(search, to: root, sizes: search.sizes(network: log.sizes))
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
            ("data_root", executor.data.root), ("data_sha256", executor.data.checksum),
        ]
        for (name, value) in attributes { try root.setAttribute(name, value) }
        try root.setAttribute("format_version", Int64(resultsFormatVersion))
        try root.setAttribute("seed", Int64(bitPattern: config.seed))
        try root.setAttribute("threads", Int64(config.threads))
        try root.setAttribute("steps", Int64(steps))
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
