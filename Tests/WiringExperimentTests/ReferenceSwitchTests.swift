// The reference-semantics switches as manifest keys: they reach the search configuration, stay out of
// the run ids at their defaults (so ids of existing configurations do not change), and a setting a
// phase would ignore (`sampling.per_cell` under a search) is refused. Also the zero-cost rule of the
// identity residuals on a network whose costs vanish (affine-free instance norm, reference-spec 10
// claim 8).
import Foundation
import Testing
import WiringEngine
import WiringResults
import WiringSearch
@testable import WiringCluster
@testable import WiringExperiment
@testable import WiringReport
@testable import WiringRun
@testable import WiringSpec

@Suite(.serialized) struct ReferenceSwitchTests {
    func searchPlan(_ extra: String = "", overrides: [String] = []) throws -> ExperimentPlan {
        let yaml = tinyManifest.components(separatedBy: "phases:")[0]
            + "phases:\n  - {name: search, kind: search, algorithm: darts, level: bi, order: second, epochs: 1\(extra)}\n"
        return try Manifest(yaml: yaml, file: "switch.yaml", overrides: overrides).plan(codeVersion: "test")
    }

    @Test func defaultsLeaveTheCanonicalJSONAsItWas() throws {
        let json = String(decoding: try searchPlan().runs[0].config.canonicalJSON, as: UTF8.self)
        for key in ["evalEvery", "fixedEdgeSoftmax", "hessianRadius"] { #expect(!json.contains(key), "\(key) in \(json)") }
        let changed = try searchPlan(", hessian_radius: 0.001, fixed_edge_softmax: all_ops, eval_every: 1",
                                     overrides: ["data.test_size=8"])
        let text = String(decoding: changed.runs[0].config.canonicalJSON, as: UTF8.self)
        for key in ["evalEvery", "fixedEdgeSoftmax", "hessianRadius"] { #expect(text.contains(key)) }
        #expect(changed.runs[0].id != (try searchPlan(overrides: ["data.test_size=8"])).runs[0].id)
    }

    @Test func hessianRadiusReachesDARTS() throws {
        let plan = try searchPlan(", hessian_radius: 0.001")
        guard case let .search(s) = plan.runs[0].config.phases[0].work else {
            Issue.record("not a search phase")
            return
        }
        #expect(s.search.hessianRadius == 0.001)
        var rng = RNG(seed: 1)
        let strategy = makeSearchStrategy(config: s.search, network: plan.runs[0].config.network,
                                          domains: try plan.runs[0].config.network.edgeDomains(), rng: &rng)
        #expect((strategy as? DARTS)?.hessianRadius == 0.001)
    }

    @Test func perCellSamplingUnderASearchIsRefused() throws {
        let yaml = tinyManifest.components(separatedBy: "phases:")[0]
            + "sampling: {per_cell: true}\nphases:\n  - {name: search, kind: search, algorithm: dsnas, epochs: 1}\n"
        #expect {
            try Manifest(yaml: yaml, file: "per-cell.yaml").plan(codeVersion: "test")
        } throws: { error in
            "\(error)".contains("sampling.per_cell") && "\(error)".contains("search")
        }
        // Train phases honour it: the same manifest with a train phase plans.
        let train = tinyManifest.components(separatedBy: "phases:")[0]
            + "sampling: {per_cell: true}\nphases:\n  - {name: train, kind: train, epochs: 1}\n"
        #expect(try Manifest(yaml: train, file: "per-cell.yaml").plan(codeVersion: "test").runs.count == 1)
    }

    /// Affine-free instance norm in every op and preprocessing makes every edge cost vanish (float
    /// noise only) and the logits zero, so C_Z = 0: both identities hold exactly and are reported as 0,
    /// where the relative residual would be noise over noise.
    @Test func vanishingCostsGiveExactlyZeroResiduals() throws {
        let plan = try tinyPlan(["network.norm={kind: instance, affine: false}", "network.cells=2"])
        let folder = temporaryFolder("zero-cost")
        defer { try? FileManager.default.removeItem(at: folder) }
        guard case let .finished(path) = try executeRun(plan.runs[0], plan: plan, options: RunOptions(outFolder: folder)) else {
            Issue.record("run did not finish")
            return
        }
        let file = try HDF5File(reading: path)
        defer { file.close() }
        let cost = try file.dataset("steps/edge_cost").read(Double.self).values
        #expect(cost.allSatisfy { abs($0) < 1e-6 }, "max |C| \(cost.map(abs).max() ?? 0)")
        #expect(cost.contains { $0 != 0 }, "float noise, not structural zeros")
        #expect(try file.dataset("checks/thm2_residual").read(Double.self).values.allSatisfy { $0 == 0 })
        #expect(try file.dataset("checks/cor12_residual").read(Double.self).values.allSatisfy { $0 == 0 })
    }
}
