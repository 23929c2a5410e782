// The raw manifest tree: YAML values that remember where they were written, so that every error can
// name a file and line even after includes were merged, overrides applied and grid points set.
// Scalars are typed once, with YAML 1.1 plain-scalar rules (Yams' default resolver): `3` is an int,
// `3.0`/`1e-3` a double, `true`/`yes` a bool, `null`/`~`/empty null; quoted scalars are strings.

import Foundation
import Yams

/// A YAML value with the place it came from. Equality and hashing ignore the location, and compare
/// ints and doubles numerically (`1 == 1.0`), so exclusion rules match however a number was spelled.
public struct ManifestNode: Codable, Hashable, Sendable {
    /// The value itself.
    public indirect enum Value: Codable, Hashable, Sendable {
        case null
        case bool(Bool)
        case int(Int)
        case double(Double)
        case string(String)
        case list([ManifestNode])
        case map([Entry])
    }

    /// One key of a mapping, in file order, with the key's own location (reported for unknown keys).
    public struct Entry: Codable, Hashable, Sendable {
        /// The key as written.
        public var key: String
        /// Where the key was written (or the key path that created it).
        public var keyLocation: SourceLocation
        /// The value under the key.
        public var value: ManifestNode
    }

    /// The value.
    public var value: Value
    /// Where the value was written.
    public var location: SourceLocation

    init(_ value: Value, at location: SourceLocation) {
        self.value = value
        self.location = location
    }

    /// Same value, wherever written; `1 == 1.0`.
    public static func == (a: ManifestNode, b: ManifestNode) -> Bool {
        switch (a.value, b.value) {
        case (.null, .null): return true
        case let (.bool(x), .bool(y)): return x == y
        case let (.string(x), .string(y)): return x == y
        case let (.int(x), .int(y)): return x == y
        case let (.double(x), .double(y)): return x == y
        case let (.int(x), .double(y)), let (.double(y), .int(x)): return Double(x) == y
        case let (.list(x), .list(y)): return x == y
        case let (.map(x), .map(y)):
            return x.count == y.count && zip(x, y).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        default: return false
        }
    }

    /// Hashes the value only, consistently with `==`.
    public func hash(into hasher: inout Hasher) {
        switch value {
        case .null: hasher.combine(0)
        case let .bool(x): hasher.combine(x)
        case let .string(x): hasher.combine(x)
        case let .int(x): hasher.combine(Double(x))
        case let .double(x): hasher.combine(x)
        case let .list(x): hasher.combine(x)
        case let .map(x): for e in x { hasher.combine(e.key); hasher.combine(e.value) }
        }
    }
}

// MARK: - From YAML

extension ManifestNode {
    /// Parses one YAML document. An empty document is an empty mapping.
    /// - Throws: `ManifestError.syntax` with the line of the problem, or `.invalid` for a duplicate key
    ///   or a collection used as a mapping key.
    package static func parse(yaml: String, file: String, overrideLocation: SourceLocation? = nil) throws -> ManifestNode {
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch let error as YamlError {
            if case let .duplicatedKeysInMapping(duplicates, context) = error, let key = duplicates.first {
                // Yams reports the first occurrence; the key path of its mapping is not known here.
                throw ManifestError.invalid(overrideLocation ?? SourceLocation(file: file, line: context.mark.line),
                                            keyPath: key, expected: "expected each key once", got: "'\(key)' more than once")
            }
            throw ManifestError.syntax(overrideLocation ?? SourceLocation(file: file, line: error.line),
                                       problem: error.problem)
        }
        guard let root else { return ManifestNode(.map([]), at: overrideLocation ?? SourceLocation(file: file, line: 1)) }
        var budget = Limits.manifestValues
        return try ManifestNode(yams: root, file: file, overrideLocation: overrideLocation, path: "", depth: 0,
                                budget: &budget)
    }

