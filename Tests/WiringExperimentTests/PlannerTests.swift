// Sweep expansion (grid x zip x replicates minus exclude), run ids and run names. Expected counts and
// orders are worked out by hand from the manifests in each test.

import Foundation
import Testing
import WiringModel
import WiringEngine
@testable import WiringCluster
@testable import WiringExperiment
@testable import WiringReport
@testable import WiringRun
@testable import WiringSpec

/// A manifest with one probe phase plus `extra` lines.
private func plan(_ extra: String, overrides: [String] = [], codeVersion: String = "v1") throws -> ExperimentPlan {
    try Manifest(yaml: "name: sweep\nphases: [{kind: probe, batches: 5}]\n" + extra, file: "sweep.yaml",
                 overrides: overrides).plan(codeVersion: codeVersion)
}

@Test func gridIsCartesianWithFirstKeySlowest() throws {
    let p = try plan("""
        grid:
          network.norm.kind: [batch, instance, layer]
          network.norm.affine: [false, true]
        """)
    #expect(p.runs.count == 6)
    #expect(p.runs.map(\.index) == Array(0..<6))
    #expect(p.runs.map(\.config.network.opNorm.kind) == [.batch, .batch, .instance, .instance, .layer, .layer])
    #expect(p.runs.map(\.config.network.opNorm.affine) == [false, true, false, true, false, true])
    #expect(p.runs[3].name == "norm.kind=instance,norm.affine=true")
    // Preprocessing follows network.norm unless set.
    #expect(p.runs[3].config.network.preprocessNorm.kind == .instance)
    #expect(p.runs[3].config.network.stemNorm.kind == .batch)
}

@Test func excludeRemovesMatchingPoints() throws {
    let p = try plan("""
        grid:
          network.norm.kind: [batch, instance, layer]
          network.norm.affine: [false, true]
        exclude:
          - {network.norm.kind: layer, network.norm.affine: true}
          - {network.norm.kind: batch}
        """)
    #expect(p.runs.map(\.name) == [
        "norm.kind=instance,norm.affine=false", "norm.kind=instance,norm.affine=true", "norm.kind=layer,norm.affine=false",
    ])
    #expect(p.runs.map(\.index) == [0, 1, 2])
}

@Test func zipVariesKeysTogetherAndCrossesWithGrid() throws {
    let p = try plan("""
        grid:
          network.cells: [1, 2]
        zip:
          network.stacking: [relu-conv-norm, conv-norm-relu]
          phases.0.batches: [10, 20]
        """)
    #expect(p.runs.count == 4)
    #expect(p.runs.map(\.config.network.cells) == [1, 1, 2, 2])
    #expect(p.runs.map(\.config.network.stacking) == [.reluConvNorm, .convNormRelu, .reluConvNorm, .convNormRelu])
    #expect(p.runs.map(\.config.phases[0].length.count) == [10, 20, 10, 20])
    #expect(p.runs[1].name == "cells=1,stacking=conv-norm-relu,phases.0.batches=20")
}

@Test func replicatesCountFromSeedOrTakeAList() throws {
    let counted = try plan("seed: 5\nreplicates: 3\ngrid: {network.cells: [1, 2]}\n")
    #expect(counted.runs.map(\.config.seed) == [5, 6, 7, 5, 6, 7])
    #expect(counted.runs[4].name == "cells=2,seed=6")
    let listed = try plan("replicates: [11, 3]\n")
    #expect(listed.runs.map(\.config.seed) == [11, 3])
    #expect(listed.runs.map(\.name) == ["seed=11", "seed=3"])
    let single = try plan("replicates: 1\n")
    #expect(single.runs.map(\.name) == ["sweep"])
}

@Test func runIDIsStableAcrossPlanningsAndChangesWithValues() throws {
    let a = try plan("grid: {network.channels: [8, 16]}\n")
    let b = try plan("grid: {network.channels: [8, 16]}\n")
    #expect(a.runs.map(\.id) == b.runs.map(\.id))
    #expect(a.runs.allSatisfy { $0.id.count == 12 && $0.id.allSatisfy(\.isHexDigit) })
    #expect(Set(a.runs.map(\.id)).count == 2)
    // Another value, another code version: another id. Threads and data.root cannot change a result.
    #expect(try plan("network: {channels: 8}\n").runs[0].id == a.runs[0].id)
    #expect(try plan("network: {channels: 9}\n").runs[0].id != a.runs[0].id)
    #expect(try plan("network: {channels: 8}\n", codeVersion: "v2").runs[0].id != a.runs[0].id)
    #expect(try plan("network: {channels: 8}\nthreads: 2\ndata: {root: /tmp}\n").runs[0].id == a.runs[0].id)
}

