// WiringLab: presentation only (not part of the code version)
// A run's logs and labels as one value: the logs a live run holds, or a finished result file read back
// through the same column tables that wrote it (`RunRecords(resultFile:)`). TensorBoard event files
// (RunEvents) and the tidy CSV (TidyTable) are made from it, so a live run and `wiringlab export` of its
// finished file give the same values.
import Foundation
import WiringModel
import WiringResults

/// The per-step, search-epoch and eval records of one run with the labels of their dimensions.
package struct RunRecords {
    package var log: StepLog
    package var searchLog: SearchLog
    package var evalLog: EvalLog
    /// Labels of the label dimensions: phases, cells, edges, ops, nodes, subset, quantity.
    package let labels: [String: [String]]

    init(log: StepLog, searchLog: SearchLog, evalLog: EvalLog, labels: [String: [String]]) {
        (self.log, self.searchLog, self.evalLog, self.labels) = (log, searchLog, evalLog, labels)
    }

    /// The labels of a run's dimensions (as its result file names them, `ResultsWriter`).
    static func labels(phases: [String], cells: Int, edges: [String], ops: [String], nodes: Int) -> [String: [String]] {
        ["phases": phases, "cells": (0..<cells).map { "cell\($0)" }, "edges": edges, "ops": ops,
         "nodes": (0..<nodes).map { "node\($0 + 2)" }, "subset": ["correct", "wrong", "all"],
         "quantity": ["loss", "entropy", "cost", "count"]]
    }

    /// Reads the logs of a finished result file through the column tables (columns a run did not store
    /// stay empty).
    /// - Throws: `ResultsError` for an unreadable file or one that is not a WiringLab result.
    package init(resultFile root: HDF5Group) throws {
        var labels: [String: [String]] = [:]
        for name in ["phases", "cells", "edges", "ops", "nodes"] {
            labels[name] = try root.dataset(name).readStrings().values
        }
        labels["subset"] = ["correct", "wrong", "all"]
        labels["quantity"] = ["loss", "entropy", "cost", "count"]
        self.labels = labels
        log = StepLog(cells: labels["cells"]!.count, edges: labels["edges"]!.count, ops: labels["ops"]!.count,
                      steps: labels["nodes"]!.count, recordsSamples: try root.contains("samples/step"))
        searchLog = SearchLog()
        evalLog = EvalLog()
        for column in StepLog.columns where try root.contains(column.path) { try column.readResult(&log, from: root) }
        for column in SearchLog.columns where try root.contains(column.path) { try column.readResult(&searchLog, from: root) }
        for column in EvalLog.columns where try root.contains(column.path) { try column.readResult(&evalLog, from: root) }
        var probeLog = ProbeLog()  // not shown live; read so a file's every table round-trips
        for column in ProbeLog.columns where try root.contains(column.path) { try column.readResult(&probeLog, from: root) }
    }

    /// The `/steps` index a record of (phase, epoch) belongs to: the epoch's last step, or for a phase
    /// without steps (`eval`) the last step before it (0 before any step).
    package func step(phase: Int, epoch: Int) -> Int {
        var before = 0
        for s in stride(from: log.count - 1, through: 0, by: -1) {
            if log.phase[s] == phase && log.epoch[s] == epoch { return s }
            if log.phase[s] < phase {
                before = s
                break
            }
        }
        return before
    }

    /// Whether step `s` is the last of its (phase, epoch) in the log so far.
    func endsEpoch(_ s: Int) -> Bool {
        s + 1 >= log.count || log.phase[s + 1] != log.phase[s] || log.epoch[s + 1] != log.epoch[s]
    }
}

extension RecordColumn {
    /// Reads the column back from a result file (integers of any stored width, doubles as stored).
    func readResult(_ log: inout Log, from root: HDF5Group) throws {
        switch values {
        case let .ints(keyPath): log[keyPath: keyPath] = try root.dataset(path).read(Int.self).values
        case let .doubles(keyPath): log[keyPath: keyPath] = try root.dataset(path).read(Double.self).values
        }
    }
}

extension CellEdge {
    /// The edge's label in result files: `e<index>:<source>-><node>`.
    var label: String { "e\(index):\(source)->\(node)" }
}
