// WiringLab: presentation only (not part of the code version)
// One tidy ("long") CSV table of finished runs, which pandas, R and Julia read as it is: one row per
// recorded number, with the run, its grid setting, and where the number sits (phase, epoch, step, cell,
// edge, op) as columns, `quantity` the result file's dataset path and `stderr` where the file has one.
//
// Rows: every per-step, search-epoch and eval dataset whose dimensions beyond the row are among cells,
// edges and ops (`steps/edge_cost` rows name the op the step evaluated on the edge); `summary/cost_mean`
// per phase with `summary/cost_sem` as its standard error, where `cost_count` > 0. Not in the table:
// per-node and per-sample records, the C/L/H split and the bi-level search-batch rows (see the HDF5 file).
// Empty cells are "not applicable"; numbers are written as Swift prints doubles (shortest text that reads
// back to the same double), NaN and ±Inf as `NaN`, `Inf`, `-Inf`.
import Foundation
import WiringSpec
import WiringRun

/// Writes the tidy table of `RunExport`.
struct TidyTable {
    let export: RunExport

    /// The grid keys of all runs in order of first appearance (seed has its own column).
    var gridKeys: [String] {
        var keys: [String] = []
        for run in export.runs { for axis in run.varying where axis.key != "seed" && !keys.contains(axis.key) { keys.append(axis.key) } }
        return keys
    }

    static let fixedColumns = ["run_id", "seed", "phase", "epoch", "step", "cell", "edge", "op", "quantity", "value", "stderr"]

    /// The column of each grid key: its short name with dots as underscores (`norm_kind`), `_value`
    /// appended when that clashes with a fixed column.
    var gridColumns: [String] {
        let short = Manifest.shortNames(gridKeys)
        return gridKeys.map { key in
            let name = (short[key] ?? key).replacingOccurrences(of: ".", with: "_")
            return Self.fixedColumns.contains(name) ? name + "_value" : name
        }
    }

    var header: [String] { ["run_id"] + gridColumns + Array(Self.fixedColumns.dropFirst()) }

    static func number(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "Inf" : "-Inf" }
        return "\(value)"
    }

    /// A CSV field, quoted when it holds a comma, a quote or a line break (RFC 4180).
    static func field(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// Writes the table to `path`; returns the number of data rows.
    public func write(to path: String) throws -> Int {
        guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
            throw CollectError(message: "\(path): cannot create the CSV file (check the folder exists and is writable)")
        }
        defer { try? handle.close() }
        var text = header.joined(separator: ",") + "\n"
        var rows = 0
        let keys = gridKeys
        for run in export.runs {
            let grid = keys.map { key in run.varying.first { $0.key == key }.map { $0.label ?? $0.value.plain } ?? "" }
            let lead = ([run.id] + grid).map(Self.field).joined(separator: ",") + ",\(run.seed),"
            Self.rows(of: run) { phase, epoch, step, cell, edge, op, quantity, value, stderr in
                text += lead + [Self.field(phase), epoch.map(String.init) ?? "", step.map(String.init) ?? "",
                                cell, Self.field(edge), op, quantity, Self.number(value),
                                stderr.map(Self.number) ?? ""].joined(separator: ",") + "\n"
                rows += 1
                if text.utf8.count > 1 << 20 {
                    handle.write(Data(text.utf8))
                    text = ""
                }
            }
        }
        handle.write(Data(text.utf8))
        return rows
    }

    typealias Row = (_ phase: String, _ epoch: Int?, _ step: Int?, _ cell: String, _ edge: String, _ op: String,
                     _ quantity: String, _ value: Double, _ stderr: Double?) -> Void

    /// The label dimensions a row may have beyond its row dimension.
    static let placeDimensions: Set<String> = ["cells", "edges", "ops"]

    /// Every row of one run, in dataset order.
    static func rows(of run: ExportedRun, _ emit: Row) {
        let records = run.records
        let labels = records.labels
        let phases = labels["phases"] ?? []
        let (cells, edges, ops) = (labels["cells"] ?? [], labels["edges"] ?? [], labels["ops"] ?? [])
        func opName(_ index: Int) -> String { index >= 0 && index < ops.count ? ops[index] : "" }

        /// One column of a log: `place(row)` gives (phase, epoch, step) of a row.
        func table<Log>(_ columns: [RecordColumn<Log>], rowDimension: String, log: Log, rowCount: Int,
                        place: (Int) -> (phase: Int, epoch: Int, step: Int)) {
            for column in columns where column.dimensions.first == rowDimension && column.isStored(log)
                && !RunEvents.rowIndexColumns.contains(column.path) && column.path != "steps/edge_op" {
                let inner = Array(column.dimensions.dropFirst())
                guard Set(inner).isSubset(of: placeDimensions) else { continue }
                let sizes = inner.map { dim in dim == "cells" ? cells.count : dim == "edges" ? edges.count : ops.count }
                let width = sizes.reduce(1, *)
                let values: [Double]
                switch column.values {
                case let .ints(k): values = log[keyPath: k].map(Double.init)
                case let .doubles(k): values = log[keyPath: k]
                }
                guard values.count >= rowCount * width else { continue }
                for row in 0..<rowCount {
                    let (p, epoch, step) = place(row)
                    for flat in 0..<width {
                        var rest = flat
                        var index: [String: Int] = [:]
                        for axis in stride(from: inner.count - 1, through: 0, by: -1) {
                            index[inner[axis]] = rest % sizes[axis]
                            rest /= sizes[axis]
                        }
                        var op = index["ops"].map { ops[$0] } ?? ""
                        if column.path == "steps/edge_cost", let c = index["cells"], let e = index["edges"] {
                            op = opName(records.log.edgeOp[(row * cells.count + c) * edges.count + e])
                        }
                        emit(p < phases.count ? phases[p] : "\(p)", epoch, step, index["cells"].map { cells[$0] } ?? "",
                             index["edges"].map { edges[$0] } ?? "", op, column.path, values[row * width + flat], nil)
                    }
                }
            }
        }
        let log = records.log
        table(StepLog.columns, rowDimension: "step", log: log, rowCount: log.count) { (log.phase[$0], log.epoch[$0], $0) }
        let search = records.searchLog
        table(SearchLog.columns, rowDimension: "search_epoch", log: search, rowCount: search.epochs) {
            (search.epochPhase[$0], search.epochIndex[$0], records.step(phase: search.epochPhase[$0], epoch: search.epochIndex[$0]))
        }
        let evals = records.evalLog
        table(EvalLog.columns, rowDimension: "eval_epoch", log: evals, rowCount: evals.count) {
            (evals.phase[$0], evals.epoch[$0], records.step(phase: evals.phase[$0], epoch: evals.epoch[$0]))
        }
        // Per phase: the Fig 4 matrix with its standard errors.
        for p in 0..<phases.count {
            for c in 0..<cells.count {
                for e in 0..<edges.count {
                    for o in 0..<ops.count {
                        let flat = ((p * cells.count + c) * edges.count + e) * ops.count + o
                        guard flat < run.costCount.count, run.costCount[flat] > 0 else { continue }
                        emit(phases[p], nil, nil, cells[c], edges[e], ops[o], "summary/cost_mean", run.costMean[flat],
                             run.costSEM[flat])
                    }
                }
            }
        }
    }
}

extension RunExport {
    /// Writes the tidy table of every run to `path`; returns the number of data rows.
    public func writeCSV(to path: String) throws -> Int { try TidyTable(export: self).write(to: path) }
}
