// WiringLab: presentation only (not part of the code version)
// Text that the CLI prints for a plan and for the experiment catalogue. Kept here, beside the types
// it reads, so the CLI stays a thin layer of argument parsing.

import Foundation
import WiringSpec

extension ExperimentPlan {
    /// A table of the runs: index, id, status in `folder`, estimated steps and time, name; then totals,
    /// with the wall time of running what is left as `run` does by default on `cores` (SweepSchedule).
    /// Nothing is run or written. `cluster`: the status words of submitted runs and the lines after the table,
    /// when the folder has Slurm jobs (the cluster layer above passes them; `table(resultsFolder:)` there).
    package func table(resultsFolder folder: URL, costModel: CostModel = CostModel(), width: Int = 100,
                       cores: Int = ProcessInfo.processInfo.activeProcessorCount,
                       cluster: (labels: [String: String], summary: String)?) -> String {
        let prior = priorResults(in: folder)
        let rows = runs.map { run -> (RunSpec, String, CostEstimate) in
            var status = RunStatus(id: run.id, in: folder).rawValue
            if status == "new", prior.contains(where: { $0.configID == run.configID }) { status = "old-code" }
            return (run, status, costModel.estimate(run.config))
        }
        let header = ["index", "id", "status", "steps", "time", "name"]
        let cells = rows.map { run, status, cost in
            ["\(run.index)", run.id, cluster?.labels[run.id] ?? status, "\(cost.steps)", formatDuration(cost.seconds), run.name]
        }
        // Right-align the numbers, left-align the text; the name takes what is left of the width.
        let numeric = [true, false, false, true, true, false]
        var widths = header.indices.map { c in ([header[c]] + cells.map { $0[c] }).map(\.count).max() ?? 0 }
        let fixed = widths.dropLast().reduce(0, +) + 2 * (widths.count - 1)
        widths[widths.count - 1] = max(8, min(widths.last!, width - fixed))
        func line(_ row: [String]) -> String {
            row.indices.map { c in
                let text = c == row.count - 1 ? clipped(row[c], to: widths[c]) : row[c]
                let pad = String(repeating: " ", count: max(0, widths[c] - text.count))
                return c == row.count - 1 ? text : numeric[c] ? pad + text : text + pad
            }.joined(separator: "  ")
        }
        let count = { (s: String) in rows.filter { $0.1 == s }.count }
        let todo = rows.filter { $0.1 != "done" && $0.1 != "old-code" }
        let runWord = runs.count == 1 ? "run" : "runs"
        var out = "\(name): \(runs.count) \(runWord), code \(codeVersion)\n"
        out += clippedLeft("results in \(folder.relativePath)/", to: width) + "\n"
        out += ([header] + cells).map { line($0) + "\n" }.joined()
        out += "total: \(count("new")) new, \(count("partial")) partial, \(count("running")) running, "
        out += "\(count("done")) done" + (count("old-code") > 0 ? ", \(count("old-code")) done by other code" : "") + "; "
        let serial = todo.map(\.2.seconds).reduce(0, +)
        let jobs = SweepSchedule.defaultJobs(runs: todo.count, cores: cores)
        out += "\(todo.map(\.2.steps).reduce(0, +)) steps, "
        if jobs > 1 {
            // Each run's time at any thread count, for the schedule of `run --jobs`.
            let timed = todo.map { run, _, _ in
                { (threads: Int) -> Double in
                    var config = run.config
                    config.threads = threads
                    return costModel.estimate(config).seconds
                }
            }
            let wall = SweepSchedule.wallSeconds(timed, jobs: jobs, cores: cores, ownThreads: todo.map(\.0.config.threads))
            out += "\(formatDuration(wall)) to go\n"
            out += "  (\(jobs) side by side as `run` does; \(formatDuration(serial)) one after another)\n"
        } else {
            out += "\(formatDuration(serial)) to go\n"
        }
        if costModel.hostFactor != 1 {
            out += String(format: "  (times: the cost table x%.2f for this machine, from a %.1f s speed probe)\n",
                          costModel.hostFactor, HostSpeed.planBudget)
        }
        // Why each run that is not done is new, when the folder has finished runs to compare with.
        let reasons = rows.filter { $0.1 == "new" || $0.1 == "old-code" }.compactMap { run, _, _ in
            run.reasonItIsNew(among: prior).map { (run, $0) }
        }
        if !reasons.isEmpty {
            out += "why not done:\n"
            for (run, reason) in reasons.prefix(20) {
                let words = reason.split(separator: " ").map(String.init)
                out += wrapped(words, width: width, first: "  [\(run.index)] \(run.id):", separator: " ")
                    .map { $0.replacingOccurrences(of: "\u{A0}", with: " ") + "\n" }.joined()
            }
            if reasons.count > 20 { out += "  ... and \(reasons.count - 20) more\n" }
        }
        if let cluster { out += cluster.summary }  // Slurm (issue 13)
        return out
    }
}

/// `text` cut to its last `width` characters with a leading ellipsis (for paths: the end says most).
func clippedLeft(_ text: String, to width: Int) -> String {
    text.count <= width ? text : "…" + String(text.suffix(max(1, width - 1)))
}

/// `text` cut to `width` characters with an ellipsis.
func clipped(_ text: String, to width: Int) -> String {
    text.count <= width ? text : String(text.prefix(max(1, width - 1))) + "…"
}

/// `~45s`, `~2m10s`, `~12m`, `~3.5h`, `~2.1d`: rough on purpose.
func formatDuration(_ seconds: Double) -> String {
    switch seconds {
    case ..<90: return "~\(Int(seconds.rounded()))s"
    case ..<600:
        let s = Int((seconds / 10).rounded()) * 10
        return String(format: "~%dm%02ds", s / 60, s % 60)
    case ..<(90 * 60): return "~\(Int((seconds / 60).rounded()))m"
    case ..<(48 * 3600): return String(format: "~%.1fh", seconds / 3600)
    default: return String(format: "~%.1fd", seconds / 86400)
    }
}

/// One manifest of the experiments folder.
public struct CatalogEntry: Hashable, Sendable {
    /// File name without the folder.
    public let file: String
    /// The file's own `description`, or a note when it cannot be read.
    public let description: String
}

/// The manifests in `folder` (`*.yaml`, sorted by name) with their descriptions. Each file's own
/// top-level `description` is shown (not an included one), read without validating the file.
/// - Throws: the Foundation error when the folder cannot be listed.
public func experimentCatalog(in folder: URL) throws -> [CatalogEntry] {
    let names = try FileManager.default.contentsOfDirectory(atPath: folder.path)
        .filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted()
    return names.map { name in
        let path = folder.appendingPathComponent(name).path
        do {
            let root = try ManifestNode.parse(yaml: try Manifest.readFile(path), file: path)
            if case let .string(text)? = root["description"]?.value {
                return CatalogEntry(file: name, description: text)
            }
            return CatalogEntry(file: name, description: "")
        } catch {
            return CatalogEntry(file: name, description: "(unreadable: \(error))")
        }
    }
}