    /// - Parameter budget: values left to convert; YAML aliases share nodes, so a small file can expand to
    ///   billions of values (an "alias bomb"): the conversion stops with an error instead of hanging.
    private init(yams node: Node, file: String, overrideLocation: SourceLocation?, path: String, depth: Int,
                 budget: inout Int) throws {
        let location = overrideLocation ?? SourceLocation(file: file, line: node.mark?.line)
        budget -= 1
        guard budget >= 0 else {
            throw ManifestError.invalid(location, keyPath: path,
                                        expected: "expected at most \(Limits.manifestValues) values after YAML aliases are expanded",
                                        got: "more (nested aliases?)")
        }
        guard depth <= Limits.manifestDepth else {
            throw ManifestError.invalid(location, keyPath: path,
                                        expected: "expected values nested at most \(Limits.manifestDepth) deep", got: "deeper")
        }
        switch node {
        case let .scalar(scalar):
            self.init(ManifestNode.typed(scalar, node), at: location)
        case let .sequence(sequence):
            let items = try sequence.enumerated().map { i, item in
                try ManifestNode(yams: item, file: file, overrideLocation: overrideLocation, path: join(path, "\(i)"),
                                 depth: depth + 1, budget: &budget)
            }
            self.init(.list(items), at: location)
        case let .mapping(mapping):
            var entries: [Entry] = []
            for (keyNode, valueNode) in mapping {
                let keyLocation = overrideLocation ?? SourceLocation(file: file, line: keyNode.mark?.line)
                guard case let .scalar(keyScalar) = keyNode else {
                    throw ManifestError.invalid(keyLocation, keyPath: path, expected: "expected a plain key",
                                                got: "a collection as key")
                }
                // Yams has already rejected duplicate keys.
                let value = try ManifestNode(yams: valueNode, file: file, overrideLocation: overrideLocation,
                                             path: join(path, keyScalar.string), depth: depth + 1, budget: &budget)
                entries.append(Entry(key: keyScalar.string, keyLocation: keyLocation, value: value))
            }
            self.init(.map(entries), at: location)
        case let .alias(alias):
            // The parser replaces aliases by their anchors' nodes; a bare alias is only a safety net.
            throw ManifestError.invalid(location, keyPath: path, expected: "expected a value",
                                        got: "an unresolved alias '*\(alias.anchor)'")
        }
    }

    /// Types a scalar: quoted scalars are strings; plain ones follow YAML 1.1 resolution.
    private static func typed(_ scalar: Node.Scalar, _ node: Node) -> Value {
        guard scalar.style == .plain || scalar.style == .any else { return .string(scalar.string) }
        switch node.tag.rawValue {
        case Tag.Name.null.rawValue: return .null
        case Tag.Name.bool.rawValue: return node.bool.map(Value.bool) ?? .string(scalar.string)
        case Tag.Name.int.rawValue: return node.int.map(Value.int) ?? .string(scalar.string)
        case Tag.Name.float.rawValue: return node.float.map(Value.double) ?? .string(scalar.string)
        default: return .string(scalar.string)
        }
    }
}

extension YamlError {
    /// The 1-based line of a parse error, when libyaml reported one.
    var line: Int? {
        switch self {
        case let .scanner(_, _, mark, _), let .parser(_, _, mark, _), let .composer(_, _, mark, _): return mark.line
        default: return nil
        }
    }

    /// libyaml's description of the problem, without the snippet that Yams appends.
    var problem: String {
        switch self {
        case let .scanner(context, problem, _, _), let .parser(context, problem, _, _),
             let .composer(context, problem, _, _):
            return context.map { "\(problem) (\($0.text))" } ?? problem
        case let .reader(problem, _, _, _): return problem
        default: return "\(self)"
        }
    }
}

// MARK: - Access and editing by key path

