// Text that the CLI prints for a plan and for the experiment catalogue. Kept here, beside the types
// it reads, so the CLI stays a thin layer of argument parsing.

import Foundation

extension ExperimentPlan {
    /// A table of the runs: index, id, status in `folder`, estimated steps and time, name; then totals.
    /// Nothing is run or written.
    public func table(resultsFolder folder: URL, costModel: CostModel = CostModel()) -> String {
        let rows = runs.map { run -> (RunSpec, RunStatus, CostEstimate) in
            (run, RunStatus(id: run.id, in: folder), costModel.estimate(run.config))
        }
        let header = ["index", "id", "status", "steps", "time", "name"]
        let cluster = clusterStatus(for: self, folder: folder)  // Slurm (issue 13): queued/running/done/failed
        let cells = rows.map { run, status, cost in
            ["\(run.index)", run.id, cluster?[run.id]?.label ?? status.rawValue, "\(cost.steps)", formatDuration(cost.seconds), run.name]
        }
        // Right-align the numbers, left-align the text.
        let numeric = [true, false, false, true, true, false]
        let widths = header.indices.map { c in ([header[c]] + cells.map { $0[c] }).map(\.count).max() ?? 0 }
        func line(_ row: [String]) -> String {
            row.indices.map { c in
                let pad = String(repeating: " ", count: widths[c] - row[c].count)
                return c == row.count - 1 ? row[c] : numeric[c] ? pad + row[c] : row[c] + pad
            }.joined(separator: "  ")
        }
        let count = { (s: RunStatus) in rows.filter { $0.1 == s }.count }
        let todo = rows.filter { $0.1 != .done }
        let runWord = runs.count == 1 ? "run" : "runs"
        var out = "\(name): \(runs.count) \(runWord), code version \(codeVersion), results in \(folder.relativePath)/\n"
        out += ([header] + cells).map { line($0) + "\n" }.joined()
        out += "total: \(count(.new)) new, \(count(.partial)) partial, \(count(.done)) done; "
        out += "\(todo.map(\.2.steps).reduce(0, +)) steps, \(formatDuration(todo.map(\.2.seconds).reduce(0, +))) to go\n"
        if let cluster { out += clusterSummary(cluster, folder: folder) }  // Slurm (issue 13)
        return out
    }
}

/// `~45s`, `~12m`, `~3.5h`, `~2.1d`: rough on purpose.
func formatDuration(_ seconds: Double) -> String {
    switch seconds {
    case ..<90: return "~\(Int(seconds.rounded()))s"
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
