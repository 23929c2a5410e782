// The planner: expands a manifest's sweep (grid x zip x replicates, minus exclude) into runs, each with
// a fully validated `RunConfig`, a stable id and a readable name. Nothing runs here; a plan that
// exists is a plan whose every run is valid.
//
// Order of runs: grid axes as nested loops in manifest order (the first key varies slowest), then the
// zip position, then the replicate seed. Run ids hash the canonical JSON of the resolved configuration
// plus the code version, so they are the same in every process and change with any value that matters.

import Crypto
import Foundation

/// One varying key of a run and its value, as shown in the run's name.
public struct RunAxisValue: Codable, Hashable, Sendable {
    /// Full key path (`network.norm.kind`), or `seed` for replicates.
    public let keyPath: String
    /// The value in flow YAML without quotes (`instance`, `[none, skip_connect]`).
    public let value: String
    /// The same value, typed (`0.1` stays a number).
    public let json: JSONValue
    /// The manifest's label for the value (`{label: a, value: ...}` in a grid or zip list), if it has one;
    /// used in the run's name instead of the value. Labels never enter the run id.
    public let label: String?

    public init(keyPath: String, value: String, json: JSONValue, label: String? = nil) {
        self.keyPath = keyPath
        self.value = value
        self.json = json
        self.label = label
    }

    /// What a run name shows for this key: the label, or the value.
    public var shown: String { label ?? value }
}

/// One run of an experiment.
public struct RunSpec: Codable, Hashable, Sendable {
    /// Position in the plan, from 0.
    public let index: Int
    /// 12 hex digits of SHA-256 over the canonical configuration and the code version.
    public let id: String
    /// The varying keys, `norm.kind=instance,norm.affine=true,seed=1`; the experiment name when nothing varies.
    public let name: String
    /// The keys that vary across the plan, with this run's values.
    public let varying: [RunAxisValue]
    /// The fully resolved configuration the runner executes.
    public let config: RunConfig
    /// The configuration's id without the code version (`Manifest.configID`).
    public var configID: String { Manifest.configID(config) }
}

/// A validated experiment: every run it will execute.
public struct ExperimentPlan: Codable, Hashable, Sendable {
    /// The manifest's `name`; the default results folder is `results/<name>/`.
    public let name: String
    /// The manifest's `description`.
    public let description: String
    /// The manifest file the plan came from.
    public let file: String
    /// The code version the run ids include.
    public let codeVersion: String
    /// The merged manifest (includes, `set:` and overrides applied) as YAML, to store beside results.
    public let resolvedManifest: String
    /// The runs in plan order (`runs[i].index == i`).
    public let runs: [RunSpec]
    /// `git describe` of the code, for the result files' provenance (not part of any id).
    public var gitDescribe = "unknown"
}

extension Manifest {
    /// Validates the manifest and expands it into runs.
    /// - Parameter codeVersion: mixed into every run id (`git describe --always --dirty`, or "unknown").
    /// - Returns: the runs in plan order.
    /// - Throws: `ManifestError` for the first problem in the sweep keys or in any run.
    public func plan(codeVersion: String) throws -> ExperimentPlan {
        do {
            return try expand(codeVersion: codeVersion)
        } catch let error as ManifestError {
            throw explainingCommaOverride(error)
        }
    }

