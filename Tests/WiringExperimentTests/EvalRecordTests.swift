// The eval passes and the reference's averaged cost, end to end on the tiny synthetic run: an eval
// pass changes nothing the training sees, its rows obey C = L − H and count whole images, its
// eval-mode identities fail (claim 9) where training-mode ones hold; `summary/averaged_cost` matches
// a recomputation from `/steps` written here from the definition (reference-spec 6.1).
import Foundation
import Testing
import WiringResults
@testable import WiringCluster
@testable import WiringExperiment
@testable import WiringReport
@testable import WiringRun
@testable import WiringSpec

/// The tiny run with eval passes after each training epoch and an eval phase at the end.
func tinyEvalPlan() throws -> ExperimentPlan {
    let yaml = tinyManifest.replacingOccurrences(of: "{name: train, kind: train, epochs: 2, sampling: uniform}",
                                                 with: "{name: train, kind: train, epochs: 2, sampling: uniform, eval_every: 1}")
        + "\n  - {name: test, kind: eval, epochs: 1}\n"
    return try Manifest(yaml: yaml, file: "tiny-eval.yaml", overrides: ["data.test_size=20"]).plan(codeVersion: "test")
}

func finishedRun(_ plan: ExperimentPlan, _ label: String) throws -> (path: String, folder: URL) {
    let folder = temporaryFolder(label)
    guard case let .finished(path) = try executeRun(plan.runs[0], plan: plan, options: RunOptions(outFolder: folder)) else {
        throw RunError.unsupported(run: plan.runs[0].id, what: "did not finish")
    }
    return (path, folder)
}

@Suite(.serialized) struct EvalRecordTests {
    @Test func evalPassesChangeNothingTheTrainingSees() throws {
        let (plain, plainFolder) = try finishedRun(try tinyPlan(["data.test_size=20"]), "no-eval")
        let (withEval, evalFolder) = try finishedRun(try tinyEvalPlan(), "eval")
        defer { try? FileManager.default.removeItem(at: plainFolder); try? FileManager.default.removeItem(at: evalFolder) }
        let a = try allDatasets(plain), b = try allDatasets(withEval)
        for key in a.keys.sorted() where key.hasPrefix("/steps/") || key.hasPrefix("/checks/") || key.hasPrefix("/samples/") {
            #expect(a[key]!.map(\.bitPattern) == b[key]?.map(\.bitPattern), "dataset \(key) differs")
        }
        #expect(a["/eval/loss"] == nil)
    }

    @Test func evalRowsMeasureTheTestImagesInEvalModeNorms() throws {
        let (path, folder) = try finishedRun(try tinyEvalPlan(), "eval-rows")
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = try HDF5File(reading: path)
        defer { file.close() }
        func values(_ name: String) throws -> [Double] { try file.dataset(name).read(Double.self).values }
        // Phase 1 (train) after epochs 0 and 1, then phase 3 (the eval phase).
        #expect(try file.dataset("eval/phase").read(Int.self).values == [1, 1, 3])
        #expect(try file.dataset("eval/epoch").read(Int.self).values == [0, 1, 0])
        let images = try values("eval/images"), accuracy = try values("eval/accuracy")
        #expect(images == [20, 20, 20])
        // Accuracy is a count of whole images out of 20.
        #expect(zip(accuracy, images).allSatisfy { a, n in abs(a * n - (a * n).rounded()) < 1e-9 && a >= 0 && a <= 1 })
        // C = L − H holds per sample, so for the means.
        let l = try values("eval/loss"), h = try values("eval/entropy"), c = try values("eval/cost_Z")
        #expect(zip(zip(l, h), c).allSatisfy { abs($0.0 - $0.1 - $1) < 1e-12 })
        #expect(l.allSatisfy { $0 > 0 })
        // Claim 9: Theorem 2 holds on every training-mode step, not with eval-mode batch norm.
        let train = try values("checks/thm2_residual")
        #expect(train.allSatisfy { $0 < 1e-3 })
        let eval = try values("eval/thm2_residual")
        #expect(eval.allSatisfy { $0 > 1e-3 }, "eval residuals \(eval)")
        #expect(try file.dataset("eval/edge_cost").dimensionLabels() == ["eval_epoch", "cells", "edges"])
    }

    @Test func evalPhaseWithBatchesIsRejected() throws {
        let yaml = tinyManifest + "\n  - {name: test, kind: eval, batches: 3}\n"
        #expect(throws: ManifestError.self) { try Manifest(yaml: yaml, file: "bad.yaml").plan(codeVersion: "test") }
    }

    /// `summary/averaged_cost` from `/steps` by the definition: at the end of each (phase, epoch), per
    /// (cell, edge, op) the plain mean of the edge costs of every step of the phase so far that ran
    /// the op; summed over ops; divided by the 8 ops unless the edge has one allowed op.
    @Test(arguments: [false, true])
    func averagedCostIsTheReferencesRunningMean(fixedEdge: Bool) throws {
        let overrides = ["data.test_size=20"] + (fixedEdge ? ["edges=[{edge: 1, fix: sep_conv_5x5}]"] : [])
        let (path, folder) = try finishedRun(try tinyPlan(overrides), "averaged")
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = try HDF5File(reading: path)
        defer { file.close() }
        let phase = try file.dataset("steps/phase").read(Int.self).values
        let epoch = try file.dataset("steps/epoch").read(Int.self).values
        let op = try file.dataset("steps/edge_op").read(Int.self).values
        let cost = try file.dataset("steps/edge_cost").read(Double.self).values
        let (edges, ops) = (5, 8)
        var expected: [Double] = []
        var rowKeys: [[Int]] = []
        for end in phase.indices where end + 1 == phase.count || [phase[end + 1], epoch[end + 1]] != [phase[end], epoch[end]] {
            rowKeys.append([phase[end], epoch[end]])
            let start = phase.firstIndex(of: phase[end])!
            for e in 0..<edges {
                var total = 0.0
                for o in 0..<ops {
                    let hits = (start...end).filter { op[$0 * edges + e] == o }.map { cost[$0 * edges + e] }
                    if !hits.isEmpty { total += hits.reduce(0, +) / Double(hits.count) }
                }
                expected.append(fixedEdge && e == 1 ? total : total / Double(ops))
            }
        }
        // 32 images in batches of 8 are 4 batches an epoch: the 5 probe batches span epochs 0 and 1, then 2
        // training epochs, then 3 probe batches.
        #expect(rowKeys == [[0, 0], [0, 1], [1, 0], [1, 1], [2, 0]])
        #expect(try file.dataset("summary/split_phase").read(Int.self).values == rowKeys.map { $0[0] })
        let recorded = try file.dataset("summary/averaged_cost").read(Double.self)
        #expect(recorded.shape == [5, 1, 5])
        #expect(zip(recorded.values, expected).allSatisfy { abs($0 - $1) <= 1e-12 * max(1, abs($1)) },
                "\(recorded.values) vs \(expected)")
        let sums = try file.dataset("summary/averaged_cost_sum").read(Double.self).values
        let expectedSums = stride(from: 0, to: expected.count, by: edges).map { expected[$0..<($0 + edges)].reduce(0, +) }
        #expect(zip(sums, expectedSums).allSatisfy { abs($0 - $1) <= 1e-12 * max(1, abs($1)) })
        if fixedEdge {  // the fixed edge ran sep_conv_5x5 on every step: its value is the plain mean
            #expect(Set(op.enumerated().filter { $0.offset % edges == 1 }.map(\.element)).count == 1)
        }
    }
}
