import ArgumentParser
import Foundation
import WiringExperiment

extension WiringLab {
    /// `wiringlab run`: run (or resume) the runs of a manifest and write one HDF5 file per run.
    struct Run: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the runs of a manifest, resuming partial ones and skipping finished ones.",
            discussion: """
                Each run writes <out>/<id>.h5 when it completes and keeps a checkpoint <out>/<id>.ckpt while it \
                runs; an interrupted run resumes from its checkpoint with bitwise the same results. A failing run \
                does not stop the others; failures are listed at the end and the exit code is 1.
                """)

        @OptionGroup var manifest: ManifestOptions
        @OptionGroup var results: ResultsOptions
        @OptionGroup var version: CodeVersionOptions

        @Option(help: """
            Runs side by side, each in its own process with cores / N threads (default: as many as there are \
            cores and runs left, which beats one run on all cores: docs/cli.md); when fewer than N are left, \
            they take the cores the finished ones freed.
            """)
        var jobs: Int?

        @Option(help: ArgumentHelp("Run only the run with this id (or id prefix).", valueName: "run-id"))
        var only: String?

        @Option(help: ArgumentHelp("Run only the run with this index (see `wiringlab plan`).", valueName: "i"))
        var index: Int?

        @Option(help: ArgumentHelp("Stop each run after this many steps, leaving a checkpoint to resume from.",
                                   valueName: "n"))
        var maxSteps: Int?

        @Option(help: ArgumentHelp("Seconds between checkpoints of a run (Ctrl-C and SIGTERM also write one).",
                                   valueName: "seconds"))
        var checkpointEvery: Double = 60

        @Flag(help: "Write TensorBoard event files while each run works, into <out>/tensorboard/ (also record.tensorboard).")
        var tensorboard = false

        @Flag(help: "Print no progress lines.")
        var quiet = false

        @Flag(help: "Run again the runs whose settings were already run by another code version.")
        var rerunCodeChanged = false

        @Option(help: ArgumentHelp("Run this run afresh even if done (id or prefix; repeatable).", valueName: "run-id"))
        var force: [String] = []

        @Flag(help: "No colours (also when NO_COLOR is set).")
        var noColor = false

        @Option(help: ArgumentHelp("Worker threads of each run (default: the manifest's `threads`; with --jobs N, "
                                   + "cores / N). Results are bitwise the same for any count.", valueName: "N"))
        var threads: Int?

        @Option(name: .customLong(String(SweepThreadShare.option.dropFirst(2))),
                help: ArgumentHelp("A sweep's child: the file its parent raises the threads through.",
                                   visibility: .hidden))
        var threadShareFile: String?

        func validate() throws {
            if let jobs, jobs < 1 { throw ValidationError("--jobs must be at least 1.") }
            if let threads, !(1...256).contains(threads) { throw ValidationError("--threads must be in 1...256.") }
            if let maxSteps, maxSteps < 1 { throw ValidationError("--max-steps must be at least 1.") }
            guard checkpointEvery > 0, checkpointEvery.isFinite else {
                throw ValidationError("--checkpoint-every must be a positive number of seconds.")
            }
        }

        /// `--jobs`, or by default one per core up to the runs not yet done (1 with `--only` or `--index`).
        func sweepJobs(plan: ExperimentPlan, folder: URL) -> Int {
            if let jobs { return jobs }
            guard only == nil, index == nil else { return 1 }
            let left = plan.runs.filter { RunStatus(id: $0.id, in: folder) != .done }.count
            return max(1, min(ProcessInfo.processInfo.activeProcessorCount, left))
        }

        func run() throws {
            let isChild = ProcessInfo.processInfo.environment[sweepChildEnvironmentKey] != nil
            Interruption.install(asChild: isChild)
            let plan = version.stamped(try manifest.load().plan(codeVersion: version.resolved))
            let folder = results.folder(for: plan)
            let jobs = isChild ? 1 : sweepJobs(plan: plan, folder: folder)
            // Side by side runs share the cores: each child gets its share of threads (results are bitwise the
            // same for any thread count, and `threads` is not part of a run id).
            let cores = ProcessInfo.processInfo.activeProcessorCount
            let childThreads = jobs > 1 ? ["--threads", "\(max(1, cores / jobs))"] : []
            let child: (RunSpec) -> [String] = { spec in
                ["run", manifest.manifest] + manifest.overrides + childThreads
                    + ["--out", folder.path, "--only", spec.id, "--code-version", plan.codeVersion,
                       "--checkpoint-every", "\(checkpointEvery)"]
                    + (rerunCodeChanged ? ["--rerun-code-changed"] : []) + force.flatMap { ["--force", $0] }
                    + (maxSteps.map { ["--max-steps", "\($0)"] } ?? []) + (quiet ? ["--quiet"] : [])
                    + (tensorboard ? ["--tensorboard"] : [])
            }
            var request = SweepRequest(plan: plan, outFolder: folder, jobs: jobs, only: only, index: index,
                                       maxSteps: maxSteps,
                                       progress: ProgressReporter(quiet: quiet, interactive: isChild ? false : nil),
                                       childArguments: child)
            request.checkpointInterval = checkpointEvery
            request.tensorboard = tensorboard
            request.threads = threads
            request.threadShareFile = threadShareFile.map { URL(fileURLWithPath: $0) }
            // Once fewer runs than jobs are left, the ones still running take the freed cores.
            if jobs > 1 { request.tailThreads = { running in max(1, cores / running) } }
            request.rerunCodeChanged = rerunCodeChanged
            request.force = force
            let report = try runSweep(request)
            // A sweep's child leaves the summary to its parent, which prints each result once.
            if !isChild {
                let color = Terminal.colour(disabled: noColor)
                for id in report.finished where plan.runs.count <= 4 {
                    print(try describeResults(at: folder.appendingPathComponent(RunFiles.result(id)).path, color: color,
                                              width: Terminal.width()))
                }
                print("\(report.finished.count) finished, \(report.skipped.count) already done, "
                      + "\(report.stopped.count) stopped, "
                      + (report.busy.isEmpty ? "" : "\(report.busy.count) running elsewhere, ")
                      + "\(report.failed.count) failed; results in \(folder.path)")
            }
            for (id, message) in report.failed { printError("failed: \(id): \(message)") }
            // Each interrupted run has said "interrupted at step k; run again to continue".
            if let signal = report.interruption { throw ExitCode(Interruption.exitStatus(signal)) }
            if !report.failed.isEmpty {
                throw ExitCode(report.invalidInput && report.failed.count == plan.runs.count
                               ? ExitCodes.invalidInput : ExitCodes.runFailed)
            }
        }
    }
}
