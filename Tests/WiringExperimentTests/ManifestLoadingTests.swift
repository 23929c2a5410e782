// Includes, `set:` blocks and command-line overrides, with precedence worked out by hand.

import Foundation
import Testing
@testable import WiringCluster
@testable import WiringExperiment
@testable import WiringReport
@testable import WiringRun
@testable import WiringSpec

/// Reads includes from an in-memory folder.
private func files(_ contents: [String: String]) -> (String) throws -> String {
    { path in
        guard let text = contents[path] else { throw CocoaError(.fileReadNoSuchFile) }
        return text
    }
}

@Test func includesMergeDepthFirstAndTheIncludingFileWins() throws {
    let read = files([
        "dir/base.yaml": """
            name: base
            seed: 1
            network: {channels: 8, cells: 3, norm: {kind: layer, eps: 0.001}}
            phases: [{kind: probe, batches: 7}]
            """,
        "dir/middle.yaml": """
            include: base.yaml
            network: {cells: 2, norm: {kind: instance}}
            threads: 4
            """,
    ])
    let m = try Manifest(yaml: """
        include: [middle.yaml]
        name: top
        network: {cells: 1}
        """, file: "dir/top.yaml", read: read)
    let c = try m.plan(codeVersion: "x").runs[0].config
    #expect(c.seed == 1 && c.threads == 4)
    #expect(c.network.channels == 8 && c.network.cells == 1)
    // Mappings merge key by key, so base's eps survives middle's kind.
    #expect(c.network.opNorm.kind == .instance && c.network.opNorm.eps == 0.001)
    #expect(c.phases[0].length == PhaseLength(.batches, 7))
    #expect(m.root["include"] == nil)
}

@Test func listsAreReplacedNotMerged() throws {
    let read = files(["base.yaml": "name: b\nphases: [{kind: probe}, {kind: train}]\n"])
    let c = try Manifest(yaml: "include: base.yaml\nphases: [{kind: train, epochs: 2}]\n", file: "top.yaml", read: read)
        .plan(codeVersion: "x").runs[0].config
    #expect(c.phases.map(\.kind) == [.train])
}

@Test func setBlockAndOverridesApplyInOrder() throws {
    let read = files(["base.yaml": "name: b\nphases: [{kind: probe, epochs: 50}, {kind: train, epochs: 150}]\n"])
    let yaml = """
        include: base.yaml
        name: quick
        set:
          phases.0.epochs: 2
          phases.1.epochs: 3
          data.train_size: 600
        """
    let plain = try Manifest(yaml: yaml, file: "q.yaml", read: read).plan(codeVersion: "x").runs[0].config
    #expect(plain.phases.map(\.length.count) == [2, 3] && plain.data.trainSize == 600)
    let overridden = try Manifest(yaml: yaml, file: "q.yaml", overrides: [
        "phases.1.epochs=4", "network.ops=[none, skip_connect]", "network.norm={kind: layer}", "data.root='/x/y'",
    ], read: read).plan(codeVersion: "x").runs[0].config
    #expect(overridden.phases.map(\.length.count) == [2, 4])
    #expect(overridden.network.ops == [.none, .skipConnect])
    #expect(overridden.network.opNorm.kind == .layer && overridden.data.root == "/x/y")
}

@Test func overridesCanSetGridAxesAndNull() throws {
    let m = try Manifest(yaml: "name: g\nphases: [{kind: probe}]\ndata: {train_size: 100}\n", file: "g.yaml",
                         overrides: ["grid.network.cells=[1, 2, 3]", "data.train_size="])
    let p = try m.plan(codeVersion: "x")
    #expect(p.runs.map(\.config.network.cells) == [1, 2, 3])
    #expect(p.runs[0].config.data.trainSize == 60000)
}

@Test func includeCycleIsAnError() {
    let read = files(["a.yaml": "include: b.yaml\nname: a\n", "b.yaml": "include: a.yaml\n"])
    let error = #expect(throws: ManifestError.self) {
        try Manifest(yaml: "include: a.yaml\nname: t\n", file: "top.yaml", read: read)
    }
    #expect(error?.description == "b.yaml:1: include: expected no include cycle, got 'a.yaml' included again by itself")
}

@Test func errorsInIncludedFilesNameThatFile() {
    let read = files(["sub/base.yaml": "name: b\nnetwork:\n  cells: many\nphases: [{kind: probe}]\n"])
    let error = #expect(throws: ManifestError.self) {
        try Manifest(yaml: "include: base.yaml\n", file: "sub/top.yaml", read: read).plan(codeVersion: "x")
    }
    #expect(error?.description == "sub/base.yaml:3: network.cells: expected an integer in 1...64, got 'many'")
}

@Test func resolvedManifestRoundTrips() throws {
    let m = try Manifest(yaml: """
        name: r
        description: "a: tricky \\"string\\""
        network: {ops: [none, skip_connect], norm: {kind: layer, eps: 0.001}}
        edges:
          - {edge: 4, fix: skip_connect}
        phases:
          - {kind: probe, batches: 3}
          - {kind: train, optimizer: {lr: 0.1, grad_clip: null}}
        """, file: "r.yaml")
    let p = try m.plan(codeVersion: "x")
    let again = try Manifest(yaml: p.resolvedManifest, file: "again.yaml").plan(codeVersion: "x")
    #expect(again.runs.map(\.id) == p.runs.map(\.id))
    #expect(again.description == "a: tricky \"string\"")
    #expect(p.runs[0].config.phases[1].optimizer?.gradClip == nil)
}

@Test func everyExampleExperimentValidates() throws {
    let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("experiments")
    let entries = try experimentCatalog(in: folder)
    #expect(entries.map(\.file).contains("quickstart.yaml"))
    for entry in entries {
        let plan = try Manifest.load(contentsOf: folder.appendingPathComponent(entry.file).path).plan(codeVersion: "x")
        #expect(!plan.runs.isEmpty, "\(entry.file)")
        #expect(!entry.description.isEmpty, "\(entry.file) has no description")
    }
}
