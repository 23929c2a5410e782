// Writes a finished run's result file in the layout documented in docs/results-format.md: per-step
// records under /steps and /checks, per-phase summaries under /summary, and the provenance as
// attributes. Every group holds its own copy of the label scales it uses (phases, cells, edges, ops,
// nodes, ...) because xarray and netCDF readers attach coordinates from the opened group only; every
// variable has `units` and `long_name`. Written under a temporary name and renamed only when complete.
import Foundation
import WiringEngine
import WiringModel
import WiringResults
import WiringSpec
import WiringRun

/// Writes a finished run's result file from the plain record the run layer hands up.
package struct ResultsWriter {
    let run: RunResult

    package init(_ run: RunResult) { self.run = run }

    package func write(to path: String) throws {
        try HDF5File.write(to: path, fill)
    }

    private func fill(_ root: HDF5Group) throws {
        let config = run.config
        let log = run.log
        let cells = config.network.cells, nodes = config.network.steps, phases = config.phases.count
        let edges = run.edges, ops = config.network.ops.count, steps = log.count
        let splits = run.splits

        let labels = ResultLabels(values: run.labels)
        // The root keeps the label scales too (format 1 readers and `/ops` in MATLAB, Octave, ncdump).
        for name in ["phases", "cells", "edges", "ops", "nodes"] { try labels.ensure(name, in: root) }

        // Per step and per sample.
        for column in StepLog.columns where column.isStored(log) {
            try labels.ensure(column.dimensions, in: root, group: column.group)
            try column.writeResult(log, to: root, sizes: log.sizes)
        }

        // Per phase: the Fig 4 matrix with standard errors, node costs; the C/L/H split per (phase, epoch).
        let summary = RunSummary(log: log, phases: phases)
        let averaged = AveragedCost(log: log, singleOp: run.singleOpEdges)
        precondition(averaged.rows == splits.keys.count, "averaged-cost rows follow the split rows")
        let costShape = [phases, cells, edges, ops], nodeShape = [phases, cells, nodes]
        let summaryValues: [String: (shape: [Int], values: SummaryValues)] = [
            "cost_mean": (costShape, .doubles(summary.costs.flatMap { $0.mean.flatMap { $0.flatMap { $0 } } })),
            "cost_sem": (costShape, .doubles(summary.costs.flatMap { $0.standardError.flatMap { $0.flatMap { $0 } } })),
            "cost_count": (costShape, .int64(summary.costs.flatMap { $0.count.flatMap { $0.flatMap { $0 } } }.map(Int64.init))),
            "node_cost": (nodeShape, .doubles(summary.nodeCost.flatMap { $0.flatMap { $0 } })),
            "node_cost_via_edges": (nodeShape, .doubles(summary.nodeCostViaEdges.flatMap { $0.flatMap { $0 } })),
            "split_phase": ([splits.keys.count], .int32(splits.keys.map { Int32($0[0]) })),
            "split_epoch": ([splits.keys.count], .int32(splits.keys.map { Int32($0[1]) })),
            "split_mean": ([splits.keys.count, 3, 4], .doubles(splits.means.flatMap { $0.flatMap { $0 } })),
            "averaged_cost": ([averaged.rows, cells, edges], .doubles(averaged.values)),
            "averaged_cost_sum": ([averaged.rows, cells], .doubles(averaged.sums)),
        ]
        for column in SummaryColumns.all {
            guard let (shape, values) = summaryValues[column.name] else { preconditionFailure("no values for \(column.name)") }
            try labels.ensure(column.dimensions, in: root, group: "summary")
            let path = "summary/\(column.name)"
            let dataset: HDF5Dataset
            switch values {
            case let .doubles(v): dataset = try root.write(path, v, shape: shape, dimensions: column.dimensions)
            case let .int32(v): dataset = try root.write(path, v, shape: shape, dimensions: column.dimensions)
            case let .int64(v): dataset = try root.write(path, v, shape: shape, dimensions: column.dimensions)
            }
            try describe(dataset, units: column.units, longName: column.longName)
        }

        // Search phases: alpha and the wiring per epoch, search-batch costs of bi-level DARTS.
        let search = run.searchLog
        for column in SearchLog.columns where column.isStored(search) {
            try labels.ensure(column.dimensions, in: root, group: column.group)
            try column.writeResult(search, to: root, sizes: search.sizes(network: log.sizes))
        }

        // Eval passes over the test images.
        let probes = run.probeLog
        for column in ProbeLog.columns where column.isStored(probes) {
            try labels.ensure(column.dimensions, in: root, group: column.group)
            try column.writeResult(probes, to: root, sizes: probes.sizes(network: log.sizes))
        }
        let evals = run.evalLog
        for column in EvalLog.columns where column.isStored(evals) {
            try labels.ensure(column.dimensions, in: root, group: column.group)
            try column.writeResult(evals, to: root, sizes: evals.sizes(network: log.sizes))
        }
        try describeScales(root)

        // Provenance.
        let varying = JSONValue.array(run.spec.varying.map { axis in
            .object([("key", .string(axis.keyPath)), ("value", axis.json),
                     ("label", axis.label.map(JSONValue.string) ?? .null)])
        })
        let attributes: [(String, String)] = [
            ("run_id", run.spec.id), ("run_name", run.spec.name), ("experiment", run.plan.name),
            ("description", run.plan.description), ("manifest", run.plan.resolvedManifest),
            ("manifest_file", run.plan.file),
            ("config", config.manifestJSON.prettyText),  // the manifest's key paths (StoredConfig.swift)
            ("varying", varying.jsonText),
            ("code_version", run.plan.codeVersion), ("git_describe", run.plan.gitDescribe),
            ("config_id", run.spec.configID), ("toolchain", toolchainDescription),
            ("host", ProcessInfo.processInfo.hostName), ("precision", run.precision),
            ("created", ISO8601DateFormatter().string(from: Date())), ("format", "wiringlab-results"),
            ("data_root", run.dataRoot), ("data_sha256", run.dataChecksum),
        ]
        for (name, value) in attributes { try root.setAttribute(name, value) }
        try root.setAttribute("data_mean", run.dataMean)
        try root.setAttribute("data_std", run.dataStd)
        try root.setAttribute("format_version", Int64(resultsFormatVersion))
        try root.setAttribute("run_index", Int64(run.spec.index))
        try root.setAttribute("seed", Int64(bitPattern: config.seed))
        try root.setAttribute("threads", Int64(run.threads))
        try root.setAttribute("steps", Int64(steps))
        try root.setAttribute("compute_seconds", run.computeSeconds)
    }
}

