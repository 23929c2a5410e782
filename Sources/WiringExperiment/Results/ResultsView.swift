// A text rendering of a result file for `wiringlab show` and the end of `wiringlab run`: the run's
// provenance, each phase's mean-cost matrix (the paper's Fig 4) with signs and standard errors, the
// mean cost of the non-none ops, the C/L/H split by correct and wrong samples, and the residuals of
// the identities measured on the fly.
import Foundation
import WiringResults

/// Renders the result file at `path`.
/// - Parameter color: ANSI colours (positive costs red, negative blue) for a terminal.
/// - Throws: `ResultsError` for a missing, corrupt or foreign file.
public func describeResults(at path: String, color: Bool) throws -> String {
    let file = try HDF5File(reading: path)
    defer { file.close() }
    let root = file.root
    guard try root.hasAttribute("format"), try root.stringAttribute("format") == "wiringlab-results" else {
        throw ResultsError.wrongKind(file: path, path: "/", expected: "WiringLab result file",
                                     found: "HDF5 file of another kind")
    }
    // Every dataset is read once, so a damaged chunk (Fletcher-32) is an error here, not a wrong number below.
    try file.verifyEveryDataset()
    var out = ""
    func line(_ s: String = "") { out += s + "\n" }
    func attr(_ name: String) -> String { (try? root.stringAttribute(name)) ?? "?" }
    line("\(attr("experiment")) run \(attr("run_id")) \(attr("run_name"))")
    line("  precision \(attr("precision")), code \(attr("code_version")), created \(attr("created")), host \(attr("host"))")

    let phases = try root.dataset("phases").readStrings().values
    let cells = try root.dataset("cells").readStrings().values
    let edges = try root.dataset("edges").readStrings().values
    let ops = try root.dataset("ops").readStrings().values
    let mean = try root.dataset("summary/cost_mean").read(Double.self).values
    let sem = try root.dataset("summary/cost_sem").read(Double.self).values
    let count = try root.dataset("summary/cost_count").read(Int.self).values
    let (nc, ne, no) = (cells.count, edges.count, ops.count)
    /// The view indexes these datasets by the label counts: a file whose shapes disagree is refused.
    func requireShape(_ dataset: String, _ shape: [Int]) throws {
        let found = try root.dataset(dataset).shape
        guard found == shape else {
            throw ResultsError.shapeMismatch(file: path, path: dataset, problem: "shape \(found), expected \(shape)")
        }
    }
    for name in ["summary/cost_mean", "summary/cost_sem", "summary/cost_count"] {
        try requireShape(name, [phases.count, nc, ne, no])
    }
    let splitRows = try root.dataset("summary/split_phase").shape
    try requireShape("summary/split_epoch", splitRows)
    try requireShape("summary/split_mean", splitRows + [3, 4])
    let noneColumn = ops.firstIndex(of: "none")
    func paint(_ text: String, _ value: Double) -> String {
        guard color, value != 0 else { return text }
        return (value > 0 ? "\u{1B}[31m" : "\u{1B}[34m") + text + "\u{1B}[0m"
    }
    let width = 21
    func pad(_ s: String) -> String { s.count >= width ? s : String(repeating: " ", count: width - s.count) + s }

    for (p, phase) in phases.enumerated() {
        let shownCells = nc <= 2 ? Array(0..<nc) : [nc - 1]
        for c in shownCells {
            let phaseSteps = try root.dataset(StepLog.columns.path(of: \StepLog.phase)).read(Int.self).values.filter { $0 == p }.count
            line()
            line("phase \(phase) (\(phaseSteps) steps), \(cells[c]): mean cost ± standard error, per edge and op")
            line(pad("edge \\ op") + ops.map { pad($0) }.joined())
            for e in 0..<ne {
                var row = pad(edges[e])
                for o in 0..<no {
                    let k = ((p * nc + c) * ne + e) * no + o
                    if count[k] == 0 { row += pad("·"); continue }
                    let text = String(format: "%+.2e±%.1e", mean[k], sem[k])
                    row += paint(pad(text), o == noneColumn ? 0 : mean[k])
                }
                line(row)
            }
            // Mean over the sampled (edge, non-none op) entries: the paper's hypothesis is its sign.
            var total = 0.0, variance = 0.0, n = 0
            for e in 0..<ne {
                for o in 0..<no where o != noneColumn {
                    let k = ((p * nc + c) * ne + e) * no + o
                    guard count[k] > 0 else { continue }
                    total += mean[k]
                    variance += sem[k] * sem[k]
                    n += 1
                }
            }
            if n > 0 {
                let m = total / Double(n), s = variance.squareRoot() / Double(n)
                line(paint(String(format: "mean cost of non-none ops: %+.3e ± %.1e (%@)", m, s,
                                  m > 2 * s ? "positive" : m < -2 * s ? "negative" : "not distinguishable from 0"), m))
            }
        }
    }

    // C/L/H split of each phase's last epoch.
    let splitPhase = try root.dataset("summary/split_phase").read(Int.self).values
    let splitEpoch = try root.dataset("summary/split_epoch").read(Int.self).values
    let split = try root.dataset("summary/split_mean").read(Double.self).values
    line()
    line("loss L, entropy H and cost C = L - H by correctness (last epoch of each phase)")
    line("  phase         epoch  subset     L        H        C        samples")
    for (p, phase) in phases.enumerated() {
        guard let row = splitPhase.indices.last(where: { splitPhase[$0] == p }) else { continue }
        for (s, subset) in ["correct", "wrong", "all"].enumerated() {
            let v = Array(split[((row * 3 + s) * 4)..<((row * 3 + s) * 4 + 4)])
            line("  " + phase.padding(toLength: 13, withPad: " ", startingAt: 0)
                 + String(format: " %5d  ", splitEpoch[row] + 1) + subset.padding(toLength: 8, withPad: " ", startingAt: 0)
                 + String(format: " %8.4f %8.4f %8.4f %8.0f", v[0], v[1], v[2], v[3]))
        }
    }

    let thm2 = try root.dataset(StepLog.columns.path(of: \StepLog.theorem2Residual)).read(Double.self).values
    let cor12 = try root.dataset(StepLog.columns.path(of: \StepLog.corollary12Residual)).read(Double.self).values
    line()
    line(String(format: "identity residuals (relative to sum |C| of the cell): Theorem 2 max %.2e median %.2e",
                thm2.max() ?? 0, median(thm2)) + (nc > 1 ? String(format: "; Corollary 1.2 max %.2e", cor12.max() ?? 0) : ""))
    return out
}

private func median(_ xs: [Double]) -> Double {
    guard !xs.isEmpty else { return 0 }
    let s = xs.sorted()
    return s[s.count / 2]
}

/// Opens a result file and reads every dataset (checksums included).
/// - Returns: the number of datasets.
/// - Throws: `ResultsError` for a missing, foreign or damaged file.
public func verifyResults(at path: String) throws -> Int {
    let file = try HDF5File(reading: path)
    defer { file.close() }
    guard try file.root.hasAttribute("format"), try file.root.stringAttribute("format") == "wiringlab-results" else {
        throw ResultsError.wrongKind(file: path, path: "/", expected: "WiringLab result file",
                                     found: "HDF5 file of another kind")
    }
    return try file.verifyEveryDataset()
}
