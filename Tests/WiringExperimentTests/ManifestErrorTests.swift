// The malformed-manifest corpus: each manifest must stop with exactly this one line, naming the file,
// the line, the key path, what was expected, what was found and, for a near miss, the closest name.

import Testing
@testable import WiringCluster
@testable import WiringExperiment
@testable import WiringReport
@testable import WiringRun
@testable import WiringSpec

/// One malformed manifest and the line it must produce.
struct MalformedCase: CustomTestStringConvertible, Sendable {
    let id: String
    let yaml: String
    let overrides: [String]
    let expected: String

    init(_ id: String, _ yaml: String, overrides: [String] = [], _ expected: String) {
        self.id = id
        self.yaml = yaml
        self.overrides = overrides
        self.expected = expected
    }

    var testDescription: String { id }
}

let malformedCases: [MalformedCase] = [
    MalformedCase("unknown key", """
        name: t
        network:
          chanels: 8
        phases: [{kind: probe}]
        """, "t.yaml:3: network.chanels: expected a key of network, got 'chanels'; did you mean 'channels'?"),
    MalformedCase("unknown top-level key", """
        name: t
        phase: [{kind: probe}]
        """, "t.yaml:2: phase: expected a key of a manifest, got 'phase'; did you mean 'phases'?"),
    MalformedCase("misspelled op", """
        name: t
        network:
          ops: [none, skip_connect, sep_cnv_5x5]
        phases: [{kind: probe}]
        """, "t.yaml:3: network.ops.2: expected one of none, skip_connect, max_pool_3x3, avg_pool_3x3, "
            + "sep_conv_3x3, sep_conv_5x5, dil_conv_3x3, dil_conv_5x5, got 'sep_cnv_5x5'; did you mean 'sep_conv_5x5'?"),
    MalformedCase("misspelled enum", """
        name: t
        network: {norm: {kind: instnce}}
        phases: [{kind: probe}]
        """, "t.yaml:2: network.norm.kind: expected one of batch, instance, layer, none, got 'instnce'; "
            + "did you mean 'instance'?"),
    MalformedCase("type error", """
        name: t
        seed: zero
        phases: [{kind: probe}]
        """, "t.yaml:2: seed: expected an integer in 0...9007199254740992, got 'zero'"),
    MalformedCase("quoted number is a string", """
        name: t
        data: {batch_size: "64"}
        phases: [{kind: probe}]
        """, "t.yaml:2: data.batch_size: expected an integer in 1...65536, got '64'"),
    MalformedCase("edge index out of range", """
        name: t
        edges:
          - {edge: 7, delete: true}
        phases: [{kind: probe}]
        """, "t.yaml:3: edges.0.edge: expected an edge index in 0...4 (steps 2 has 5 edges), got 7"),
    MalformedCase("exclude leaves an edge empty", """
        name: t
        network: {ops: [none, skip_connect, sep_conv_3x3]}
        edges:
          - {edges: [3, 4], exclude: [none, sep_conv_3x3]}
          - {edge: 4, exclude: [skip_connect]}
        phases: [{kind: probe}]
        """, "t.yaml:5: edges.1.exclude: expected at least one op left on edge 4 (use delete to remove it), got no op"),
    MalformedCase("empty allow list", """
        name: t
        edges:
          - {edge: 1, allow: []}
        phases: [{kind: probe}]
        """, "t.yaml:3: edges.0.allow: expected at least one op left on edge 1 (use delete to remove it), got no op"),
    MalformedCase("multiplier above steps", """
        name: t
        network: {steps: 2, multiplier: 3}
        phases: [{kind: probe}]
        """, "t.yaml:2: network.multiplier: expected at most steps (2), got 3"),
    MalformedCase("fix to an op not in ops", """
        name: t
        network: {ops: [none, skip_connect, sep_conv_3x3]}
        edges:
          - {edge: 0, fix: max_pool_3x3}
        phases: [{kind: probe}]
        """, "t.yaml:4: edges.0.fix: expected one of the network's ops (none, skip_connect, sep_conv_3x3), "
            + "got 'max_pool_3x3'"),
    MalformedCase("two selectors", """
        name: t
        edges:
          - {edge: 0, edges: all, delete: true}
        phases: [{kind: probe}]
        """, "t.yaml:3: edges.0: expected exactly one of edge, edges, got both"),
    MalformedCase("grid key path that does not exist", """
        name: t
        phases: [{kind: probe}]
        grid:
          network.norm.kid: [batch, layer]
        """, "t.yaml:4: network.norm.kid: expected a key of a norm, got 'kid'; did you mean 'kind'?"),
    MalformedCase("zip lengths differ", """
        name: t
        phases: [{kind: train}]
        zip:
          network.stacking: [relu-conv-norm, conv-relu-norm]
          phases.0.epochs: [1, 2, 3]
        """, "t.yaml:5: zip.phases.0.epochs: expected 2 values like zip.network.stacking, got 3"),
    MalformedCase("exclude value not on the grid", """
        name: t
        phases: [{kind: probe}]
        grid:
          network.norm.kind: [batch, layer]
        exclude:
          - {network.norm.kind: layr}
        """, "t.yaml:6: exclude.0.network.norm.kind: expected one of batch, layer, got 'layr'; did you mean 'layer'?"),
    MalformedCase("missing name", """
        description: no name
        phases: [{kind: probe}]
        """, "t.yaml:1: name: expected a name of a-z, 0-9, _ and -, got nothing"),
    MalformedCase("bad name", """
        name: Quick Start
        phases: [{kind: probe}]
        """, "t.yaml:1: name: expected a name of a-z, 0-9, _ and -, got 'Quick Start'"),
    MalformedCase("missing phases", """
        name: t
        """, "t.yaml:1: phases: expected a list of phases, got nothing"),
    MalformedCase("phase kind typo", """
        name: t
        phases:
          - kind: serch
        """, "t.yaml:3: phases.0.kind: expected one of probe, train, search, eval, got 'serch'; did you mean 'search'?"),
    MalformedCase("key of another phase kind", """
        name: t
        phases:
          - {kind: train, algorithm: darts}
        """, "t.yaml:3: phases.0.algorithm: expected a key of a train phase, got 'algorithm'"),
    MalformedCase("epochs and batches", """
        name: t
        phases:
          - {kind: probe, epochs: 1, batches: 10}
        """, "t.yaml:3: phases.0: expected either epochs or batches, got both"),
    MalformedCase("bi-level dsnas", """
        name: t
        phases:
          - {kind: search, algorithm: dsnas, level: bi}
        """, "t.yaml:3: phases.0.level: expected single for dsnas (only darts and proxyless run bi-level), got 'bi'"),
    MalformedCase("fixed sampling with a free edge", """
        name: t
        edges:
          - {edges: [0, 1, 2, 3], fix: sep_conv_3x3}
        phases:
          - {kind: train, sampling: fixed}
        """, "t.yaml:5: phases.0.sampling: expected uniform, or every edge fixed or deleted under edges, "
            + "got 'fixed' with 8 ops on edge 4"),
    MalformedCase("exact cost of a cell too large to enumerate", """
        name: t
        network: {cell: original}
        phases:
          - {kind: probe, exact_cost: {batches: 1}}
        """, "t.yaml:4: phases.0.exact_cost: expected a cell of at most 100000 subnets (delete or fix edges, or use fewer ops), got 4398046511104 subnets"),
    MalformedCase("diagnostics every 0 epochs", """
        name: t
        phases:
          - {kind: search, algorithm: darts, diagnostics: {every: 0}}
        """, "t.yaml:3: phases.0.diagnostics.every: expected an integer in 1...1000000, got 0"),
    MalformedCase("precision typo", """
        name: t
        precision: float16
        phases: [{kind: probe}]
        """, "t.yaml:2: precision: expected one of float32, float64, got 'float16'; did you mean 'float32'?"),
    MalformedCase("zero replicates", """
        name: t
        phases: [{kind: probe}]
        replicates: 0
        """, "t.yaml:3: replicates: expected an integer in 1...10000, got 0"),
    MalformedCase("duplicate key", """
        name: t
        name: u
        phases: [{kind: probe}]
        """, "t.yaml:1: name: expected each key once, got 'name' more than once"),
    MalformedCase("train size above the data set", """
        name: t
        data: {dataset: cifar10, train_size: 60000}
        phases: [{kind: probe}]
        """, "t.yaml:2: data.train_size: expected an integer in 1...50000, got 60000"),
    MalformedCase("bad override value", """
        name: t
        phases: [{kind: probe}]
        """, overrides: ["seed=-1"], "<command line>: seed: expected an integer in 0...9007199254740992, got -1"),
    MalformedCase("override without '='", """
        name: t
        phases: [{kind: probe}]
        """, overrides: ["seed"], "<command line>: seed: expected key.path=value, got 'seed'"),
    MalformedCase("override into a missing phase", """
        name: t
        phases: [{kind: probe}]
        """, overrides: ["phases.3.epochs=2"], "<command line>: phases.3: expected a list index in 0..<1, got '3'"),
    MalformedCase("missing include", """
        include: [does-not-exist.yaml]
        name: t
        phases: [{kind: probe}]
        """, "t.yaml:1: expected a readable manifest file, got 'does-not-exist.yaml' (no such file)"),
    MalformedCase("yaml syntax", """
        name: t
        phases: [{kind: probe}
        grid: {}
        """, "t.yaml:3: expected valid YAML, got did not find expected ',' or ']' (while parsing a flow sequence)"),
]

@Test(arguments: malformedCases)
func malformedManifestGivesOneLine(_ c: MalformedCase) throws {
    let error = #expect(throws: ManifestError.self) {
        try Manifest(yaml: c.yaml, file: "t.yaml", overrides: c.overrides).plan(codeVersion: "test")
    }
    #expect(error?.description == c.expected)
    #expect(error?.description.contains("\n") == false)
}

@Test func editDistanceCountsTranspositionsAsOneEdit() {
    #expect(editDistance("kidn", "kind") == 1)
    #expect(editDistance("chanels", "channels") == 1)
    #expect(editDistance("", "abc") == 3)
    #expect(editDistance("kitten", "sitting") == 3)
    #expect(closestMatch(to: "layr", among: ["batch", "instance", "layer"]) == "layer")
    #expect(closestMatch(to: "xyzzy", among: ["batch", "instance", "layer"]) == nil)
}
