// The configuration as the user meets it outside the manifest: a result file's `config` attribute, the
// settings `plan` compares ("differs from done run ... in network.norm.kind"), TensorBoard's settings text.
// One spelling per setting: the manifest's key paths, rendered from the schema tables (Schema.rendered), so
// that the stored configuration read as a manifest gives the same configuration back (tested).
//
// Result files before format 3 stored the Swift names (`opNorm`, `trainSize`, `network.constraints`,
// `phases.N.length`); `StoredConfig.settings(ofResultFile:)` reads those too, in today's key paths.
import Foundation

extension RunConfig {
    /// The configuration as a manifest would write it: the schema's keys, in table order, with every value the
    /// configuration holds (`cell` as the `steps` and `multiplier` it set, `edges` one entry per constraint).
    public var manifestJSON: JSONValue { RunSchema.top.rendered(self) }
}

public enum StoredConfig {
    /// The first result-file format whose `config` attribute holds the manifest's keys.
    public static let manifestKeysSince = 3

    /// A result file's `config` attribute flattened to manifest key paths (`network.norm.kind`,
    /// `phases.0.epochs`) and the JSON text of each value; files of formats before 3 are read in today's
    /// key paths. Empty when the text is no JSON object.
    public static func settings(configText text: String, formatVersion: Int) -> [String: String] {
        let data = Data(text.utf8)
        if formatVersion < manifestKeysSince {
            // The old attribute is the Swift encoding of `RunConfig`: decoded, then rendered as today.
            if let config = try? JSONDecoder().decode(RunConfig.self, from: data) {
                // Through the text, as a file of today's format is read (`5.0` reads as 5 either way).
                return settings(configText: config.manifestJSON.jsonText, formatVersion: manifestKeysSince)
            }
            // Files older than some of today's fields: their keys renamed one by one.
            guard let object = try? JSONSerialization.jsonObject(with: data) else { return [:] }
            return Dictionary(flattenSettings(object).map { (renamedOldKeyPath($0.key), $0.value) }) { a, _ in a }
        }
        guard let value = try? JSONDecoder().decode(JSONValue.self, from: data) else { return [:] }
        return flattenSettings(value)
    }

    /// A result file's `config` attribute as today's files write it: an older file's Swift encoding rendered in
    /// the manifest's keys when it still decodes, else the text as stored.
    public static func manifestText(configText text: String, formatVersion: Int) -> String {
        guard formatVersion < manifestKeysSince,
              let config = try? JSONDecoder().decode(RunConfig.self, from: Data(text.utf8)) else { return text }
        return config.manifestJSON.prettyText
    }

    /// An old key path in today's spelling: camelCase words in snake_case, and the keys that moved.
    static func renamedOldKeyPath(_ path: String) -> String {
        var parts = path.split(separator: ".").map { word in
            word.reduce(into: "") { s, c in s += c.isUppercase ? "_" + c.lowercased() : String(c) }
        }
        if parts.count >= 2, parts[0] == "network", parts[1] == "op_norm" { parts[1] = "norm" }
        if parts.count >= 2, parts[0] == "network", parts[1] == "constraints" { parts.removeFirst(); parts[0] = "edges" }
        // A phase's search settings sat in `search`; a manifest writes them in the phase.
        if parts.count >= 4, parts[0] == "phases", parts[2] == "search" { parts.remove(at: 2) }
        return parts.joined(separator: ".")
    }
}

/// Key paths of a JSON value (`network.norm.kind`, `phases.0.epochs`) and the compact JSON text of each leaf.
func flattenSettings(_ value: JSONValue, prefix: String = "") -> [String: String] {
    switch value {
    case let .object(entries):
        var out: [String: String] = [:]
        for (key, child) in entries { out.merge(flattenSettings(child, prefix: join(prefix, key))) { $1 } }
        return out
    case let .array(items):
        var out: [String: String] = [:]
        for (i, child) in items.enumerated() { out.merge(flattenSettings(child, prefix: join(prefix, "\(i)"))) { $1 } }
        return out
    default:
        return [prefix: value.jsonText]
    }
}

/// `flattenSettings` of a value from `JSONSerialization` (old files whose configuration no longer decodes).
func flattenSettings(_ value: Any, prefix: String = "") -> [String: String] {
    switch value {
    case let object as [String: Any]:
        var out: [String: String] = [:]
        for (key, child) in object { out.merge(flattenSettings(child, prefix: join(prefix, key))) { $1 } }
        return out
    case let array as [Any]:
        var out: [String: String] = [:]
        for (i, child) in array.enumerated() { out.merge(flattenSettings(child, prefix: join(prefix, "\(i)"))) { $1 } }
        return out
    default:
        let data = (try? JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed, .sortedKeys])) ?? Data()
        return [prefix: String(decoding: data, as: UTF8.self)]
    }
}
