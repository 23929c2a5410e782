// One spelling per setting: the configuration a result file stores (and `plan` compares, and TensorBoard shows)
// is written in the manifest's key paths, rendered from the schema tables. Read back as a manifest it gives the
// same configuration; its key paths are the schema's; a result file of format 2 (the Swift names `opNorm`,
// `network.constraints`, `phases.N.length`, captured from that writer into Tests/Fixtures/config) reads in
// today's key paths.
import Foundation
import Testing
@testable import WiringExperiment
@testable import WiringReport
@testable import WiringRun
@testable import WiringSpec

/// A run that sets a value other than the default under most keys, with every phase kind, every optional
/// block and every kind of edge entry.
let richManifest = """
    name: rich
    seed: 5
    precision: float64
    threads: 2
    data:
      dataset: synthetic
      synthetic: {count: 32, size: 8, channels: 3, classes: 4}
      train_size: 24
      test_size: 16
      batch_size: 8
      augment: false
    network:
      cells: 2
      channels: 4
      stem_multiplier: 2
      ops: [none, skip_connect, sep_conv_3x3, max_pool_3x3]
      norm: {kind: instance, affine: true, eps: 0.001, momentum: 0.2}
      stem_norm: {kind: batch, affine: false}
      stacking: conv-relu-norm
      classifier_bias: true
      naming: darts
      legacy_depthwise_fan_in: true
    edges:
      - {edge: 0, fix: sep_conv_3x3}
      - {edges: [1, 2], exclude: [max_pool_3x3]}
      - {edges: intermediate, delete: true}
      - {edge: 3, allow: [none, skip_connect]}
    record: {per_sample: true}
    phases:
      - {name: p0, kind: probe, batches: 3, until_sign_known: {z: 2.5}, exact_cost: {batches: 1}}
      - {kind: train, epochs: 2, refresh_running_statistics: false, eval_every: 1,
         optimizer: {lr: 0.05, grad_clip: 5, schedule: constant}}
      - {kind: search, algorithm: snas, epochs: 1, anneal: true, alpha_init: {kind: constant, value: 0.001},
         diagnostics: {batches: 1, hessian: false}, alpha_optimizer: {lr: 0.01, grad_clip: null}}
      - {kind: search, algorithm: dsnas, batches: 2, reward_clip: 0.5, alpha_init: {kind: normal, mean: 1, std: 0.01}}
      - {kind: eval, epochs: 1, sampling: uniform}
    """

func richPlan() throws -> ExperimentPlan {
    try Manifest(yaml: richManifest, file: "rich.yaml").plan(codeVersion: "test")
}

/// Key paths of a JSON value, list positions as `N` (as `Schema.renderedKeyPaths` writes them).
private func keyPaths(_ value: JSONValue, prefix: String = "") -> Set<String> {
    switch value {
    case let .object(entries):
        return entries.reduce(into: Set()) { $0.formUnion(keyPaths($1.value, prefix: join(prefix, $1.key))) }
    case let .array(items) where items.isEmpty || items.contains(where: { if case .object = $0 { true } else { false } }):
        return items.reduce(into: Set()) { $0.formUnion(keyPaths($1, prefix: join(prefix, "N"))) }
    default:
        return [prefix]
    }
}

private let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures/config")

@Suite struct StoredConfigTests {
    /// The stored configuration, given to the manifest loader as a manifest (JSON is YAML), gives the same
    /// configuration: every key is a manifest key (the loader refuses others, naming the closest) and every
    /// value the run uses is there.
    @Test(arguments: ["tiny", "rich"])
    func theStoredConfigurationReadAsAManifestIsTheSameConfiguration(_ name: String) throws {
        let run = try (name == "tiny" ? tinyPlan() : richPlan()).runs[0]
        let stored = run.config.manifestJSON
        guard case let .object(entries) = stored else {
            Issue.record("not a mapping: \(stored.jsonText)")
            return
        }
        let manifest = JSONValue.object([("name", .string(name))] + entries).prettyText
        let again = try Manifest(yaml: manifest, file: "\(name)-stored.yaml").plan(codeVersion: "test").runs[0]
        #expect(again.config == run.config, "\(manifest)")
        #expect(again.id == run.id)
    }

