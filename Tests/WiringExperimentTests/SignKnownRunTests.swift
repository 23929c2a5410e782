// A probe phase with `until_sign_known`: it stops at the first step where every (edge, op)'s mean cost
// interval excludes 0, checked here from the step log the file holds (steps/edge_op, steps/edge_cost),
// records the draws each sign needed, stops at the cap otherwise, and a resumed run stops at the same step.
import Foundation
import Testing
import WiringResults
@testable import WiringCluster
@testable import WiringExperiment
@testable import WiringReport
@testable import WiringRun
@testable import WiringSpec

func signKnownPlan(cap: Int) throws -> ExperimentPlan {
    let yaml = tinyManifest.components(separatedBy: "phases:")[0]
        + "phases:\n  - {name: probe, kind: probe, batches: \(cap), until_sign_known: {}}\n"
    return try Manifest(yaml: yaml, file: "tiny-sign.yaml",
                        overrides: ["network.ops=[avg_pool_3x3, max_pool_3x3]",
                                    "record.per_sample=false"]).plan(codeVersion: "test")
}

@Suite(.serialized) struct SignKnownRunTests {
    @Test func probeStopsWhenEverySignIsKnownAndSaysHowManySamplesEachNeeded() throws {
        let plan = try signKnownPlan(cap: 600)
        let folder = temporaryFolder("sign"), resumedFolder = temporaryFolder("sign-resumed")
        defer { try? FileManager.default.removeItem(at: folder); try? FileManager.default.removeItem(at: resumedFolder) }
        guard case let .finished(path) = try executeRun(plan.runs[0], plan: plan, options: RunOptions(outFolder: folder)) else {
            Issue.record("the run did not finish")
            return
        }
        let file = try HDF5File(reading: path)
        defer { file.close() }
        let steps = try file.dataset("probe/steps").read(Int.self).values[0]
        let logged = try file.dataset("steps/loss").shape[0]
        #expect(steps < 600 && steps == logged)
        let op = try file.dataset("steps/edge_op").read(Int.self).values
        let cost = try file.dataset("steps/edge_cost").read(Double.self).values
        let needed = try file.dataset("probe/sign_samples").read(Int.self).values
        // Mean and SEM of each (edge, op) after k steps, from the log.
        func excludesZero(after k: Int) -> [Bool] {
            var sums = Array(repeating: [0.0, 0.0, 0.0], count: 10)
            for s in 0..<k { for e in 0..<5 { let x = cost[s * 5 + e]; let i = e * 2 + op[s * 5 + e]; sums[i][0] += 1; sums[i][1] += x; sums[i][2] += x * x } }
            return sums.map { n in
                guard n[0] >= 5 else { return false }
                let mean = n[1] / n[0], variance = (n[2] - n[0] * mean * mean) / (n[0] - 1)
                return abs(mean) > 1.96 * (variance / n[0]).squareRoot()
            }
        }
        #expect(excludesZero(after: steps).allSatisfy { $0 }, "every sign known where it stopped")
        #expect(!excludesZero(after: steps - 1).allSatisfy { $0 }, "and not one step earlier")
        for i in 0..<10 {
            let draws = (0..<steps).filter { op[$0 * 5 + i / 2] == i % 2 }.count
            #expect(needed[i] >= 5 && needed[i] <= draws, "(edge, op) \(i): \(needed[i]) of \(draws)")
        }
        print("until_sign_known: stopped after \(steps) steps; samples needed per (edge, op): \(needed)")

        // `plan --pilot`: a 100-batch probe of the same setting (a pilot: the run's own start) predicts the stopping step
        // within a factor of 3.
        let pilotYAML = tinyManifest.components(separatedBy: "phases:")[0] + "phases:\n  - {name: probe, kind: probe, batches: 100}\n"
        let pilotPlan = try Manifest(yaml: pilotYAML, file: "tiny-pilot.yaml",
                                     overrides: ["network.ops=[avg_pool_3x3, max_pool_3x3]", "record.per_sample=false"])
            .plan(codeVersion: "test")
        guard case let .finished(pilot) = try executeRun(pilotPlan.runs[0], plan: pilotPlan, options: RunOptions(outFolder: folder)) else {
            Issue.record("the pilot did not finish")
            return
        }
        let estimates = try SignKnownEstimate.estimates(plan: plan, pilot: pilot)
        let estimated = try #require(estimates.first?.steps)
        print("plan --pilot: \(estimates[0].line) (the run stopped after \(steps))")
        #expect(estimates.count == 1 && estimated * 3 >= steps && estimated <= steps * 3, "\(estimated) vs \(steps)")

        // Stopped and resumed on the way: the same file.
        var last: RunOutcome?
        for limit in [7, 600] {
            last = try executeRun(plan.runs[0], plan: plan, options: RunOptions(outFolder: resumedFolder, maxSteps: limit))
        }
        guard case let .finished(resumedPath)? = last else {
            Issue.record("the resumed run did not finish")
            return
        }
        let a = try allDatasets(path), b = try allDatasets(resumedPath)
        for key in a.keys.sorted() { #expect(a[key]!.map(\.bitPattern) == b[key]?.map(\.bitPattern), "\(key)") }
    }

    @Test func probeStopsAtTheCapWhenSignsStayUnknown() throws {
        let plan = try signKnownPlan(cap: 6)
        let folder = temporaryFolder("sign-cap")
        defer { try? FileManager.default.removeItem(at: folder) }
        guard case let .finished(path) = try executeRun(plan.runs[0], plan: plan, options: RunOptions(outFolder: folder)) else {
            Issue.record("the run did not finish")
            return
        }
        let file = try HDF5File(reading: path)
        defer { file.close() }
        #expect(try file.dataset("probe/steps").read(Int.self).values == [6])
        // 6 draws over 2 ops: both ops of an edge cannot reach 5 draws, so some sign stays unknown.
        #expect(try file.dataset("probe/sign_samples").read(Int.self).values.contains(-1))
    }
}
