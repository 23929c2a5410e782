// WiringLab: presentation only (not part of the code version)
// `wiringlab plan`'s table with the Slurm state of submitted runs: the report layer draws the table, this
// layer knows the cluster (issue 13: queued / running / done / failed instead of the local status).
import Foundation
import WiringSpec
import WiringReport

extension ExperimentPlan {
    /// The plan's table (`table(resultsFolder:...cluster:)` in WiringReport) with the cluster status of the runs
    /// submitted from `folder`, when there are any.
    public func table(resultsFolder folder: URL, costModel: CostModel = CostModel(), width: Int = 100,
                      cores: Int = ProcessInfo.processInfo.activeProcessorCount) -> String {
        let cluster = clusterStatus(for: self, folder: folder).map { status in
            (labels: status.mapValues(\.label), summary: clusterSummary(status, folder: folder))
        }
        return table(resultsFolder: folder, costModel: costModel, width: width, cores: cores, cluster: cluster)
    }
}
