// Runs the runs of a plan: finished ones are skipped, partial ones resume, a failing run does not
// stop the others, and `jobs > 1` runs several side by side as child processes (each its own
// process: a crash stays isolated, and thread settings never collide). An index of the sweep is
// kept in <out>/index.json.
import Foundation
import WiringData
import WiringResults
import WiringSpec

/// What happened to each run of a sweep.
public struct SweepReport: Sendable {
    public var finished: [String] = []
    public var skipped: [String] = []
    public var stopped: [String] = []
    /// Runs another process was running (their locks were held); they were left to it.
    public var busy: [String] = []
    /// (run id, error line)
    public var failed: [(String, String)] = []
    /// Whether a failure was caused by invalid input (missing data set, bad configuration).
    public var invalidInput = false
    /// The signal that interrupted the sweep (SIGINT, SIGTERM); the interrupted runs are in `stopped`.
    public var interruption: Int32?
}

/// How to run a sweep.
public struct SweepRequest {
    public var plan: ExperimentPlan
    public var outFolder: URL
    public var jobs: Int
    /// Only the run with this id, or with this index.
    public var only: String?
    public var index: Int?
    public var maxSteps: Int?
    /// Worker threads of each run run here (nil: each run's manifest `threads`); children get theirs from
    /// `childArguments`.
    public var threads: Int?
    /// In a sweep's child: the share file its parent raises the threads through (`run --thread-share-file`).
    public var threadShareFile: URL?
    /// Seconds between checkpoints of a run.
    public var checkpointInterval: Double = 60
    /// Write TensorBoard event files while each run works (`--tensorboard`).
    public var tensorboard = false
    /// Run again the runs whose settings were run by another code version (otherwise they count as done).
    public var rerunCodeChanged = false
    /// Run ids (or prefixes) to run afresh even if done: their result and checkpoint are removed first.
    public var force: [String] = []
    public var progress: ProgressReporter
    /// Arguments that make this program run one run by id (for `jobs > 1`), e.g. `run m.yaml --only <id>`.
    public var childArguments: ((RunSpec) -> [String])?
    /// For `jobs > 1`: the threads each child may take when only `running` children are left and
    /// nothing waits to start (SweepThreadShare); nil leaves every child its starting threads.
    public var tailThreads: ((_ running: Int) -> Int)?
    /// Writes each finished run's result file (the report layer's writer; `WiringExperiment` passes it).
    package var writeResult: RunResultWriter

    package init(plan: ExperimentPlan, outFolder: URL, jobs: Int = 1, only: String? = nil, index: Int? = nil,
                 maxSteps: Int? = nil, progress: ProgressReporter, childArguments: ((RunSpec) -> [String])? = nil,
                 writeResult: @escaping RunResultWriter) {
        self.writeResult = writeResult
        self.plan = plan
        self.outFolder = outFolder
        self.jobs = jobs
        self.only = only
        self.index = index
        self.maxSteps = maxSteps
        self.progress = progress
        self.childArguments = childArguments
    }

    /// The runs selected by `only` / `index`.
    /// - Throws: `ManifestError`-style `RunError.unsupported` when the selection matches nothing.
    public func selectedRuns() throws -> [RunSpec] {
        var runs = plan.runs
        if let only { runs = runs.filter { $0.id == only || $0.id.hasPrefix(only) } }
        if let index { runs = runs.filter { $0.index == index } }
        if runs.isEmpty {
            throw RunError.unsupported(run: only ?? index.map(String.init) ?? "?",
                                       what: "no run of \(plan.name) matches; see `wiringlab plan \(plan.file)`")
        }
        return runs
    }
}

/// Runs every selected run of the plan and reports the outcome of each.
public func runSweep(_ request: SweepRequest) throws -> SweepReport {
    let runs = try request.selectedRuns()
    do {
        try FileManager.default.createDirectory(at: request.outFolder, withIntermediateDirectories: true)
    } catch {
        throw RunError.cannotWrite(path: request.outFolder.path, reason: describeFileError(error))
    }
    var report = SweepReport()
    var pending: [RunSpec] = []
    let prior = priorResults(in: request.outFolder)
    for run in runs {
        if request.force.contains(where: { run.id.hasPrefix($0) }) {
            for file in [RunFiles.result(run.id), RunFiles.checkpoint(run.id), RunFiles.previousCheckpoint(run.id)] {
                try? FileManager.default.removeItem(at: request.outFolder.appendingPathComponent(file))
            }
            pending.append(run)
        } else if RunStatus(id: run.id, in: request.outFolder) == .done,
                  try DamagedFiles.hasIntactResult(run.id, in: request.outFolder, progress: request.progress) {
            report.skipped.append(run.id)
            request.progress.note("[\(run.index)] \(run.id) \(run.name): done, skipped")
        } else if !request.rerunCodeChanged, let same = prior.first(where: { $0.configID == run.configID }) {
            report.skipped.append(run.id)
            request.progress.note("[\(run.index)] \(run.id): same settings done as \(same.runID) by code "
                                  + "\(same.codeVersion), skipped; --rerun-code-changed redoes it")
        } else {
            pending.append(run)
        }
    }
    if request.jobs > 1, let childArguments = request.childArguments, pending.count > 1 {
        try runInChildProcesses(pending, jobs: request.jobs, arguments: childArguments, request: request,
                                report: &report)
    } else {
        for run in pending {
            if report.interruption != nil { break }
            do {
                switch try executeRun(run, plan: request.plan,
                                      options: RunOptions(outFolder: request.outFolder, maxSteps: request.maxSteps,
                                                          checkpointInterval: request.checkpointInterval,
                                                          progress: request.progress,
                                                          tensorboard: request.tensorboard,
                                                          threads: request.threads,
                                                          threadShare: request.threadShareFile.map {
                                                              SweepThreadShare.Follower(file: $0)
                                                          },
                                                          writeResult: request.writeResult)) {
                case .finished: report.finished.append(run.id)
                case .stopped: report.stopped.append(run.id)
                case let .interrupted(_, _, signal):
                    report.stopped.append(run.id)
                    report.interruption = signal
                case let .busy(pid):
                    report.busy.append(run.id)
                    request.progress.note("[\(run.index)] \(run.id) \(run.name): running in process "
                                          + (pid.map { "\($0)" } ?? "?") + ", left to it")
                case .alreadyDone:
                    report.skipped.append(run.id)
                }
            } catch {
                if error is InvalidInput { report.invalidInput = true }
                report.failed.append((run.id, "\(error)"))
                // With several runs, say so at once too; the list at the end repeats every failure.
                if pending.count > 1 { request.progress.note("[\(run.index)] \(run.id) failed: \(error)") }
            }
            try? writeIndex(request)
        }
    }
    try writeIndex(request)
    return report
}

