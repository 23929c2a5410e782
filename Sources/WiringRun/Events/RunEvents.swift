// WiringLab: presentation only (not part of the code version)
// What a run shows in TensorBoard, taken from its records (`RunRecords`): one place that both the live
// writer (LiveEvents) and `wiringlab export --tensorboard` use, so both give the same tags and values.
//
// Tags are the result file's dataset paths, with the labels of the non-row dimensions appended:
//   per step            steps/loss, steps/accuracy, steps/entropy, steps/cost_Z, steps/lr, checks/thm2_residual, ...
//   per epoch           cost_mean/<cell>/<edge>/<op>: mean batch cost of each evaluated op over the epoch's steps
//   per search epoch    search/none_prob/<edge>, search/topology/<edge> (op index), search/prob/<edge>/<op>, ...
//   per eval pass       eval/loss, eval/accuracy, eval/edge_cost/<cell>/<edge>, ...
// Every one-number-per-row column of the tables is shown, so a new recorded quantity appears without a
// change here. Values are float32 (TensorBoard's `simple_value`); NaN values are left out.
import Foundation
import WiringModel
import WiringSpec

/// One event's worth of scalars at one step.
struct EventScalars: Equatable {
    var step: Int
    var values: [(tag: String, value: Double)]

    static func == (a: Self, b: Self) -> Bool {
        a.step == b.step && a.values.count == b.values.count
            && zip(a.values, b.values).allSatisfy { $0.tag == $1.tag && $0.value.bitPattern == $1.value.bitPattern }
    }
}

