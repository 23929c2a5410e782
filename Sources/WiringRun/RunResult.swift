// What a finished run hands up to the report layer: every value its result file holds, as plain values
// (the logs, the statistics, the configuration and the provenance), so that the writer above never reads
// the executor. The run layer calls `RunOptions.writeResult` with it; it cannot name the writer itself.
import Foundation
import WiringSpec

/// A finished run, as the result file records it.
package struct RunResult {
    package let spec: RunSpec
    package let plan: ExperimentPlan
    package let config: RunConfig
    package let log: StepLog
    package let splits: SplitSums
    package let searchLog: SearchLog
    package let evalLog: EvalLog
    package let probeLog: ProbeLog
    /// The labels of the run's dimensions (phases, cells, edges, ops, nodes).
    package let labels: [String: [String]]
    /// Edges of one cell.
    package let edges: Int
    /// Per edge: whether it has exactly one op to choose (and is not deleted), for the averaged cost.
    package let singleOpEdges: [Bool]
    /// Where the data came from, its SHA-256, and the per-channel normalisation it was given.
    package let dataRoot: String
    package let dataChecksum: String
    package let dataMean: [Double]
    package let dataStd: [Double]
    /// `float32` or `float64`.
    package let precision: String
    /// Wall seconds the run took, resumed invocations included.
    package let computeSeconds: Double
    /// The most worker threads its steps used (a sweep's tail may raise them; resumed invocations included).
    package let threads: Int

    package init(spec: RunSpec, plan: ExperimentPlan, config: RunConfig, log: StepLog, splits: SplitSums,
                 searchLog: SearchLog, evalLog: EvalLog, probeLog: ProbeLog, labels: [String: [String]], edges: Int,
                 singleOpEdges: [Bool], dataRoot: String, dataChecksum: String, dataMean: [Double], dataStd: [Double],
                 precision: String, computeSeconds: Double, threads: Int) {
        self.spec = spec
        self.plan = plan
        self.config = config
        self.log = log
        self.splits = splits
        self.searchLog = searchLog
        self.evalLog = evalLog
        self.probeLog = probeLog
        self.labels = labels
        self.edges = edges
        self.singleOpEdges = singleOpEdges
        self.dataRoot = dataRoot
        self.dataChecksum = dataChecksum
        self.dataMean = dataMean
        self.dataStd = dataStd
        self.precision = precision
        self.computeSeconds = computeSeconds
        self.threads = threads
    }
}

/// Writes a finished run's result file at a path (the report layer's `ResultsWriter`, passed down).
package typealias RunResultWriter = (_ result: RunResult, _ path: String) throws -> Void
