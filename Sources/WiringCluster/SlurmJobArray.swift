// A sweep on a Slurm cluster: one job array per submission, one array task per run that is not done.
// Slurm does the scheduling, throttling (`%K`), time limits and requeueing; this file only writes the batch
// script and its task map, submits it with sbatch and records which job holds which run, so that a
// resubmission skips runs already queued and `plan` can tell queued / running / done / failed apart.
//
// Files, all in `<out>/slurm/`:
//   <sweep>.sbatch   the batch script of the latest submission (the task map is inside it, so a later
//                    submission that rewrites these files cannot change what an earlier array runs)
//   <sweep>.tasks    its task map: `index<TAB>run id<TAB>run name`, one line per array task
//   jobs.tsv         every submission's tasks: `job id<TAB>index<TAB>run id`, appended after each sbatch
//   <run id>.log     the output of the run's task, appended across requeues
import Foundation
import WiringSpec
import WiringRun

/// The Slurm resources and options of a submission.
public struct SlurmSettings: Hashable, Sendable {
    public var partition: String?
    /// `--time`, in any form sbatch accepts (`30`, `2:00:00`, `1-12`).
    public var time: String?
    /// CPUs of each task; the run's `threads` follows it.
    public var cpusPerTask: Int = 1
    /// `--mem` per node (`4G`).
    public var memory: String?
    /// At most this many tasks at once (`--array=...%K`).
    public var maxParallel: Int?
    /// Extra sbatch options, each written as its own `#SBATCH` line (`--account=lab`, `--qos=low`).
    public var extraArguments: [String] = []
    /// Seconds before the time limit at which Slurm signals the batch shell, which stops the run with a
    /// checkpoint and requeues the task. Must cover one step plus writing the checkpoint.
    public var signalLeadSeconds: Int = 120
    /// The run's `--checkpoint-every`.
    public var checkpointEvery: Double = 60

    public init() {}
}

/// One array task: the run it runs.
public struct SlurmTask: Hashable, Sendable {
    public let index: Int
    public let runID: String
    public let runName: String
}

/// A job array ready to submit: the batch script, its task map and where they go.
public struct SlurmJobArray: Sendable {
    /// The sweep's name in file names and the job name (the experiment name).
    public let sweepID: String
    public let tasks: [SlurmTask]
    public let script: String
    public let folder: URL

    /// `<out>/slurm/`.
    public var slurmFolder: URL { folder.appendingPathComponent(SlurmFiles.folderName, isDirectory: true) }
    public var scriptURL: URL { slurmFolder.appendingPathComponent("\(sweepID).sbatch") }
    public var taskMapURL: URL { slurmFolder.appendingPathComponent("\(sweepID).tasks") }

    /// The task map as written to `<sweep>.tasks`.
    public var taskMap: String { tasks.map { "\($0.index)\t\($0.runID)\t\($0.runName)\n" }.joined() }

    /// Builds the job array for `runs` of `plan`.
    /// - Parameters:
    ///   - executable, manifestPath, folder: absolute paths, as every node sees them (a shared filesystem).
    ///   - overrides: the submitter's overrides, passed on unchanged (the task's CPUs follow them as `--threads`).
    ///   - workingDirectory: where tasks start, so that relative paths in the manifest mean the same.
    public init(plan: ExperimentPlan, runs: [RunSpec], manifestPath: String, overrides: [String], folder: URL,
                executable: String, workingDirectory: String, settings: SlurmSettings) {
        sweepID = plan.name
        self.folder = folder
        tasks = runs.enumerated().map { SlurmTask(index: $0.offset, runID: $0.element.id, runName: $0.element.name) }
        let slurmDir = folder.appendingPathComponent(SlurmFiles.folderName).path
        var options = ["--job-name=wiringlab-\(plan.name)",
                       "--array=0-\(max(tasks.count - 1, 0))" + (settings.maxParallel.map { "%\($0)" } ?? ""),
                       "--cpus-per-task=\(settings.cpusPerTask)"]
        if let time = settings.time { options.append("--time=\(time)") }
        if let partition = settings.partition { options.append("--partition=\(partition)") }
        if let memory = settings.memory { options.append("--mem=\(memory)") }
        options += ["--chdir=\(workingDirectory)",
                    // Everything the task prints goes to the run's log (below); nothing is left for Slurm's file.
                    "--output=/dev/null",
                    "--requeue",
                    // USR1 to the batch shell only, so the run gets exactly one stop request (a second one
                    // would make it exit without a checkpoint).
                    "--signal=B:USR1@\(settings.signalLeadSeconds)"]
        options += settings.extraArguments
        let run = [executable, "run", manifestPath] + overrides
        let runLine = run.map(shellQuoted).joined(separator: " ") + " --threads \"${SLURM_CPUS_PER_TASK:-1}\""
            + " --out " + shellQuoted(folder.path) + " --only \"$run_id\""
            + " --code-version " + shellQuoted(plan.codeVersion)
            + " --checkpoint-every \(settings.checkpointEvery)"
        script = """
            #!/bin/bash
            # Written by `wiringlab submit` for \(plan.name) (\(tasks.count) of \(plan.runs.count) runs, code version \(plan.codeVersion)).
            # One array task per run; the run's output is appended to \(slurmDir)/<run id>.log.
            \(options.map { "#SBATCH \($0)" }.joined(separator: "\n"))

            # Task index -> run id (also in \(sweepID).tasks beside this file).
            run_ids=(\(tasks.map(\.runID).joined(separator: " ")))
            run_id=${run_ids[$SLURM_ARRAY_TASK_ID]}
            exec >>\(shellQuoted(slurmDir))/"$run_id.log" 2>&1
            echo "$(date -u +%FT%TZ) job ${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID} on $(hostname), restart ${SLURM_RESTART_COUNT:-0}: run $run_id"

            # A stop request (USR1 before the time limit, TERM from scancel or preemption) goes to the run as one
            # SIGTERM: it stops at the next step boundary with a checkpoint, and the task is requeued to resume.
            stop_requested=0
            request_stop() {
              [ "$stop_requested" = 1 ] && return
              stop_requested=1
              kill -TERM "$child" 2>/dev/null
            }
            trap request_stop USR1 TERM
            \(runLine) &
            child=$!
            # A request that came before the run started is passed on now.
            [ "$stop_requested" = 1 ] && kill -TERM "$child" 2>/dev/null
            wait "$child"; status=$?
            # A trapped signal ends `wait` early; wait again for the run's own exit status.
            while [ "$stop_requested" = 1 ] && kill -0 "$child" 2>/dev/null; do wait "$child"; done
            [ "$stop_requested" = 1 ] && { wait "$child"; status=$?; }
            echo "$(date -u +%FT%TZ) run $run_id exited with $status"
            if [ "$stop_requested" = 1 ] && { [ "$status" = 143 ] || [ "$status" = 130 ]; }; then
              echo "requeueing ${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}: the run resumes from its checkpoint"
              scontrol requeue "${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}"
            fi
            exit "$status"

            """
    }