/// Marks a process started by `runInChildProcesses`: it ignores the terminal's SIGINT (its parent passes a stop
/// request on as SIGTERM) and leaves the sweep summary to the parent.
public let sweepChildEnvironmentKey = "WIRINGLAB_SWEEP_CHILD"

private func runInChildProcesses(_ runs: [RunSpec], jobs: Int, arguments: (RunSpec) -> [String],
                                 request: SweepRequest, report: inout SweepReport) throws {
    var queue = runs[...]
    var active: [(RunSpec, Process)] = []
    let executable = currentExecutable()
    var environment = ProcessInfo.processInfo.environment
    environment[sweepChildEnvironmentKey] = "1"
    defer { Interruption.setChildren([]) }
    // The tail of the sweep: the cores that finished children leave go to the ones still running, through a
    // file each child is named on its command line.
    let shareFile = request.tailThreads == nil ? nil : SweepThreadShare.newFile()
    let shareArguments = shareFile.map { [SweepThreadShare.option, $0.path] } ?? []
    defer { if let shareFile { try? FileManager.default.removeItem(at: shareFile) } }
    var publishedShare: Int?
    let started = Date()
    var lastSweepLine = Date.distantPast
    var finishedSeconds: [Double] = []
    var startTimes: [String: Date] = [:]
    while !queue.isEmpty || !active.isEmpty {
        if let signal = Interruption.pending {
            report.interruption = signal
            queue.removeAll()  // start nothing new; the children were told to stop by the handler
        }
        while active.count < jobs, let run = queue.popFirst() {
            let process = Process()
            process.executableURL = executable
            process.arguments = arguments(run) + shareArguments
            process.environment = environment
            do {
                try process.run()
                active.append((run, process))
                startTimes[run.id] = Date()
                Interruption.setChildren(active.map { $0.1.processIdentifier })
                request.progress.note("[\(run.index)] \(run.id): started in process \(process.processIdentifier)")
            } catch {
                report.failed.append((run.id, "cannot start a child process \(executable.path): \(error)"))
            }
        }
        Thread.sleep(forTimeInterval: 0.2)
        active.removeAll { run, process in
            guard !process.isRunning else { return false }
            let status = process.terminationStatus
            switch RunStatus(id: run.id, in: request.outFolder) {
            case .done where status == 0: report.finished.append(run.id)
            case _ where status == 0: report.stopped.append(run.id)
            case _ where status == Interruption.exitStatus(SIGINT) || status == Interruption.exitStatus(SIGTERM):
                report.stopped.append(run.id)
            default:
                if status == 2 { report.invalidInput = true }
                report.failed.append((run.id, "exit status \(status); its output above says why"))
            }
            try? writeIndex(request)
            finishedSeconds.append(Date().timeIntervalSince(startTimes[run.id] ?? started))
            return true
        }
        Interruption.setChildren(active.map { $0.1.processIdentifier })
        if let shareFile, let tailThreads = request.tailThreads, queue.isEmpty, !active.isEmpty, active.count < jobs {
            let share = tailThreads(active.count)
            if share != publishedShare {
                SweepThreadShare.publish(share, to: shareFile)
                publishedShare = share
            }
        }
        // One line for the whole sweep every 10 s: how many runs are done, running and left, and when it ends.
        if Date().timeIntervalSince(lastSweepLine) >= 10 || (queue.isEmpty && active.isEmpty) {
            lastSweepLine = Date()
            let done = report.finished.count + report.skipped.count
            let perRun = finishedSeconds.isEmpty ? nil : finishedSeconds.reduce(0, +) / Double(finishedSeconds.count)
            let eta = perRun.map { ProgressReporter.duration($0 * Double(queue.count + active.count) / Double(jobs)) } ?? "?"
            request.progress.note("sweep: \(done) done, \(active.count) running, \(queue.count) left, "
                                  + "\(report.failed.count) failed; ETA \(eta)")
        }
    }
}

/// Updates <out>/index.json (Results/SweepIndex.swift): merged with what is there, typed, documented.
private func writeIndex(_ request: SweepRequest) throws {
    do {
        try writeSweepIndex(plan: request.plan, folder: request.outFolder)
    } catch let error as InvalidInput {
        throw error
    } catch {
        throw RunError.cannotWrite(path: request.outFolder.appendingPathComponent("index.json").path,
                                   reason: describeFileError(error))
    }
}