    private func expand(codeVersion: String) throws -> ExperimentPlan {
        let top = try MapReader(root, path: "", keys: RunSchema.top.keys, what: RunSchema.top.what)
        guard top.given("name") else { throw top.missing("name", expected: namePattern) }
        let name = try top.string("name")
        guard isValidName(name) else {
            throw ManifestError.invalid(top.location("name"), keyPath: "name", expected: namePattern, got: "'\(name)'")
        }
        let description = try top.string("description", default: "")
        if description.count > Limits.descriptionLength {
            throw ManifestError.invalid(top.location("description"), keyPath: "description",
                                        expected: "expected at most \(Limits.descriptionLength) characters (one line for `wiringlab list`)",
                                        got: "\(description.count) characters")
        }
        let grid = try axes(top, "grid")
        let zipped = try axes(top, "zip")
        if let first = zipped.first, let bad = zipped.first(where: { $0.values.count != first.values.count }) {
            throw ManifestError.invalid(bad.location, keyPath: "zip.\(bad.keyPath)",
                                        expected: "expected \(first.values.count) values like zip.\(first.keyPath)",
                                        got: "\(bad.values.count)")
        }
        if let both = zipped.first(where: { z in grid.contains { $0.keyPath == z.keyPath } }) {
            throw ManifestError.invalid(both.location, keyPath: "zip.\(both.keyPath)",
                                        expected: "expected a key path that grid does not also vary", got: "'\(both.keyPath)'")
        }
        let exclusions = try readExclusions(top, axes: grid + zipped)
        let seeds = try replicateSeeds(top)
        // Counted before anything is expanded, in Double: a grid of many long axes must not overflow or allocate.
        let runCount = grid.reduce(Double(zipped.first?.values.count ?? 1)) { $0 * Double($1.values.count) }
            * Double(seeds?.count ?? 1)
        if runCount > Double(Limits.runs) {
            throw ManifestError.invalid(top.location(grid.isEmpty ? "zip" : "grid"), keyPath: grid.isEmpty ? "zip" : "grid",
                                        expected: "expected a sweep of at most \(Limits.runs) runs",
                                        got: String(format: "%.0f runs", runCount) + "; split it into several manifests")
        }

        // The run tree: everything but the sweep keys.
        var base = root
        for key in RunSchema.sweepKeys { base.remove(key) }

        // Grid points: nested loops, first axis slowest; then the zip position.
        var points: [[(Axis, ManifestNode)]] = [[]]
        for axis in grid {
            points = points.flatMap { p in axis.values.map { p + [(axis, $0)] } }
        }
        if let length = zipped.first?.values.count {
            points = points.flatMap { p in (0..<length).map { i in p + zipped.map { ($0, $0.values[i]) } } }
        }

        let shortNames = Manifest.shortNames(grid.map(\.keyPath) + zipped.map(\.keyPath))
        var runs: [RunSpec] = []
        var seen: [String: Int] = [:]
        for point in points where !exclusions.contains(where: { rule in rule.allSatisfy { key, value in
            point.contains { $0.0.keyPath == key && $0.1 == value } } }) {
            var tree = base
            for (axis, value) in point {
                try tree.set(path: axis.segments, to: value, at: axis.location)
            }
            let config = try decodeRunConfig(tree)
            for seed in seeds ?? [config.seed] {
                var c = config
                c.seed = seed
                var varying = point.map { axis, value in
                    RunAxisValue(keyPath: axis.keyPath, value: value.plain, json: value.json, label: axis.label(of: value))
                }
                if seeds != nil { varying.append(RunAxisValue(keyPath: "seed", value: "\(seed)", json: .int(Int(seed)))) }
                let runName = varying.isEmpty ? name
                    : varying.map { "\(shortNames[$0.keyPath] ?? $0.keyPath)=\($0.shown)" }.joined(separator: ",")
                let id = Manifest.runID(c, codeVersion: codeVersion)
                if let other = seen[id] {
                    let location = point.last?.0.location ?? top.location("replicates")
                    throw ManifestError.invalid(location, keyPath: point.last.map { "grid.\($0.0.keyPath)" } ?? "replicates",
                                                expected: "expected every run to differ",
                                                got: "runs \(other) and \(runs.count) with the same configuration")
                }
                seen[id] = runs.count
                runs.append(RunSpec(index: runs.count, id: id, name: runName, varying: varying, config: c))
            }
        }
        guard !runs.isEmpty else {
            throw ManifestError.invalid(top.location("exclude"), keyPath: "exclude",
                                        expected: "expected at least one run left", got: "every run excluded")
        }
        return ExperimentPlan(name: name, description: description, file: file, codeVersion: codeVersion,
                              resolvedManifest: root.yaml(), runs: runs)
    }

    /// The run id: the first 12 hex digits of SHA-256(canonical JSON, the code version, the result-format version).
    static func runID(_ config: RunConfig, codeVersion: String) -> String {
        var bytes = config.canonicalJSON
        bytes.append(contentsOf: Array("\n\(codeVersion)\nformat \(resultsFormatVersion)".utf8))
        return SHA256.hash(data: bytes).prefix(6).map { String(format: "%02x", $0) }.joined()
    }

    /// The configuration's own id, without the code version: equal for the same settings under any code,
    /// so `plan` can tell "done by other code" from "never run".
    static func configID(_ config: RunConfig) -> String {
        var bytes = config.canonicalJSON
        bytes.append(contentsOf: Array("\nformat \(resultsFormatVersion)".utf8))
        return SHA256.hash(data: bytes).prefix(6).map { String(format: "%02x", $0) }.joined()
    }

    /// Key paths shortened for run names: `network.` or `data.` is dropped when what is left is unique.
    package static func shortNames(_ paths: [String]) -> [String: String] {
        var result: [String: String] = [:]
        for path in paths {
            var short = path
            for prefix in ["network.", "data."] where path.hasPrefix(prefix) {
                let rest = String(path.dropFirst(prefix.count))
                if paths.filter({ $0 == rest || $0.hasSuffix("." + rest) }).count == 1 { short = rest }
            }
            result[path] = short
        }
        return result
    }
}

// MARK: - Sweep keys

/// One grid or zip axis.
private struct Axis {
    let keyPath: String
    let segments: [String]
    let location: SourceLocation
    let values: [ManifestNode]
    /// The manifest's label of each value, nil where the value has none.
    var labels: [String?] = []

    func label(of value: ManifestNode) -> String? {
        values.firstIndex(of: value).flatMap { labels.indices.contains($0) ? labels[$0] : nil }
    }
}

