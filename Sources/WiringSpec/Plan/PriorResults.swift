// What a results folder already holds, read from the result files' own attributes: for each file its run
// id, configuration id (the settings without the code version), code version and resolved configuration.
// `plan` uses it to say why a run is new (the keys that differ from the nearest finished run, or that the
// same settings were run by other code) and `run` to leave results of other code versions alone unless
// asked (`--rerun-code-changed`).
import Foundation
import WiringResults

/// One finished result in a results folder.
public struct PriorResult: Sendable {
    public let file: String
    public let runID: String
    /// Nil for files written before configuration ids existed.
    public let configID: String?
    public let codeVersion: String
    /// The resolved configuration, flattened to manifest key paths (`network.channels`) and JSON values
    /// (`StoredConfig.settings`: older files' Swift names read in today's key paths).
    public let settings: [String: String]
}

/// The finished results of `folder` (unreadable or foreign files are left out).
public func priorResults(in folder: URL) -> [PriorResult] {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
    return names.filter { $0.hasSuffix(".h5") }.sorted().compactMap { name in
        let path = folder.appendingPathComponent(name).path
        guard let file = try? HDF5File(reading: path) else { return nil }
        defer { file.close() }
        let root = file.root
        guard (try? root.stringAttribute("format")) == "wiringlab-results",
              let runID = try? root.stringAttribute("run_id") else { return nil }
        let version = (try? root.attribute("format_version", as: Int64.self)).map(Int.init) ?? 1
        let settings = (try? root.stringAttribute("config")).map {
            StoredConfig.settings(configText: $0, formatVersion: version)
        }
        return PriorResult(file: path, runID: runID, configID: try? root.stringAttribute("config_id"),
                           codeVersion: (try? root.stringAttribute("code_version")) ?? "unknown",
                           settings: settings ?? [:])
    }
}

extension RunSpec {
    /// The flattened settings of this run, as `PriorResult.settings` reads them from its result file.
    var settings: [String: String] {
        StoredConfig.settings(configText: config.manifestJSON.jsonText, formatVersion: resultsFormatVersion)
    }

    /// Why this run is not done: a finished result of the same settings by other code, or the keys in which
    /// it differs from the nearest finished result (fewest differing keys), or nil when there is none.
    package func reasonItIsNew(among prior: [PriorResult]) -> String? {
        if let same = prior.first(where: { $0.configID == configID }) {
            return "same settings done as \(same.runID) by code \(same.codeVersion); --rerun-code-changed redoes it"
        }
        let mine = settings
        // Keys that cannot change a result are not reasons (they are blanked in the ids too).
        let ignored: Set<String> = ["threads", "data.root", "record.tensorboard"]
        let candidates = prior.filter { !$0.settings.isEmpty }.map { other -> (PriorResult, [String]) in
            let keys = Set(mine.keys).union(other.settings.keys)
                .filter { !ignored.contains($0) && mine[$0] != other.settings[$0] }.sorted()
            return (other, keys)
        }
        guard let (nearest, keys) = candidates.min(by: { $0.1.count < $1.1.count }) else { return nil }
        if keys.isEmpty { return "same settings as \(nearest.runID), other code version \(nearest.codeVersion)" }
        // Each change is one unbreakable piece (non-breaking spaces), so wrapping keeps "key a -> b" together.
        let shown = keys.prefix(3).map { "\($0)\u{A0}\(nearest.settings[$0] ?? "-")\u{A0}->\u{A0}\(mine[$0] ?? "-")" }
        return "differs from done run \(nearest.runID) in " + shown.joined(separator: ", ")
            + (keys.count > 3 ? " and \(keys.count - 3) more keys" : "")
    }
}