    /// Writes the script and the task map (creating `<out>/slurm/`).
    public func write() throws {
        let fm = FileManager.default
        do {
            try fm.createDirectory(at: slurmFolder, withIntermediateDirectories: true)
            try script.write(to: scriptURL, atomically: true, encoding: .utf8)
            try taskMap.write(to: taskMapURL, atomically: true, encoding: .utf8)
        } catch {
            throw RunError.cannotWrite(path: slurmFolder.path, reason: "\(error.localizedDescription)")
        }
    }

    /// Writes the script and the task map, submits the script with sbatch and records its tasks in `jobs.tsv`.
    /// - Returns: the job id.
    /// - Throws: `ClusterError` when sbatch is missing (before anything is written) or refuses the job.
    public func submit() throws -> String {
        guard let sbatch = findOnPath("sbatch") else { throw ClusterError.missingTool("sbatch") }
        try write()
        let result = try runCommand(sbatch, ["--parsable", scriptURL.path])
        guard result.status == 0 else {
            // sbatch's last line says why (an invalid partition, a time limit too long); keep the error one line.
            let reason = result.output.split(separator: "\n").last { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
            throw ClusterError.rejected(tool: "sbatch", message: reason.map(String.init) ?? "exit status \(result.status)")
        }
        // `--parsable` prints `<job id>` or `<job id>;<cluster>`.
        let jobID = String(result.output.split(separator: "\n").last?.split(separator: ";").first ?? "")
            .trimmingCharacters(in: .whitespaces)
        guard !jobID.isEmpty, jobID.allSatisfy(\.isNumber) else {
            throw ClusterError.rejected(tool: "sbatch", message: "unexpected output '\(result.output)'")
        }
        let ledger = slurmFolder.appendingPathComponent(SlurmFiles.ledger)
        let lines = tasks.map { "\(jobID)\t\($0.index)\t\($0.runID)\n" }.joined()
        if !FileManager.default.fileExists(atPath: ledger.path) {
            FileManager.default.createFile(atPath: ledger.path, contents: nil)
        }
        let handle = try FileHandle(forWritingTo: ledger)
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(lines.utf8))
        return jobID
    }
}

/// A cluster tool that is missing or refused: invalid input, one line, exit 2.
public enum ClusterError: Error, CustomStringConvertible, InvalidInput {
    case missingTool(String)
    case rejected(tool: String, message: String)

    public var description: String {
        switch self {
        case let .missingTool(tool):
            return "\(tool): not found on PATH; submit from a Slurm login node, or use --dry-run to print the script"
        case let .rejected(tool, message):
            return "\(tool) refused the job: \(message)"
        }
    }
}

/// Names inside `<out>/slurm/`.
public enum SlurmFiles {
    public static let folderName = "slurm"
    /// Appended by every submission: `job id<TAB>task index<TAB>run id`.
    public static let ledger = "jobs.tsv"
    /// The log of run `id`'s task.
    public static func log(_ id: String, in folder: URL) -> URL {
        folder.appendingPathComponent(folderName).appendingPathComponent("\(id).log")
    }
}

/// `'text'` for bash, with embedded single quotes closed and escaped.
func shellQuoted(_ text: String) -> String {
    "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
}

/// The absolute path of `name` in one of `$PATH`'s folders, or nil.
func findOnPath(_ name: String) -> String? {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    for folder in path.split(separator: ":") where !folder.isEmpty {
        let candidate = "\(folder)/\(name)"
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    }
    return nil
}

/// Runs a tool and returns its exit status and its stdout and stderr together.
func runCommand(_ path: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

/// The absolute path of the running executable (`/proc/self/exe`), so that tasks run this very build.
public func currentExecutablePath() -> String {
    if let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") { return target }
    return URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL.path
}
