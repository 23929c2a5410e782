// A probe phase's `exact_cost` end to end. With as many images as a batch and no augmentation, every
// training batch is the same images, so the phase's Monte Carlo `summary/cost_mean` estimates exactly
// the recorded `probe/exact_cost`: its 95% intervals (mean ± 1.96 SEM) should cover it about 95% of the time.
import Foundation
import Testing
import WiringResults
@testable import WiringCluster
@testable import WiringExperiment
@testable import WiringReport
@testable import WiringRun
@testable import WiringSpec

@Suite(.serialized) struct ExactCostRunTests {
    @Test func probePhaseRecordsTheExactCostItsSamplesEstimate() throws {
        let yaml = tinyManifest.components(separatedBy: "phases:")[0]
            + "phases:\n  - {name: probe, kind: probe, batches: 600, exact_cost: {batches: 1}}\n"
        let plan = try Manifest(yaml: yaml, file: "tiny-exact.yaml",
                                overrides: ["network.ops=[skip_connect, avg_pool_3x3, max_pool_3x3]",
                                            "data.synthetic.count=8", "data.augment=false",
                                            "record.per_sample=false"]).plan(codeVersion: "test")
        let folder = temporaryFolder("exact")
        defer { try? FileManager.default.removeItem(at: folder) }
        guard case let .finished(path) = try executeRun(plan.runs[0], plan: plan, options: RunOptions(outFolder: folder)) else {
            Issue.record("the run did not finish")
            return
        }
        let file = try HDF5File(reading: path)
        defer { file.close() }
        let exact = try file.dataset("probe/exact_cost").read(Double.self)
        #expect(exact.shape == [1, 1, 5, 3])
        #expect(try file.dataset("probe/exact_subnets").read(Int.self).values == [243])
        let mean = try file.dataset("summary/cost_mean").read(Double.self).values
        let sem = try file.dataset("summary/cost_sem").read(Double.self).values
        var covered = 0
        for i in 0..<15 where abs(mean[i] - exact.values[i]) <= 1.96 * sem[i] { covered += 1 }
        print("probe phase: \(covered) of 15 (edge, op) 95% intervals cover probe/exact_cost")
        #expect(covered >= 12, "mean \(mean) sem \(sem) exact \(exact.values)")
        // And they are estimates of it, not of something else: off by at most 4 SEM everywhere.
        for i in 0..<15 { #expect(abs(mean[i] - exact.values[i]) <= 4 * sem[i], "(edge, op) \(i)") }
    }
}