package enum RunEvents {
    /// Columns that index rows rather than measure something.
    package static let rowIndexColumns: Set<String> = [
        "steps/phase", "steps/epoch", "search/phase", "search/epoch", "search/epoch_batches", "eval/phase", "eval/epoch",
    ]

    /// The tags and values of row `row` of `column`: one per combination of its label dimensions.
    static func scalars<Log>(_ column: RecordColumn<Log>, of log: Log, row: Int, labels: [String: [String]])
        -> [(tag: String, value: Double)] {
        let inner = Array(column.dimensions.dropFirst())
        let axes = inner.compactMap { labels[$0] }
        guard axes.count == inner.count else { return [] }  // a dimension without labels (not shown)
        let width = axes.reduce(1) { $0 * $1.count }
        var tags = [column.path]
        for axis in axes { tags = tags.flatMap { prefix in axis.map { prefix + "/" + $0 } } }
        let base = row * width
        switch column.values {
        case let .ints(keyPath):
            let values = log[keyPath: keyPath]
            guard base + width <= values.count else { return [] }
            return tags.enumerated().map { ($1, Double(values[base + $0])) }
        case let .doubles(keyPath):
            let values = log[keyPath: keyPath]
            guard base + width <= values.count else { return [] }
            // NaN means "does not exist here" (SNAS's temperature in DSNAS, an empty subset): nothing to plot.
            return tags.enumerated().compactMap { values[base + $0].isNaN ? nil : ($1, values[base + $0]) }
        }
    }

    /// Columns of `table` with one row per `rowDimension` entry, shown in TensorBoard.
    static func shown<Log>(_ table: [RecordColumn<Log>], rowDimension: String, in log: Log) -> [RecordColumn<Log>] {
        table.filter { $0.dimensions.first == rowDimension && !rowIndexColumns.contains($0.path) && $0.isStored(log)
            // per-step (cell, edge) and (cell, node) costs are many numbers per step: their per-epoch means are shown
            && !(rowDimension == "step" && $0.dimensions.count > 1) }
    }

    /// The scalars of step `s`.
    static func step(_ s: Int, of records: RunRecords) -> EventScalars {
        EventScalars(step: s, values: shown(StepLog.columns, rowDimension: "step", in: records.log).flatMap {
            scalars($0, of: records.log, row: s, labels: records.labels)
        })
    }

    /// The mean batch cost of each (cell, edge, op) over the steps of the epoch that ends at step `last`
    /// (one-hot steps count the evaluated op, mixture steps every op's ∂L/∂W, as `summary/cost_mean`).
    static func epochCost(endingAt last: Int, of records: RunRecords) -> EventScalars {
        let log = records.log
        var statistics = CostStatistics(cells: log.cells, edges: log.edges, ops: log.ops)
        var s = last
        while s >= 0 && log.phase[s] == log.phase[last] && log.epoch[s] == log.epoch[last] {
            for c in 0..<log.cells {
                for e in 0..<log.edges {
                    let flat = (s * log.cells + c) * log.edges + e
                    let op = log.edgeOp[flat]
                    if op >= 0 {
                        statistics.add(cell: c, edge: e, op: op, cost: log.edgeCost[flat])
                    } else if op == -1 {
                        for o in 0..<log.ops { statistics.add(cell: c, edge: e, op: o, cost: log.opCost[flat * log.ops + o]) }
                    }
                }
            }
            s -= 1
        }
        let (cells, edges, ops) = (records.labels["cells"]!, records.labels["edges"]!, records.labels["ops"]!)
        let mean = statistics.mean, count = statistics.count
        var values: [(tag: String, value: Double)] = []
        for c in 0..<log.cells {
            for e in 0..<log.edges {
                for o in 0..<log.ops where count[c][e][o] > 0 {
                    values.append(("cost_mean/\(cells[c])/\(edges[e])/\(ops[o])", mean[c][e][o]))
                }
            }
        }
        return EventScalars(step: last, values: values)
    }

    /// The scalars of search-epoch row `j`.
    static func searchEpoch(_ j: Int, of records: RunRecords) -> EventScalars {
        let search = records.searchLog
        return EventScalars(step: records.step(phase: search.epochPhase[j], epoch: search.epochIndex[j]),
                            values: shown(SearchLog.columns, rowDimension: "search_epoch", in: search).flatMap {
                                scalars($0, of: search, row: j, labels: records.labels)
                            })
    }

    /// The scalars of eval row `k`.
    static func evalPass(_ k: Int, of records: RunRecords) -> EventScalars {
        let evals = records.evalLog
        return EventScalars(step: records.step(phase: evals.phase[k], epoch: evals.epoch[k]),
                            values: shown(EvalLog.columns, rowDimension: "eval_epoch", in: evals).flatMap {
                                scalars($0, of: evals, row: k, labels: records.labels)
                            })
    }

    /// The run's settings as Markdown for TensorBoard's text dashboard.
    package static func settingsText(experiment: String, runID: String, name: String, codeVersion: String, config: String) -> String {
        "**\(experiment)** run `\(runID)` (\(name)), code version `\(codeVersion)`\n\n"
            + config.split(separator: "\n", omittingEmptySubsequences: false).map { "    " + $0 }.joined(separator: "\n")
    }

    /// The tag of the settings text.
    static let settingsTag = "settings"

    /// The folder of a run's event files: the grid setting (the experiment name when nothing varies), the
    /// replicate seed, and the run id, so that TensorBoard lists a sweep's runs by their grid labels.
    package static func folderName(setting: String, seed: Int?, runID: String) -> String {
        let readable = setting + (seed.map { ",seed=\($0)" } ?? "")
        return readable.replacingOccurrences(of: "/", with: "_") + "-" + runID
    }

    /// Writes every record of a finished run: the settings, then each step with what closes at it (the
    /// epoch's mean costs, its search row and eval passes), in step order.
    package static func writeAll(_ records: RunRecords, settings: String, to writer: EventFileWriter, wallTime: Date) throws {
        try writer.text(settingsTag, settings, step: 0, wallTime: wallTime)
        var nextSearch = 0, nextEval = 0
        func closeRows(atOrBefore step: Int) throws {
            while nextSearch < records.searchLog.epochs, searchEpoch(nextSearch, of: records).step <= step {
                let row = searchEpoch(nextSearch, of: records)
                try writer.scalars(row.values, step: row.step, wallTime: wallTime)
                nextSearch += 1
            }
            while nextEval < records.evalLog.count, evalPass(nextEval, of: records).step <= step {
                let row = evalPass(nextEval, of: records)
                try writer.scalars(row.values, step: row.step, wallTime: wallTime)
                nextEval += 1
            }
        }
        for s in 0..<records.log.count {
            let row = step(s, of: records)
            try writer.scalars(row.values, step: s, wallTime: wallTime)
            if records.endsEpoch(s) {
                let cost = epochCost(endingAt: s, of: records)
                try writer.scalars(cost.values, step: s, wallTime: wallTime)
                try closeRows(atOrBefore: s)
            }
        }
        try closeRows(atOrBefore: Int.max)
        try writer.flush()
    }
}
