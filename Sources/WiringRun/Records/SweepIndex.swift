// <results folder>/index.json: the map from run ids (the file names) to what each run is: its name,
// grid setting, seed and the typed values of the keys it varies. Merged, never rewritten from
// scratch: a run listed before whose result file still exists stays listed, so running a subset of
// a sweep (or a changed manifest) never hides finished results. Layout in docs/results-format.md §6.
import Foundation
import WiringSpec

/// One entry of the sweep index.
public struct SweepIndexEntry: Codable, Equatable, Sendable {
    /// A varying key with its typed value and optional manifest label.
    public struct Axis: Codable, Equatable, Sendable {
        public var key: String
        public var value: JSONValue
        public var label: String?
    }

    public var index: Int
    public var id: String
    public var name: String
    /// The grid point without the seed: the label of the value (one axis), or `key=label-or-value,...`.
    public var setting: String
    /// The replicate seed when the sweep has replicates, else nil.
    public var seed: Int?
    public var status: String
    public var file: String
    public var varying: [Axis]
    public var codeVersion: String
    /// False for runs kept from an earlier index whose manifest (or code version) no longer plans them.
    public var inPlan: Bool

    enum CodingKeys: String, CodingKey {
        case index, id, name, setting, seed, status, file, varying
        case codeVersion = "code_version", inPlan = "in_plan"
    }
}

/// The whole index file.
public struct SweepIndex: Codable, Equatable, Sendable {
    public static let version = 2
    public var indexVersion: Int
    public var experiment: String
    public var manifest: String
    public var codeVersion: String
    public var runs: [SweepIndexEntry]

    enum CodingKeys: String, CodingKey {
        case indexVersion = "index_version", experiment, manifest, codeVersion = "code_version", runs
    }

    /// The index file's name inside a results folder.
    public static let fileName = "index.json"

    /// Reads `folder`'s index; nil when there is none or it cannot be read (an older or damaged index is
    /// rebuilt from the plan, so a bad file never stops a sweep).
    public static func read(folder: URL) -> SweepIndex? {
        guard let data = FileManager.default.contents(atPath: folder.appendingPathComponent(fileName).path) else {
            return nil
        }
        if let index = try? JSONDecoder().decode(SweepIndex.self, from: data) { return index }
        return try? JSONDecoder().decode(LegacyIndex.self, from: data).upgraded
    }
}

/// The name of a run's grid point: the one axis' label or value, or `key=value` pairs for several axes.
package func settingName(_ varying: [(key: String, shown: String)], experiment: String) -> String {
    let axes = varying.filter { $0.key != "seed" }
    if axes.isEmpty { return experiment }
    if axes.count == 1 { return axes[0].shown }
    let short = Manifest.shortNames(axes.map(\.key))
    return axes.map { "\(short[$0.key] ?? $0.key)=\($0.shown)" }.joined(separator: ",")
}

extension RunSpec {
    /// The run's grid point name (see `settingName`).
    func setting(experiment: String) -> String {
        settingName(varying.map { ($0.keyPath, $0.shown) }, experiment: experiment)
    }

    /// The replicate seed, when the sweep has replicates.
    var replicateSeed: Int? {
        varying.first { $0.keyPath == "seed" }.flatMap { if case let .int(s) = $0.json { return s } else { return nil } }
    }
}

/// Writes `<folder>/index.json` for `plan`, merged with the index already there: every run of the plan
/// with its current status, then the runs listed before that the plan no longer has but whose result
/// file still exists. Safe to call after every run (the file is replaced atomically).
/// - Throws: a file-system error if the index cannot be written.
public func writeSweepIndex(plan: ExperimentPlan, folder: URL) throws {
    let index = mergedSweepIndex(plan: plan, folder: folder)
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    try encoder.encode(index).write(to: folder.appendingPathComponent(SweepIndex.fileName), options: .atomic)
}

/// The index `writeSweepIndex` writes.
public func mergedSweepIndex(plan: ExperimentPlan, folder: URL) -> SweepIndex {
    var runs = plan.runs.map { run in
        SweepIndexEntry(index: run.index, id: run.id, name: run.name, setting: run.setting(experiment: plan.name),
                        seed: run.replicateSeed, status: RunStatus(id: run.id, in: folder).rawValue,
                        file: RunFiles.result(run.id),
                        varying: run.varying.map { .init(key: $0.keyPath, value: $0.json, label: $0.label) },
                        codeVersion: plan.codeVersion, inPlan: true)
    }
    let planned = Set(runs.map(\.id))
    for var old in SweepIndex.read(folder: folder)?.runs ?? [] where !planned.contains(old.id) {
        guard RunStatus(id: old.id, in: folder) == .done else { continue }
        old.status = RunStatus.done.rawValue
        old.inPlan = false
        runs.append(old)
    }
    return SweepIndex(indexVersion: SweepIndex.version, experiment: plan.name, manifest: plan.file,
                      codeVersion: plan.codeVersion, runs: runs)
}

/// The index as format 1 wrote it (values as strings, no settings), read so that its runs are kept.
private struct LegacyIndex: Decodable {
    struct Entry: Decodable {
        let index: Int, id: String, name: String, status: String, file: String, varying: [String: String]
    }
    let experiment: String, manifest: String, codeVersion: String, runs: [Entry]

    var upgraded: SweepIndex {
        SweepIndex(indexVersion: SweepIndex.version, experiment: experiment, manifest: manifest, codeVersion: codeVersion,
                   runs: runs.map { e in
                       let varying = e.varying.sorted { $0.key < $1.key }
                       return SweepIndexEntry(index: e.index, id: e.id, name: e.name,
                                              setting: settingName(varying.map { ($0.key, $0.value) }, experiment: experiment),
                                              seed: varying.first { $0.key == "seed" }.flatMap { Int($0.value) },
                                              status: e.status, file: e.file,
                                              varying: varying.map { .init(key: $0.key, value: .string($0.value), label: nil) },
                                              codeVersion: codeVersion, inPlan: false)
                   })
    }
}
