// WiringLab: presentation only (not part of the code version)
// A text rendering of a result file for `wiringlab show` and the end of `wiringlab run`, fitted to a
// terminal width: the run's provenance, each phase's mean-cost matrix (the paper's Fig 4) on one scale
// with the sample count beside means that rest on few samples, the mean cost of the non-none ops, the
// search's final probabilities and wiring, the C/L/H split by correct and wrong samples, and the residuals
// of the identities measured on the fly. `wide` gives the full matrices with a standard error per entry.
// Epochs are counted from 0, as in the files and the plots.
import Foundation
import WiringResults
import WiringRun

/// Renders the result file at `path`.
/// - Parameters:
///   - color: ANSI colours (positive costs red, negative blue) for a terminal.
///   - width: columns to fit (the full matrices ignore it when `wide`).
/// - Throws: `ResultsError` for a missing, corrupt or foreign file, or one whose datasets disagree in shape.
public func describeResults(at path: String, color: Bool, width: Int = 100, wide: Bool = false) throws -> String {
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
    func line(_ s: String = "") { out += (wide ? s : clipped(s, to: width, keepingEscapes: true)) + "\n" }
    func attr(_ name: String) -> String { (try? root.stringAttribute(name)) ?? "?" }
    line("\(attr("experiment")) run \(attr("run_id")) \(attr("run_name"))")
    line("  \(attr("precision")), code \(attr("code_version")), \(attr("created")), \(attr("host"))")

    let phases = try root.dataset("phases").readStrings().values
    let cells = try root.dataset("cells").readStrings().values
    let edges = try root.dataset("edges").readStrings().values
    let ops = try root.dataset("ops").readStrings().values
    let mean = try root.dataset("summary/cost_mean").read(Double.self).values
    let sem = try root.dataset("summary/cost_sem").read(Double.self).values
    let count = try root.dataset("summary/cost_count").read(Int.self).values
    let stepPhase = try root.dataset(StepLog.columns.path(of: \StepLog.phase)).read(Int.self).values
    let stepEpoch = try root.dataset(StepLog.columns.path(of: \StepLog.epoch)).read(Int.self).values
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
    try requireShape(StepLog.columns.path(of: \StepLog.epoch), [stepPhase.count])
    let noneColumn = ops.firstIndex(of: "none")
    func paint(_ text: String, _ value: Double) -> String {
        guard color, value != 0 else { return text }
        return (value > 0 ? "\u{1B}[31m" : "\u{1B}[34m") + text + "\u{1B}[0m"
    }
    func index(_ p: Int, _ c: Int, _ e: Int, _ o: Int) -> Int { ((p * nc + c) * ne + e) * no + o }

    for (p, phase) in phases.enumerated() {
        let steps = stepPhase.indices.filter { stepPhase[$0] == p }
        let lastEpoch = steps.map { stepEpoch[$0] }.max() ?? 0
        let shownCells = nc <= 2 ? Array(0..<nc) : [nc - 1]
        for c in shownCells {
            let entries = (0..<ne).flatMap { e in (0..<no).map { index(p, c, e, $0) } }.filter { count[$0] > 0 }
            line()
            if wide {
                line("phase \(phase) (\(steps.count) steps, epochs 0-\(lastEpoch)), \(cells[c]): "
                     + "mean cost ± standard error, per edge and op")
                renderWide(p: p, c: c)
            } else {
                renderCompact(p: p, c: c, phase: phase, steps: steps.count, lastEpoch: lastEpoch, entries: entries)
            }
            // Mean over the sampled (edge, non-none op) entries: the paper's hypothesis is its sign.
            var total = 0.0, variance = 0.0, n = 0
            for e in 0..<ne {
                for o in 0..<no where o != noneColumn {
                    let k = index(p, c, e, o)
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

    /// One table on one scale: each mean times 10^k, the count in parentheses where it is below 10.
    func renderCompact(p: Int, c: Int, phase: String, steps: Int, lastEpoch: Int, entries: [Int]) {
        let largest = entries.map { abs(mean[$0]) }.max() ?? 0
        // The exponent that puts the largest mean in [10, 1000): three significant digits for it.
        let exponent = largest > 0 ? Int((log10(largest)).rounded(.down)) - 1 : 0
        let scale = pow(10, Double(-exponent))
        let labelWidth = (edges.map(\.count).max() ?? 4) + 1
        // A value in 6 columns (up to +999.9), then the sample count "(n)" when below 10, else blanks.
        let cellWidth = 9
        let perChunk = max(1, (width - labelWidth) / cellWidth)
        line("phase \(phase) (\(steps) steps, epochs 0-\(lastEpoch)), \(cells[c]): mean cost x 1e\(exponent) per edge and op")
        line("  (n): the mean of n < 10 samples; .: never sampled")
        for start in stride(from: 0, to: no, by: perChunk) {
            let columns = Array(start..<min(no, start + perChunk))
            line("".padding(toLength: labelWidth, withPad: " ", startingAt: 0)
                 + columns.map { rightAligned(shortOpName(ops[$0]), 6) + "   " }.joined())
            for e in 0..<ne {
                var row = edges[e].padding(toLength: labelWidth, withPad: " ", startingAt: 0)
                for o in columns {
                    let k = index(p, c, e, o)
                    guard count[k] > 0 else { row += rightAligned(".", 6) + "   "; continue }
                    let value = rightAligned(String(format: "%+.1f", mean[k] * scale), 6)
                    let note = count[k] < 10 ? "(\(count[k]))" : "   "
                    row += paint(value, o == noneColumn ? 0 : mean[k]) + note
                }
                line(row)
            }
        }
        let errors = entries.filter { $0 % no != noneColumn ?? -1 }.map { sem[$0] * scale }
        if let worst = errors.max() {
            line(String(format: "standard errors (same scale): median %.1f, max %.1f; --wide shows each", median(errors), worst))
        }
    }

    /// The full matrix: every entry as mean ± standard error in scientific notation.
    func renderWide(p: Int, c: Int) {
        let cell = 21
        line(rightAligned("edge \\ op", cell) + ops.map { rightAligned($0, cell) }.joined())
        for e in 0..<ne {
            var row = rightAligned(edges[e], cell)
            for o in 0..<no {
                let k = index(p, c, e, o)
                if count[k] == 0 { row += rightAligned("·", cell); continue }
                let text = String(format: "%+.2e±%.1e", mean[k], sem[k]) + (count[k] < 10 ? "(\(count[k]))" : "")
                row += paint(rightAligned(text, cell), o == noneColumn ? 0 : mean[k])
            }
            line(row)
        }
    }

    // Search phases: the last recorded probabilities and the most likely wiring.
    if try root.contains("search"), try root.group("search").contains("prob") {
        let probability = try root.dataset("search/prob").read(Double.self)
        let rows = probability.shape.first ?? 0
        if rows > 0, probability.shape == [rows, ne, no] {
            let searchPhase = try root.dataset("search/phase").read(Int.self).values
            let searchEpoch = try root.dataset("search/epoch").read(Int.self).values
            let topology = try root.dataset("search/topology_without_none").read(Int.self).values
            let last = rows - 1
            line()
            line("search: probabilities after epoch \(searchEpoch[last]) of phase \(phases[searchPhase[last]])")
            let labelWidth = (edges.map(\.count).max() ?? 4) + 1
            let perChunk = max(1, (width - labelWidth) / 7)
            for start in stride(from: 0, to: no, by: perChunk) {
                let columns = Array(start..<min(no, start + perChunk))
                line("".padding(toLength: labelWidth, withPad: " ", startingAt: 0)
                     + columns.map { rightAligned(shortOpName(ops[$0]), 7) }.joined())
                for e in 0..<ne {
                    let row = columns.map { o in
                        rightAligned(String(format: "%.3f", probability.values[(last * ne + e) * no + o]), 7)
                    }.joined()
                    line(edges[e].padding(toLength: labelWidth, withPad: " ", startingAt: 0) + row)
                }
            }
            let wiring = (0..<ne).map { e -> String in
                let o = topology[last * ne + e]
                return "\(edges[e].split(separator: ":").first ?? "") " + (o >= 0 ? shortOpName(ops[o]) : "deleted")
            }
            for chunk in wrapped(wiring, width: width - 2, first: "most likely without none: ") { line(chunk) }
        }
    }

    // Validation passes (eval-mode batch norm on the test images): loss, accuracy and the Theorem 2 residual,
    // which is expected to be large here (claim 9: the identities need training-mode normalisation).
    if try root.contains("eval"), try root.group("eval").contains("loss") {
        let evalPhase = try root.dataset("eval/phase").read(Int.self).values
        let evalEpoch = try root.dataset("eval/epoch").read(Int.self).values
        let evalLoss = try root.dataset("eval/loss").read(Double.self).values
        let evalAccuracy = try root.dataset("eval/accuracy").read(Double.self).values
        let evalThm2 = try root.dataset("eval/thm2_residual").read(Double.self).values
        if !evalLoss.isEmpty, [evalPhase.count, evalEpoch.count, evalAccuracy.count, evalThm2.count].allSatisfy({ $0 == evalLoss.count }) {
            line()
            line("validation (test images, eval-mode batch norm)")
            line("  phase         epoch      loss  accuracy  Theorem 2 residual")
            let rows = Array(evalLoss.indices)
            let shown = rows.count <= 12 ? rows : Array(rows.prefix(5)) + Array(rows.suffix(6))
            for (n, i) in shown.enumerated() {
                if rows.count > 12 && n == 5 { line("  ...") }
                let name = evalPhase[i] < phases.count ? phases[evalPhase[i]] : "?"
                line("  " + name.padding(toLength: 13, withPad: " ", startingAt: 0)
                     + String(format: " %5d  %8.4f  %8.4f  %18.2e", evalEpoch[i], evalLoss[i], evalAccuracy[i], evalThm2[i]))
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
                 + String(format: " %5d  ", splitEpoch[row]) + subset.padding(toLength: 8, withPad: " ", startingAt: 0)
                 + String(format: " %8.4f %8.4f %8.4f %8.0f", v[0], v[1], v[2], v[3]))
        }
    }

    let thm2 = try root.dataset(StepLog.columns.path(of: \StepLog.theorem2Residual)).read(Double.self).values
    let cor12 = try root.dataset(StepLog.columns.path(of: \StepLog.corollary12Residual)).read(Double.self).values
    line()
    line("identity residuals, relative to sum |C| of the cell:")
    line(String(format: "  Theorem 2 max %.2e, median %.2e", thm2.max() ?? 0, median(thm2))
         + (nc > 1 ? String(format: "; Corollary 1.2 max %.2e", cor12.max() ?? 0) : ""))
    return out
}

/// The op names of the paper's tables: `sep_conv_3x3` -> `sep3`, `skip_connect` -> `skip`, `max_pool_3x3` -> `max`.
func shortOpName(_ op: String) -> String {
    let parts = op.split(separator: "_")
    guard parts.count >= 2 else { return op }
    if parts[1] == "conv", parts.count == 3 { return String(parts[0]) + String(parts[2].prefix(1)) }
    return String(parts[0])
}

func rightAligned(_ text: String, _ width: Int) -> String {
    text.count >= width ? text : String(repeating: " ", count: width - text.count) + text
}

/// Items joined with ", " (or `separator`) into lines of at most `width` characters, the first line
/// starting with `first`, the others indented by two spaces.
func wrapped(_ items: [String], width: Int, first: String, separator: String = ",") -> [String] {
    var lines: [String] = []
    var current = first
    for (i, item) in items.enumerated() {
        let piece = item + (i == items.count - 1 || separator == " " ? "" : separator)
        if current.count + piece.count + 1 > width, current.trimmingCharacters(in: .whitespaces) != "" {
            lines.append(current)
            current = "    "
        }
        current += (current.hasSuffix(" ") || current.isEmpty ? "" : " ") + piece
    }
    lines.append(current)
    return lines
}

/// `text` cut to `width` visible characters; ANSI colour sequences do not count and are kept.
func clipped(_ text: String, to width: Int, keepingEscapes: Bool) -> String {
    guard keepingEscapes, text.contains("\u{1B}") else { return clipped(text, to: width) }
    var visible = 0, out = "", inEscape = false
    for ch in text {
        if ch == "\u{1B}" { inEscape = true }
        if inEscape {
            out.append(ch)
            if ch == "m" { inEscape = false }
            continue
        }
        if visible < width { out.append(ch) }
        visible += 1
    }
    return out
}

private func median(_ xs: [Double]) -> Double {
    guard !xs.isEmpty else { return 0 }
    let s = xs.sorted()
    return s[s.count / 2]
}

/// What `verifyResults` found in a file that passed.
public struct VerifiedFile: Sendable {
    /// The datasets read, every one of them.
    public var datasets: Int
    /// The file's end-to-end seal: `.intact` with its digest, or `.absent` (an older WiringLab's file).
    public var seal: FileSeal

    /// "24 datasets, sealed sha256 1f2e3d4c5b6a…" or "24 datasets, no seal (...)".
    public var summary: String {
        switch seal {
        case let .intact(digest): "\(datasets) datasets, every byte matches its seal, sha256 \(digest.prefix(16))…"
        case .absent: "\(datasets) datasets, no seal (written by a WiringLab older than the seal): only HDF5's own checksums were checked"
        }
    }
}

/// Opens a result file or checkpoint, checks its seal (every byte) and reads every dataset (HDF5's checksums too).
/// - Throws: `ResultsError` for a missing, foreign or damaged file.
public func verifyResults(at path: String) throws -> VerifiedFile {
    let file = try HDF5File(reading: path)
    defer { file.close() }
    let isCheckpoint = try file.root.hasAttribute("checkpoint_format")
    let isResult = try file.root.hasAttribute("format") && file.root.stringAttribute("format") == "wiringlab-results"
    guard isCheckpoint || isResult else {
        throw ResultsError.wrongKind(file: path, path: "/", expected: "WiringLab result file or checkpoint",
                                     found: "HDF5 file of another kind")
    }
    return VerifiedFile(datasets: try file.verifyEveryDataset(), seal: file.seal)
}