    /// The key paths a stored configuration may hold are the schema's (`Schema.renderedKeyPaths`, walked from the
    /// tables: a new field is in it), and the rich run, with both stored configurations, holds every one of them.
    @Test func theStoredKeyPathsAreTheSchemasKeyPaths() throws {
        let expected = Set(RunSchema.top.renderedKeyPaths)
        #expect(expected.contains("network.norm.kind") && expected.contains("edges.N.fix")
                && expected.contains("phases.N.alpha_optimizer.lr") && expected.contains("phases.N.epochs"))
        let swiftNames = expected.filter { $0.split(separator: ".").contains { $0 != "N" && $0.contains(where: \.isUppercase) } }
        #expect(swiftNames.isEmpty, "Swift names: \(swiftNames.sorted())")
        // The rich run, and a CIFAR-100 one for `data.labels` (held by that data set only).
        let runs = [try richPlan().runs[0], try tinyPlan().runs[0], try tinyPlan(["data.dataset=cifar100"]).runs[0]]
        let found = runs.reduce(into: Set<String>()) { $0.formUnion(keyPaths($1.config.manifestJSON)) }
        #expect(found.subtracting(expected).isEmpty, "not schema key paths: \(found.subtracting(expected).sorted())")
        #expect(expected.subtracting(found).isEmpty, "never stored: \(expected.subtracting(found).sorted())")
    }

    /// Format 2 stored the Swift encoding; it reads in today's key paths, equal to what today's file of the
    /// same run says. A file older still (a field missing, so it no longer decodes) has its keys renamed.
    @Test(arguments: ["tiny", "rich"])
    func aFormat2ConfigurationReadsInTodaysKeyPaths(_ name: String) throws {
        let run = try (name == "tiny" ? tinyPlan() : richPlan()).runs[0]
        let old = try String(contentsOf: fixtures.appendingPathComponent("\(name)-format2.json"), encoding: .utf8)
        #expect(old.contains("\"opNorm\""), "the fixture is of the old writer")
        let today = StoredConfig.settings(configText: run.config.manifestJSON.prettyText, formatVersion: resultsFormatVersion)
        #expect(today["network.norm.kind"] != nil && today["data.batch_size"] == "8")
        #expect(StoredConfig.settings(configText: old, formatVersion: 2) == today)
        #expect(StoredConfig.manifestText(configText: old, formatVersion: 2) == run.config.manifestJSON.prettyText)

        var object = try #require(try JSONSerialization.jsonObject(with: Data(old.utf8)) as? [String: Any])
        object["record"] = nil
        let older = String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
        let renamed = StoredConfig.settings(configText: older, formatVersion: 1)
        #expect(renamed["network.norm.kind"] == today["network.norm.kind"])
        #expect(renamed["data.batch_size"] == "8")
        #expect(renamed["record.per_sample"] == nil)
    }

    /// The Python tools' one reader (tools/wiringlab_files.py) converts a format-2 configuration to the manifest's
    /// key paths: every value it gives is the one today's file of the same run stores under that key path (the old
    /// encoding left some keys out at their default; those stay out), and the keys the tools read are there.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/python3"), "no /usr/bin/python3"),
          arguments: ["tiny", "rich"])
    func pythonReadsAFormat2ConfigurationInTodaysKeyPaths(_ name: String) throws {
        let run = try (name == "tiny" ? tinyPlan() : richPlan()).runs[0]
        let dir = temporaryFolder("stored-python")
        defer { try? FileManager.default.removeItem(at: dir) }
        let today = dir.appendingPathComponent("today.json")
        try run.config.manifestJSON.prettyText.write(to: today, atomically: true, encoding: .utf8)
        let tools = fixtures.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("tools").path
        let script = """
            import json, sys
            sys.path.insert(0, sys.argv[1])
            from wiringlab_files import normalised_config
            def leaves(value, path=""):
                if isinstance(value, dict):
                    return [l for k, v in value.items() for l in leaves(v, f"{path}.{k}" if path else k)]
                if isinstance(value, list) and any(isinstance(v, dict) for v in value):
                    return [l for i, v in enumerate(value) for l in leaves(v, f"{path}.{i}")]
                return [(path, value)]
            old = dict(leaves(normalised_config(json.load(open(sys.argv[2])))))
            new = dict(leaves(json.load(open(sys.argv[3]))))
            print(json.dumps({"missing": sorted(k for k in old if k not in new),
                              "differ": sorted(k for k in old if k in new and old[k] != new[k]),
                              "keys": sorted(old)}))
            """
        let output = try runProcess("/usr/bin/python3", ["-c", script, tools,
                                                         fixtures.appendingPathComponent("\(name)-format2.json").path, today.path])
        try #require(output.status == 0, "\(output.text)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(output.text.utf8)) as? [String: [String]])
        #expect(report["missing"] == [], "keys that are no manifest key paths: \(report["missing"] ?? [])")
        #expect(report["differ"] == [], "values that differ from today's file: \(report["differ"] ?? [])")
        let keys = Set(report["keys"] ?? [])
        for key in ["network.norm.kind", "network.norm.eps", "data.batch_size", "phases.0.kind", "network.cells"] {
            #expect(keys.contains(key), "\(key) missing from \(keys.sorted())")
        }
        if name == "rich" {
            for key in ["edges.3.delete", "edges.3.edges", "edges.0.fix", "phases.2.alpha_optimizer.lr", "phases.2.level",
                        "phases.2.alpha_init.value", "phases.3.batches", "phases.1.epochs"] {
                #expect(keys.contains(key), "\(key) missing from \(keys.sorted())")
            }
        }
    }

    /// `plan` names a changed setting by its manifest key path, also against a format-2 file.
    @Test func planSaysTheChangedKeyInTheManifestsSpelling() throws {
        let dir = temporaryFolder("stored")
        defer { try? FileManager.default.removeItem(at: dir) }
        let plan = try tinyPlan()
        guard case .finished = try executeRun(plan.runs[0], plan: plan, options: RunOptions(outFolder: dir)) else {
            Issue.record("run did not finish")
            return
        }
        let changed = try tinyPlan(["network.norm.kind=instance"])
        let table = changed.table(resultsFolder: dir, width: 120)
        #expect(table.contains("network.norm.kind \"batch\" -> \"instance\""), "\(table)")
        #expect(!table.contains("op_norm") && !table.contains("opNorm"), "\(table)")
        // The same against a settings list read from the old writer's text.
        let old = try String(contentsOf: fixtures.appendingPathComponent("tiny-format2.json"), encoding: .utf8)
        let prior = PriorResult(file: "old.h5", runID: "000000000000", configID: nil, codeVersion: "old",
                                settings: StoredConfig.settings(configText: old, formatVersion: 2))
        let reason = try #require(changed.runs[0].reasonItIsNew(among: [prior]))
        #expect(reason.replacingOccurrences(of: "\u{A0}", with: " ").contains("network.norm.kind \"batch\" -> \"instance\""),
                "\(reason)")
    }

}
