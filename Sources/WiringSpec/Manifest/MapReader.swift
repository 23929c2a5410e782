// Typed, strict reading of the manifest tree. A `MapReader` is opened on one mapping with the full
// list of keys that mapping may hold, so an unknown key is reported at once (with the closest known
// key), before any of its values are read. Each getter checks a value's type and range and throws a
// one-line `ManifestError` that names the value's own file and line.

import WiringModel

/// Reads one mapping of the manifest tree.
struct MapReader {
    let node: ManifestNode
    /// Key path of this mapping (`network.norm`); empty for the top level.
    let path: String
    private let entries: [ManifestNode.Entry]

    /// Opens `node` (a mapping, or null for an empty one) at `path`.
    /// - Parameters:
    ///   - keys: every key this mapping may contain.
    ///   - what: the mapping's role, for the unknown-key message (`a train phase`).
    /// - Throws: `ManifestError.invalid` if `node` is not a mapping or has a key not in `keys`.
    init(_ node: ManifestNode, path: String, keys: [String], what: String) throws {
        self.node = node
        self.path = path
        switch node.value {
        case .null: entries = []
        case let .map(e): entries = e
        default:
            throw ManifestError.invalid(node.location, keyPath: path, expected: "expected a mapping (\(what))",
                                        got: node.rendered)
        }
        for entry in entries where !keys.contains(entry.key) {
            throw ManifestError.invalid(entry.keyLocation, keyPath: join(path, entry.key),
                                        expected: "expected a key of \(what)", got: "'\(entry.key)'",
                                        suggestion: closestMatch(to: entry.key, among: keys))
        }
    }

    /// The value under `key`, nil when absent. An explicit null counts as absent for optional keys.
    func node(_ key: String) -> ManifestNode? {
        entries.first { $0.key == key }?.value
    }

    /// True when `key` is written (even as null).
    func has(_ key: String) -> Bool { node(key) != nil }

    /// True when `key` is written with a non-null value.
    func given(_ key: String) -> Bool {
        guard let n = node(key) else { return false }
        if case .null = n.value { return false }
        return true
    }

    /// The key path of a child.
    func path(_ key: String) -> String { join(path, key) }

    /// Where to report a problem with `key`: its value if written, else the mapping itself.
    func location(_ key: String) -> SourceLocation { node(key)?.location ?? node.location }

    /// The error for a required key that is missing.
    func missing(_ key: String, expected: String) -> ManifestError {
        .invalid(node.location, keyPath: path(key), expected: expected, got: "nothing")
    }

    // MARK: - Typed getters (nil default = required)

    func int(_ key: String, default value: Int? = nil, min: Int = .min, max: Int = .max) throws -> Int {
        guard given(key) else {
            if let value { return value }
            throw missing(key, expected: intExpectation(min, max))
        }
        return try node(key)!.int(path(key), min: min, max: max)
    }

    func double(_ key: String, default value: Double, min: Double = -.infinity, positive: Bool = false,
                max: Double = .infinity) throws -> Double {
        guard given(key) else { return value }
        return try node(key)!.double(path(key), min: min, positive: positive, max: max)
    }

    /// An optional number: absent or null gives `default`.
    func optionalDouble(_ key: String, default value: Double?, positive: Bool = false) throws -> Double? {
        guard has(key) else { return value }
        guard given(key) else { return nil }
        return try node(key)!.double(path(key), positive: positive)
    }

    func bool(_ key: String, default value: Bool) throws -> Bool {
        guard given(key) else { return value }
        return try node(key)!.bool(path(key))
    }

    func string(_ key: String, default value: String? = nil) throws -> String {
        guard given(key) else {
            if let value { return value }
            throw missing(key, expected: "expected a string")
        }
        return try node(key)!.string(path(key))
    }

    func choice<E>(_ key: String, default value: E? = nil) throws -> E
    where E: RawRepresentable & CaseIterable, E.RawValue == String {
        guard given(key) else {
            if let value { return value }
            throw missing(key, expected: choiceExpectation(E.self))
        }
        return try node(key)!.choice(path(key))
    }
}

// MARK: - Scalar conversion

/// "expected an integer", with its bounds when they matter.
func intExpectation(_ min: Int, _ max: Int) -> String {
    switch (min, max) {
    case (.min, .max): return "expected an integer"
    case (_, .max): return "expected an integer >= \(min)"
    default: return "expected an integer in \(min)...\(max)"
    }
}

/// "expected one of a, b, c" for a string enum.
func choiceExpectation<E>(_ type: E.Type) -> String where E: RawRepresentable & CaseIterable, E.RawValue == String {
    "expected one of " + E.allCases.map(\.rawValue).joined(separator: ", ")
}

extension ManifestNode {
    func int(_ path: String, min: Int = .min, max: Int = .max) throws -> Int {
        guard case let .int(i) = value, i >= min, i <= max else {
            throw ManifestError.invalid(location, keyPath: path, expected: intExpectation(min, max), got: rendered)
        }
        return i
    }

    /// A finite number; integers are accepted (`lr: 1`).
    func double(_ path: String, min: Double = -.infinity, positive: Bool = false, max: Double = .infinity) throws -> Double {
        let d: Double
        switch value {
        case let .int(i): d = Double(i)
        case let .double(x): d = x
        default: d = .nan
        }
        guard d.isFinite, d >= min, d <= max, !positive || d > 0 else {
            let bound = positive ? " > 0" : max.isFinite ? " in \(ManifestNode.format(min))...\(ManifestNode.format(max))"
                : min.isFinite ? " >= \(ManifestNode.format(min))" : ""
            throw ManifestError.invalid(location, keyPath: path, expected: "expected a finite number\(bound)", got: rendered)
        }
        return d
    }

    func bool(_ path: String) throws -> Bool {
        guard case let .bool(b) = value else {
            throw ManifestError.invalid(location, keyPath: path, expected: "expected true or false", got: rendered)
        }
        return b
    }

    func string(_ path: String) throws -> String {
        guard case let .string(s) = value else {
            throw ManifestError.invalid(location, keyPath: path, expected: "expected a string", got: rendered)
        }
        return s
    }

    /// One of a string enum's raw values; a near miss gets a suggestion.
    func choice<E>(_ path: String) throws -> E where E: RawRepresentable & CaseIterable, E.RawValue == String {
        let names = E.allCases.map(\.rawValue)
        let text: String
        switch value {
        case let .string(s): text = s
        default:
            throw ManifestError.invalid(location, keyPath: path, expected: choiceExpectation(E.self), got: rendered)
        }
        guard let v = E(rawValue: text) else {
            throw ManifestError.invalid(location, keyPath: path, expected: choiceExpectation(E.self), got: rendered,
                                        suggestion: closestMatch(to: text, among: names))
        }
        return v
    }

    /// The items of a list.
    func list(_ path: String, expected: String) throws -> [ManifestNode] {
        guard case let .list(items) = value else {
            throw ManifestError.invalid(location, keyPath: path, expected: expected, got: rendered)
        }
        return items
    }

    /// An op name, suggesting the closest one for a typo.
    func op(_ path: String) throws -> OpKind { try choice(path) }
}