@Test func runIDHashesCanonicalJSONAndCodeVersion() throws {
    let run = try plan("").runs[0]
    // Independent recomputation with a fresh encoder: sorted keys, threads and root blanked.
    var identity = run.config
    identity.threads = 0
    identity.data.root = nil
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    var bytes = try encoder.encode(identity)
    bytes.append(contentsOf: Array("\nv1\nformat \(resultsFormatVersion)".utf8))
    // sha256sum(1) is the oracle: an implementation that is not ours.
    let file = FileManager.default.temporaryDirectory.appendingPathComponent("wiringlab-id-\(UUID().uuidString)")
    try bytes.write(to: file)
    defer { try? FileManager.default.removeItem(at: file) }
    let hex = try runTool("/usr/bin/sha256sum", [file.path]).stdout
    #expect(run.id == String(hex.prefix(12)))
}

@Test func runIDIgnoresKeyOrderAndFileName() throws {
    let first = try plan("").runs[0].id
    let second = try Manifest(yaml: "phases: [{batches: 5, kind: probe}]\nname: sweep\n", file: "other.yaml")
        .plan(codeVersion: "v1").runs[0].id
    #expect(first == second)
}

@Test func duplicateRunsAreRejected() throws {
    let error = #expect(throws: ManifestError.self) {
        try plan("grid: {network.cells: [2, 2]}\n")
    }
    #expect(error?.description == "sweep.yaml:3: grid.network.cells: expected every run to differ, got runs 0 and 1 with the same configuration")
}

@Test func defaultsAreTheReferenceSettings() throws {
    // reference-spec 2-5.4: C 16, order B, BN eps 1e-5 momentum 0.1, affine-free cells, affine stem, batch 96,
    // SGD 0.025 / 0.9 / 3e-4 cosine to 0.001 clip 5, Adam 3e-4 (0.5, 0.999) 1e-8 wd 1e-3 clip 10, alpha N(1, 0.01^2).
    let c = try Manifest(yaml: """
        name: d
        phases:
          - {kind: train}
          - {kind: search}
        """, file: "d.yaml").plan(codeVersion: "x").runs[0].config
    #expect(c.seed == 0 && c.precision == .float32 && c.threads == 1)
    #expect(c.data.dataset == .fashionMNIST && c.data.trainSize == 60000 && c.data.batchSize == 96 && c.data.augment)
    #expect(c.data.split == .none)
    #expect(c.network.steps == 2 && c.network.multiplier == 2 && c.network.cells == 1 && c.network.channels == 16)
    #expect(c.network.ops == [.none, .skipConnect, .maxPool3x3, .avgPool3x3, .sepConv3x3, .dilConv3x3, .dilConv5x5, .sepConv5x5])
    #expect(c.network.opNorm == NormConfig(kind: .batch, affine: false, eps: 1e-5, momentum: 0.1))
    #expect(c.network.stemNorm.affine && !c.network.classifierBias)
    #expect(c.network.inputChannels == 1 && c.network.numClasses == 10)
    #expect(c.phases.map(\.name) == ["train0", "search1"])
    #expect(c.phases[0].length == PhaseLength(.epochs, 1) && c.phases[0].sampling == .uniform)
    let sgd = try #require(c.phases[0].optimizer)
    #expect(sgd.lr == 0.025 && sgd.momentum == 0.9 && sgd.weightDecay == 3e-4 && sgd.lrMin == 0.001 && sgd.gradClip == 5)
    #expect(sgd.schedule == .cosine)
    let s = try #require(c.phases[1].search)
    #expect(s.algorithm == .dsnas && s.level == .single && s.order == .first && s.alphaInit == .normal(mean: 1, std: 0.01))
    #expect(s.alphaOptimizer.lr == 3e-4 && s.alphaOptimizer.beta1 == 0.5 && s.alphaOptimizer.beta2 == 0.999)
    #expect(s.alphaOptimizer.eps == 1e-8 && s.alphaOptimizer.weightDecay == 1e-3 && s.alphaOptimizer.gradClip == 10)
}

