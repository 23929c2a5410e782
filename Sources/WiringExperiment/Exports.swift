// The experiment layer as one import for the CLI, the bench and the tests: the four layers, and the
// run's entry points with the report's result writer wired in (the run layer cannot name the writer,
// which sits above it).
@_exported import WiringCluster
@_exported import WiringReport
@_exported import WiringRun
@_exported import WiringSpec

import Foundation

extension RunOptions {
    /// Options of one execution, writing the result file with the report layer's `ResultsWriter`.
    public init(outFolder: URL, maxSteps: Int? = nil, checkpointInterval: Double = 60,
                progress: ProgressReporter = ProgressReporter(quiet: true), tensorboard: Bool = false) {
        self.init(outFolder: outFolder, maxSteps: maxSteps, checkpointInterval: checkpointInterval, progress: progress,
                  tensorboard: tensorboard, writeResult: writeResultFile)
    }
}

extension SweepRequest {
    /// A sweep whose runs write their result files with the report layer's `ResultsWriter`.
    public init(plan: ExperimentPlan, outFolder: URL, jobs: Int = 1, only: String? = nil, index: Int? = nil,
                maxSteps: Int? = nil, progress: ProgressReporter, childArguments: ((RunSpec) -> [String])? = nil) {
        self.init(plan: plan, outFolder: outFolder, jobs: jobs, only: only, index: index, maxSteps: maxSteps,
                  progress: progress, childArguments: childArguments, writeResult: writeResultFile)
    }
}

/// The result file of a finished run (docs/results-format.md).
private func writeResultFile(_ result: RunResult, to path: String) throws {
    try ResultsWriter(result).write(to: path)
}