/// `a.b` from a parent path and a key; the root's children have no leading dot.
func join(_ path: String, _ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

extension ManifestNode {
    /// The entries of a mapping, nil for any other value.
    var entries: [Entry]? {
        if case let .map(entries) = value { return entries }
        return nil
    }

    /// The value stored under `key`, if this is a mapping that has it.
    package subscript(key: String) -> ManifestNode? {
        entries?.first { $0.key == key }?.value
    }

    /// Sets `key` in a mapping (replacing it in place or appending it).
    mutating func set(_ key: String, to node: ManifestNode, keyLocation: SourceLocation) {
        guard case var .map(entries) = value else { preconditionFailure("ManifestNode.set: not a mapping") }
        if let i = entries.firstIndex(where: { $0.key == key }) {
            entries[i].value = node
        } else {
            entries.append(Entry(key: key, keyLocation: keyLocation, value: node))
        }
        value = .map(entries)
    }

    /// Removes `key` from a mapping and returns its value.
    @discardableResult
    mutating func remove(_ key: String) -> ManifestNode? {
        guard case var .map(entries) = value, let i = entries.firstIndex(where: { $0.key == key }) else { return nil }
        let removed = entries.remove(at: i).value
        value = .map(entries)
        return removed
    }

    /// Sets the value at a key path (`phases.0.epochs`), creating missing mappings on the way.
    /// Numeric segments index lists and must be in range. Where the schema says a mapping's keys are
    /// key paths (`grid`, `zip`, each `exclude` entry), the rest of the path after it is one key.
    /// - Throws: `ManifestError.invalid` when the path runs through a scalar or past a list's end.
    mutating func set(path segments: [String], to node: ManifestNode, at location: SourceLocation,
                      prefix: String = "") throws {
        guard let head = segments.first else {
            self = node
            return
        }
        var rest = Array(segments.dropFirst())
        var headKey = head
        let here = join(prefix, head)
        let parent = prefix.isEmpty ? [] : prefix.split(separator: ".").map(String.init)
        if RunSchema.keysArePaths(at: parent + [head]), !rest.isEmpty {
            rest = [rest.joined(separator: ".")]
        } else if RunSchema.keysArePaths(at: parent) {
            headKey = segments.joined(separator: ".")
            rest = []
        }
        switch value {
        case .null:
            self = ManifestNode(.map([]), at: location)
            try set(path: segments, to: node, at: location, prefix: prefix)
        case .map:
            var child = self[headKey] ?? ManifestNode(.null, at: location)
            if rest.isEmpty {
                child = node
            } else {
                try child.set(path: rest, to: node, at: location, prefix: join(prefix, headKey))
            }
            set(headKey, to: child, keyLocation: location)
        case var .list(items):
            guard let i = Int(head), i >= 0, i < items.count else {
                throw ManifestError.invalid(location, keyPath: here,
                                            expected: "expected a list index in 0..<\(items.count)", got: "'\(head)'")
            }
            if rest.isEmpty {
                items[i] = node
            } else {
                try items[i].set(path: rest, to: node, at: location, prefix: here)
            }
            value = .list(items)
        default:
            throw ManifestError.invalid(location, keyPath: prefix,
                                        expected: "expected a mapping or list to set '\(head)' in", got: rendered)
        }
    }

    /// The value at a key path, or nil when any segment is missing. Same path rules as `set`.
    func get(path segments: [String]) -> ManifestNode? {
        guard let head = segments.first else { return self }
        switch value {
        case .map: return self[head]?.get(path: Array(segments.dropFirst()))
        case let .list(items):
            guard let i = Int(head), items.indices.contains(i) else { return nil }
            return items[i].get(path: Array(segments.dropFirst()))
        default: return nil
        }
    }

    /// Merges `other` on top of this value: mappings merge key by key (recursively, `other` wins);
    /// anything else, lists included, is replaced by `other`.
    func merged(with other: ManifestNode) -> ManifestNode {
        guard case var .map(mine) = value, case let .map(theirs) = other.value else { return other }
        for entry in theirs {
            if let i = mine.firstIndex(where: { $0.key == entry.key }) {
                mine[i].value = mine[i].value.merged(with: entry.value)
            } else {
                mine.append(entry)
            }
        }
        return ManifestNode(.map(mine), at: other.location)
    }
}

// MARK: - Rendering

extension ManifestNode {
    /// The value as it would be written in flow YAML: strings single-quoted, for error messages.
    var rendered: String {
        switch value {
        case .null: return "null"
        case let .bool(b): return "\(b)"
        case let .int(i): return "\(i)"
        case let .double(d): return ManifestNode.format(d)
        case let .string(s): return "'\(s)'"
        case let .list(items): return "[" + items.map(\.rendered).joined(separator: ", ") + "]"
        case let .map(entries): return "{" + entries.map { "\($0.key): \($0.value.rendered)" }.joined(separator: ", ") + "}"
        }
    }

    /// The value without quotes, for readable run names (`norm.kind=instance`).
    var plain: String {
        switch value {
        case let .string(s): return s
        case let .list(items): return "[" + items.map(\.plain).joined(separator: ",") + "]"
        case let .map(entries): return "{" + entries.map { "\($0.key):\($0.value.plain)" }.joined(separator: ",") + "}"
        default: return rendered
        }
    }

    /// Shortest round-tripping decimal, without a trailing `.0` for integral values under 1e15.
    static func format(_ d: Double) -> String {
        if d == d.rounded(), abs(d) < 1e15 { return String(Int(d)) }
        return "\(d)"
    }

    /// The tree as block YAML, for storing the resolved manifest beside the results.
    func yaml(indent: Int = 0) -> String {
        let pad = String(repeating: "  ", count: indent)
        switch value {
        case let .map(entries) where !entries.isEmpty:
            return entries.map { entry in
                let v = entry.value
                if v.isBlock { return "\(pad)\(entry.key):\n" + v.yaml(indent: indent + 1) }
                return "\(pad)\(entry.key): \(v.flowYAML)\n"
            }.joined()
        case let .list(items) where !items.isEmpty:
            return items.map { item in
                if case let .map(entries) = item.value, !entries.isEmpty {
                    // First key on the dash line, the rest aligned under it.
                    let body = item.yaml(indent: indent + 1)
                    return pad + "- " + body.dropFirst(pad.count + 2)
                }
                if item.isBlock { return "\(pad)-\n" + item.yaml(indent: indent + 1) }
                return "\(pad)- \(item.flowYAML)\n"
            }.joined()
        default:
            return pad + flowYAML + "\n"
        }
    }

    private var isBlock: Bool {
        switch value {
        case let .map(e): return !e.isEmpty
        case let .list(l): return !l.isEmpty
        default: return false
        }
    }

    /// Flow YAML; strings are double-quoted JSON-style so that any content survives a re-parse.
    private var flowYAML: String {
        switch value {
        case let .string(s):
            let data = try? JSONEncoder().encode(s)
            return data.flatMap { String(data: $0, encoding: .utf8) } ?? "\"\(s)\""
        case let .list(items): return "[" + items.map(\.flowYAML).joined(separator: ", ") + "]"
        case let .map(entries): return "{" + entries.map { "\($0.key): \($0.value.flowYAML)" }.joined(separator: ", ") + "}"
        default: return rendered
        }
    }
}