private enum SummaryValues {
    case doubles([Double]), int32([Int32]), int64([Int64])
}

/// The /summary datasets: name, dimensions, units, long name (their docs table is in docs/results-format.md §3).
enum SummaryColumns {
    struct Column {
        let name: String, dimensions: [String], units: String, longName: String
    }

    static let all: [Column] = [
        Column(name: "cost_mean", dimensions: ["phases", "cells", "edges", "ops"], units: "nats",
               longName: "mean batch cost of each op on each edge over the steps of the phase that evaluated it"),
        Column(name: "cost_sem", dimensions: ["phases", "cells", "edges", "ops"], units: "nats",
               longName: "standard error of cost_mean (0 below two samples)"),
        Column(name: "cost_count", dimensions: ["phases", "cells", "edges", "ops"], units: "1",
               longName: "number of batch costs behind cost_mean (0: never sampled)"),
        Column(name: "node_cost", dimensions: ["phases", "cells", "nodes"], units: "nats",
               longName: "mean over the phase's steps of steps/node_cost"),
        Column(name: "node_cost_via_edges", dimensions: ["phases", "cells", "nodes"], units: "nats",
               longName: "mean over the phase's steps of steps/node_cost_via_edges"),
        Column(name: "split_phase", dimensions: ["phase_epoch"], units: "1", longName: "phase index of each split row"),
        Column(name: "split_epoch", dimensions: ["phase_epoch"], units: "1", longName: "epoch within that phase of each split row"),
        Column(name: "split_mean", dimensions: ["phase_epoch", "subset", "quantity"], units: "nats",
               longName: "mean L_b, H_b, C_b and sample count over correct, wrong and all samples per (phase, epoch); count in samples"),
        Column(name: "averaged_cost", dimensions: ["phase_epoch", "cells", "edges"], units: "nats",
               longName: "the reference's averaged edge cost at the end of each (phase, epoch): the running mean since the phase's first step of each op's batch cost, summed over ops, divided by the op count (not for a single-op edge); never-run ops count 0"),
        Column(name: "averaged_cost_sum", dimensions: ["phase_epoch", "cells"], units: "nats",
               longName: "averaged_cost summed over the edges of the cell"),
    ]
}

/// The label (string) dimension scales of a result file, written into each group that uses them.
struct ResultLabels {
    let values: [String: [String]]

    /// Creates the label scales among `dimensions` that `group` (relative to `root`) lacks.
    func ensure(_ dimensions: [String], in root: HDF5Group, group: String) throws {
        let home = try root.contains(group) ? try root.group(group) : try root.createGroup(group)
        for name in dimensions { try ensure(name, in: home) }
    }

    func ensure(_ name: String, in group: HDF5Group) throws {
        guard let labels = values[name], try !group.contains(name) else { return }
        let scale = try group.createDimensionScale(name, labels: labels)
        try scale.setAttribute("long_name", ScaleNames.longName(name))
    }
}

/// What each dimension of a result file is, as the `long_name` of its scale.
enum ScaleNames {
    static let longNames: [String: String] = [
        "phases": "phase name", "cells": "cell (input side first)", "edges": "edge e<index>:<source>-><node>",
        "ops": "op name", "nodes": "intermediate node", "subset": "sample subset", "quantity": "split quantity",
        "step": "step index (all phases in order)", "sample": "per-sample record", "phase_epoch": "(phase, epoch) row",
        "search_epoch": "search epoch row", "search_batch": "search batch row", "probe_row": "probe phase row", "alpha_i": "flat alpha index edge · ops + op (Hessian row)", "alpha_j": "flat alpha index edge · ops + op (Hessian column)", "eval_epoch": "eval pass row", "setting": "grid setting of the sweep",
        "seed": "replicate seed",
    ]

    static func longName(_ dimension: String) -> String { longNames[dimension] ?? dimension }
}

/// Gives every numeric index scale of every group (created on demand by the writes, e.g. `step`) its
/// `long_name` and `units`.
func describeScales(_ root: HDF5Group) throws {
    for groupName in try root.groupNames() {
        let group = try root.group(groupName)
        for name in try group.datasetNames() where ScaleNames.longNames[name] != nil {
            let scale = try group.dataset(name)
            guard try scale.isDimensionScale, try !scale.hasAttribute("long_name") else { continue }
            try describe(scale, units: "1", longName: ScaleNames.longName(name))
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
