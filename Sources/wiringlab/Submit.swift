import ArgumentParser
import Foundation
import WiringExperiment

extension WiringLab {
    /// `wiringlab submit`: the runs of a sweep that are not done, as one Slurm job array.
    struct Submit: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Submit the runs of a manifest that are not done to Slurm, as one job array.",
            discussion: """
                Writes <out>/slurm/<name>.sbatch and <name>.tasks (task index -> run id), then runs sbatch. Each \
                task runs `wiringlab run <manifest> --only <id>` with threads = its CPUs and appends its output to \
                <out>/slurm/<id>.log; the result lands in <out>/ as for a local run. Runs already done, running or \
                queued are left out. Before the time limit, or on SIGTERM, a task checkpoints and is requeued. \
                The results folder must be on a filesystem that all nodes share. See docs/cluster.md.
                """)

        @OptionGroup var manifest: ManifestOptions
        @OptionGroup var results: ResultsOptions
        @OptionGroup var version: CodeVersionOptions

        @Option(help: "The partition (sbatch --partition).")
        var partition: String?

        @Option(help: ArgumentHelp("The time limit of each task (sbatch --time: 30, 2:00:00, 1-12).", valueName: "T"))
        var time: String?

        @Option(help: ArgumentHelp("CPUs of each task; the run's threads follow it.", valueName: "N"))
        var cpusPerTask: Int = 1

        @Option(help: ArgumentHelp("Memory of each task (sbatch --mem: 4G).", valueName: "M"))
        var mem: String?

        @Option(help: ArgumentHelp("At most K tasks at once (--array=0-(n-1)%K).", valueName: "K"))
        var maxParallel: Int?

        @Option(help: ArgumentHelp("Seconds between checkpoints of each run.", valueName: "seconds"))
        var checkpointEvery: Double = 60

        @Option(parsing: .unconditionalSingleValue, help: ArgumentHelp(
            "An extra sbatch option, written as its own #SBATCH line (repeatable): --sbatch-arg=--account=lab.",
            valueName: "option"))
        var sbatchArg: [String] = []

        @Flag(help: "Print the script and the task map; submit nothing.")
        var dryRun = false

        func validate() throws {
            guard cpusPerTask >= 1 && cpusPerTask <= 256 else {
                throw ValidationError("--cpus-per-task must be in 1...256 (the range of threads).")
            }
            if let maxParallel, maxParallel < 1 { throw ValidationError("--max-parallel must be at least 1.") }
            guard checkpointEvery > 0, checkpointEvery.isFinite else {
                throw ValidationError("--checkpoint-every must be a positive number of seconds.")
            }
            if let bad = sbatchArg.first(where: { !$0.hasPrefix("-") || $0.contains("\n") }) {
                throw ValidationError("--sbatch-arg '\(bad)': expected one sbatch option such as --account=lab.")
            }
        }

        func run() throws {
            let plan = try manifest.load().plan(codeVersion: version.resolved)
            // Absolute paths: the tasks start on other nodes, possibly in another folder.
            let cwd = FileManager.default.currentDirectoryPath
            let folder = URL(fileURLWithPath: results.folder(for: plan).path, relativeTo: URL(fileURLWithPath: cwd))
                .standardizedFileURL
            let manifestPath = URL(fileURLWithPath: manifest.manifest, relativeTo: URL(fileURLWithPath: cwd))
                .standardizedFileURL.path
            var settings = SlurmSettings()
            settings.partition = partition
            settings.time = time
            settings.cpusPerTask = cpusPerTask
            settings.memory = mem
            settings.maxParallel = maxParallel
            settings.extraArguments = sbatchArg
            settings.checkpointEvery = checkpointEvery
            let runs = plan.runsToSubmit(folder: folder)
            let array = SlurmJobArray(plan: plan, runs: runs, manifestPath: manifestPath,
                                      overrides: manifest.overrides, folder: folder,
                                      executable: currentExecutablePath(), workingDirectory: cwd, settings: settings)
            guard !runs.isEmpty else {
                print("\(plan.name): nothing to submit; every run is done, running or queued (see wiringlab plan)")
                return
            }
            if dryRun {
                print(array.script, terminator: "")
                print("# \(array.taskMapURL.path)")
                print(array.taskMap, terminator: "")
                return
            }
            let job = try array.submit()
            print("\(plan.name): submitted job array \(job) with \(runs.count) of \(plan.runs.count) runs; "
                  + "script \(array.scriptURL.path), logs in \(array.slurmFolder.path)/")
        }
    }
}