@Test func dartsDefaultsToBiLevelWithTheSearchHalf() throws {
    let c = try plan("", overrides: ["phases.0={kind: search, algorithm: darts}", "data.train_size=1000"]).runs[0].config
    let s = try #require(c.phases[0].search)
    #expect(s.level == .bi && s.alphaOptimizer.gradClip == nil && s.alphaInit == .normal(mean: 0, std: 1e-3))
    #expect(c.data.split == .half && c.data.thetaImages == 500)
}

@Test func namedCellsAndEdgeConstraintsResolve() throws {
    // The modified cell (reference-spec 4): minimal cell, multiplier 1, edges 0 and 2 deleted, edge 1 fixed.
    let c = try plan("""
        network: {cell: original, steps: 2, multiplier: 1}
        edges:
          - {edges: [0, 2], delete: true}
          - {edge: 1, fix: sep_conv_5x5}
          - {edges: intermediate, exclude: [skip_connect]}
        """).runs[0].config
    #expect(c.network.steps == 2 && c.network.multiplier == 1)
    #expect(c.network.constraints == [
        EdgeConstraint(.edge(0), .delete), EdgeConstraint(.edge(2), .delete),
        EdgeConstraint(.edge(1), .fix(.sepConv5x5)), EdgeConstraint(.intermediateEdges, .exclude([.skipConnect])),
    ])
    let original = try plan("network: {cell: original}\n").runs[0].config.network
    #expect(original.steps == 4 && original.multiplier == 4 && original.edgeCount == 14)
}

@Test func costModelCountsStepsPerPhase() throws {
    // 1000 images / batch 64 = 16 batches an epoch (the last one partial): 10 + 2 * 16 = 42 steps.
    let c = try plan("", overrides: ["data.train_size=1000", "data.batch_size=64",
                                     "phases=[{kind: probe, batches: 10}, {kind: train, epochs: 2}]"]).runs[0].config
    let estimate = CostModel().estimate(c)
    #expect(estimate.steps == 42)
    #expect(estimate.seconds > 0)
}

@Test func aHostFactorMultipliesEveryEstimateAndLeavesTheSteps() throws {
    let c = try plan("", overrides: ["data.train_size=1000", "data.batch_size=64",
                                     "phases=[{kind: probe, batches: 10}, {kind: train, epochs: 2}]"]).runs[0].config
    let table = CostModel().estimate(c), slower = CostModel(hostFactor: 2.5).estimate(c)
    #expect(slower.steps == table.steps)
    #expect(abs(slower.seconds - 2.5 * table.seconds) <= 1e-12 * table.seconds)
}

@Test func theHostFactorIsTheProbeOverTheTablesRowWithinBounds() {
    let table = StepCostTable(rows: [.init(block: HostSpeed.tableBlock, threads: 1, forward: 0, forwardBackward: 0.4)],
                              source: "test")
    #expect(abs(HostSpeed.factor(measured: 0.6, table: table) - 1.5) < 1e-15)
    #expect(HostSpeed.factor(measured: 0.001, table: table) == 0.05)
    #expect(HostSpeed.factor(measured: 1000, table: table) == 100)
    #expect(HostSpeed.factor(measured: .nan, table: table) == 1)
    #expect(HostSpeed.factor(measured: 0.6, table: StepCostTable(rows: [], source: "none")) == 1)
    // The shipped table has the probe's row, measured beside the others.
    #expect(StepCostTable.measured.cost(HostSpeed.tableBlock, threads: 1).forwardBackward > 0)
}

@Test func theSpeedProbeTimesRealStepsAndStopsAtItsLimit() {
    // The probe binds one thread for its own steps only: the caller's count is untouched.
    Parallel.$threads.withValue(2) {
        let perImage = HostSpeed.probe(budget: 0, maximumSteps: 3)
        #expect(perImage > 0 && perImage.isFinite)
        #expect(Parallel.threads == 2)
    }
}
