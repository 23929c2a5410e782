// What became of the runs a sweep submitted to Slurm, from three sources: the results folder (done), the
// run locks (running, wherever the shared filesystem is mounted) and `squeue` when it is on PATH
// (queued, running). A submitted run that is in none of them ended without a result: failed, with its log.
import Foundation
import WiringSpec

/// The cluster state of one submitted run.
public enum ClusterRunStatus: Hashable, Sendable {
    case queued
    case running
    case done
    /// The task ended without a result; its log says why.
    case failed(log: URL)
    /// Submitted, not done, not locked, and there is no `squeue` to ask.
    case submitted

    /// The word `plan` shows.
    public var label: String {
        switch self {
        case .queued: "queued"
        case .running: "running"
        case .done: "done"
        case .failed: "failed"
        case .submitted: "submitted"
        }
    }
}

/// One array task the cluster knows about, from `squeue`.
struct QueuedTask: Hashable {
    let jobID: String
    let taskIndex: Int
    let running: Bool
}

/// The submitted runs of `folder` (from `<folder>/slurm/jobs.tsv`) with their cluster status, or nil when
/// nothing was ever submitted there. `plan` shows these instead of the local status.
public func clusterStatus(for plan: ExperimentPlan, folder: URL) -> [String: ClusterRunStatus]? {
    let ledgerURL = folder.appendingPathComponent(SlurmFiles.folderName).appendingPathComponent(SlurmFiles.ledger)
    guard let ledger = try? String(contentsOf: ledgerURL, encoding: .utf8) else { return nil }
    let planned = Set(plan.runs.map(\.id))
    // The latest submission of each run decides (a resubmission follows a failed task).
    var latest: [String: (jobID: String, index: Int)] = [:]
    for line in ledger.split(separator: "\n") {
        let fields = line.split(separator: "\t").map(String.init)
        guard fields.count == 3, let index = Int(fields[1]), planned.contains(fields[2]) else { continue }
        latest[fields[2]] = (fields[0], index)
    }
    guard !latest.isEmpty else { return nil }
    let queue = queuedTasks()
    var out: [String: ClusterRunStatus] = [:]
    for (id, task) in latest {
        let inQueue = queue?.first { $0.jobID == task.jobID && $0.taskIndex == task.index }
        if FileManager.default.fileExists(atPath: folder.appendingPathComponent(RunFiles.result(id)).path) {
            out[id] = .done
        } else if RunFiles.isLocked(id, in: folder) || inQueue?.running == true {
            out[id] = .running
        } else if inQueue != nil {
            out[id] = .queued
        } else {
            out[id] = queue == nil ? .submitted : .failed(log: SlurmFiles.log(id, in: folder))
        }
    }
    return out
}

/// Lines `plan` prints after its table: the counts per cluster status and the log of every failed task.
public func clusterSummary(_ status: [String: ClusterRunStatus], folder: URL) -> String {
    let order = ["queued", "running", "done", "failed", "submitted"]
    let counts = order.compactMap { label -> String? in
        let n = status.values.filter { $0.label == label }.count
        return n == 0 ? nil : "\(n) \(label)"
    }
    var out = "slurm: \(counts.joined(separator: ", ")) (of \(status.count) submitted)\n"
    for (id, state) in status.sorted(by: { $0.key < $1.key }) {
        if case let .failed(log) = state { out += "failed: \(id): log \(log.path)\n" }
    }
    return out
}

/// The user's array tasks in the Slurm queue, one per task (`squeue -r`), or nil when `squeue` is not on
/// PATH or does not answer (then nobody can tell queued from failed).
func queuedTasks() -> [QueuedTask]? {
    guard let squeue = findOnPath("squeue"),
          let result = try? runCommand(squeue, ["--noheader", "--array", "--me", "--format=%F|%K|%T"]),
          result.status == 0 else { return nil }
    return parseQueue(result.output)
}

/// Parses `squeue --format=%F|%K|%T` lines: array job id, task index, state.
func parseQueue(_ text: String) -> [QueuedTask] {
    text.split(separator: "\n").compactMap { line in
        let fields = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
        guard fields.count == 3, let index = Int(fields[1]) else { return nil }
        // Every state squeue lists is queued but RUNNING and COMPLETING (PENDING, REQUEUED, SUSPENDED, ...).
        return QueuedTask(jobID: fields[0], taskIndex: index, running: ["RUNNING", "COMPLETING"].contains(fields[2]))
    }
}

extension ExperimentPlan {
    /// The runs a submission should include: not done, not running anywhere (the locks) and not already
    /// queued or running in Slurm.
    public func runsToSubmit(folder: URL) -> [RunSpec] {
        let cluster = clusterStatus(for: self, folder: folder) ?? [:]
        return runs.filter { run in
            switch cluster[run.id] {
            case .queued?, .running?, .done?: return false
            default: break
            }
            let local = RunStatus(id: run.id, in: folder)
            return local != .done && local != .running
        }
    }
}