/// A list item `{label: a, value: ...}`: a value with a name for run names and plots. Any other item is
/// a plain value (a mapping with other keys is a value too).
private func unwrapLabel(_ item: ManifestNode, path: String) throws -> (value: ManifestNode, label: String?) {
    guard let entries = item.entries, entries.count == 2, Set(entries.map(\.key)) == ["label", "value"],
          let label = entries.first(where: { $0.key == "label" }), let value = entries.first(where: { $0.key == "value" })
    else { return (item, nil) }
    let text: String
    switch label.value.value {
    case let .string(s): text = s
    case .int, .double, .bool: text = label.value.plain
    default: text = ""
    }
    guard !text.isEmpty, !text.contains(","), !text.contains("=") else {
        throw ManifestError.invalid(label.value.location, keyPath: "\(path).label",
                                    expected: "expected a short non-empty name without ',' or '='", got: label.value.rendered)
    }
    return (value.value, text)
}

/// Reads `grid` or `zip`: a mapping from key paths to non-empty lists of values.
private func axes(_ top: MapReader, _ key: String) throws -> [Axis] {
    guard top.given(key), let node = top.node(key) else { return [] }
    guard let entries = node.entries else {
        throw ManifestError.invalid(node.location, keyPath: key, expected: "expected a mapping of key paths to lists",
                                    got: node.rendered)
    }
    return try entries.map { entry in
        let path = "\(key).\(entry.key)"
        let segments = entry.key.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        if segments.contains(where: \.isEmpty) {
            throw ManifestError.invalid(entry.keyLocation, keyPath: path, expected: "expected a dotted key path",
                                        got: "'\(entry.key)'")
        }
        if RunSchema.sweepKeys.contains(segments[0]) {
            throw ManifestError.invalid(entry.keyLocation, keyPath: path,
                                        expected: "expected a key path of a run setting (not a sweep key)",
                                        got: "'\(entry.key)'")
        }
        let values = try entry.value.list(path, expected: "expected a list of values")
        guard !values.isEmpty else {
            throw ManifestError.invalid(entry.value.location, keyPath: path, expected: "expected at least one value",
                                        got: "[]")
        }
        let items = try values.enumerated().map { i, item in try unwrapLabel(item, path: "\(path).\(i)") }
        var seenLabels: Set<String> = []
        for (i, item) in items.enumerated() {
            guard let label = item.label else { continue }
            guard seenLabels.insert(label).inserted else {
                throw ManifestError.invalid(values[i].location, keyPath: "\(path).\(i).label",
                                            expected: "expected each label once", got: "'\(label)' again")
            }
        }
        return Axis(keyPath: entry.key, segments: segments, location: entry.keyLocation, values: items.map(\.value),
                    labels: items.map(\.label))
    }
}

/// Reads `exclude`: a list of mappings from grid or zip key paths to one of their values.
private func readExclusions(_ top: MapReader, axes: [Axis]) throws -> [[(String, ManifestNode)]] {
    guard top.given("exclude"), let node = top.node("exclude") else { return [] }
    let rules = try node.list("exclude", expected: "expected a list of mappings from key paths to values")
    return try rules.enumerated().map { i, rule in
        guard let entries = rule.entries, !entries.isEmpty else {
            throw ManifestError.invalid(rule.location, keyPath: "exclude.\(i)",
                                        expected: "expected a mapping from key paths to values", got: rule.rendered)
        }
        return try entries.map { entry in
            let path = "exclude.\(i).\(entry.key)"
            let names = axes.map(\.keyPath)
            guard let axis = axes.first(where: { $0.keyPath == entry.key }) else {
                throw ManifestError.invalid(entry.keyLocation, keyPath: path, expected: "expected a key path varied by grid or zip",
                                            got: "'\(entry.key)'", suggestion: closestMatch(to: entry.key, among: names))
            }
            guard axis.values.contains(entry.value) else {
                let choices = axis.values.map(\.plain)
                throw ManifestError.invalid(entry.value.location, keyPath: path,
                                            expected: "expected one of \(choices.joined(separator: ", "))",
                                            got: entry.value.rendered,
                                            suggestion: closestMatch(to: entry.value.plain, among: choices))
            }
            return (entry.key, entry.value)
        }
    }
}

/// Reads `replicates`: a count n (seeds seed...seed+n-1; nil for 1, so names carry no seed) or a list of seeds.
private func replicateSeeds(_ top: MapReader) throws -> [UInt64]? {
    guard top.given("replicates"), let node = top.node("replicates") else { return nil }
    let base = try top.int("seed", default: 0, min: 0, max: Limits.seed)
    switch node.value {
    case .int:
        let n = try node.int("replicates", min: 1, max: Limits.replicates)
        return n == 1 ? nil : (0..<n).map { UInt64(base + $0) }
    case let .list(items):
        guard !items.isEmpty else {
            throw ManifestError.invalid(node.location, keyPath: "replicates", expected: "expected at least one seed", got: "[]")
        }
        var seeds: [UInt64] = []
        for (i, item) in items.enumerated() {
            let s = UInt64(try item.int("replicates.\(i)", min: 0, max: Limits.seed))
            if seeds.contains(s) {
                throw ManifestError.invalid(item.location, keyPath: "replicates.\(i)", expected: "expected each seed once",
                                            got: "\(s) again")
            }
            seeds.append(s)
        }
        return seeds
    default:
        throw ManifestError.invalid(node.location, keyPath: "replicates",
                                    expected: "expected a count >= 1 or a list of seeds", got: node.rendered)
    }
}
