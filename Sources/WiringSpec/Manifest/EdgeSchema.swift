// `edges`: a list of constraints on which ops an edge may take. Each entry is one mapping with exactly
// one selector and exactly one restriction; the model applies the rules in order
// (WiringModel/EdgeDomain.swift) and names the constraint that fails, which is mapped back to the entry.

import WiringModel

enum EdgeSchema {
    /// One entry while it is read: the network it constrains, and what the entry says.
    struct Entry {
        let network: NetworkConfig
        var selectors: [EdgeSelector] = []
        var restriction: EdgeRestriction?
    }

    static let selectorKeys = ["edge", "edges"]
    static let restrictionKeys = ["delete", "fix", "allow", "exclude"]

    static let entry = Schema<Entry>(what: "an edge constraint", defaults: Entry(network: NetworkConfig()), fields: [
        .custom("edge", type: "integer 0...edges-1", default: { _ in "" }, doc: "One edge.", render: { e in
            if case let .edge(i)? = e.selectors.first, e.selectors.count == 1 { return .int(i) } else { return nil }
        }) { node, path, e in
            e.selectors = [.edge(try index(node, path, e.network))]
        },
        .custom("edges", type: "list of integers, or `input` \\| `intermediate` \\| `all`", default: { _ in "" },
                doc: "Several edges. `input`: edges from the cell inputs (states 0 and 1); `intermediate`: edges between intermediate nodes (e4 in the minimal cell; 4, 7, 8, 11, 12, 13 in the original).",
                render: { e in
                    // A list of indices was read as one `edge` constraint each, and is written so.
                    let named: [(EdgeSelector, String)] = [(.inputEdges, "input"), (.intermediateEdges, "intermediate"),
                                                           (.allEdges, "all")]
                    guard e.selectors.count == 1, let word = named.first(where: { $0.0 == e.selectors[0] })?.1 else { return nil }
                    return .string(word)
                }) {
            node, path, e in
            e.selectors = try selectors(node, path, e.network)
        },
        .custom("delete", type: "`true`", default: { _ in "" }, doc: "The edge is removed: its output is zero (op none).",
                render: { e in e.restriction == .delete ? .bool(true) : nil }) {
            node, path, e in
            guard try node.bool(path) else {
                throw ManifestError.invalid(node.location, keyPath: path,
                                            expected: "expected true (leave the entry out to keep the edge)", got: "false")
            }
            e.restriction = .delete
        },
        .custom("fix", type: "op name", default: { _ in "" }, doc: "The edge always takes this op.", render: { e in
            if case let .fix(op)? = e.restriction { return .string(op.rawValue) } else { return nil }
        }) { node, path, e in
            e.restriction = .fix(try memberOp(node, path, e.network))
        },
        .custom("allow", type: "list of op names", default: { _ in "" },
                doc: "The edge samples only among these ops (replaces what earlier rules left).", render: { e in
                    if case let .allow(ops)? = e.restriction { return .array(ops.map { .string($0.rawValue) }) } else { return nil }
                }) { node, path, e in
            e.restriction = .allow(try opList(node, path, e.network))
        },
        .custom("exclude", type: "list of op names", default: { _ in "" },
                doc: "The edge never samples these ops (removes them from what earlier rules left).", render: { e in
                    if case let .exclude(ops)? = e.restriction { return .array(ops.map { .string($0.rawValue) }) } else { return nil }
                }) { node, path, e in
            e.restriction = .exclude(try opList(node, path, e.network))
        },
    ], checks: [exactlyOneSelectorAndRestriction])

    /// One constraint as an `edges` entry would write it (an entry of several edges was read as one constraint each).
    static func rendered(_ constraint: EdgeConstraint) -> JSONValue {
        entry.rendered(Entry(network: NetworkConfig(), selectors: [constraint.selector], restriction: constraint.restriction))
    }

    /// Reads the `edges` list into constraints and checks that the model can apply them.
    static func decode(_ node: ManifestNode, path: String, network: NetworkConfig) throws -> [EdgeConstraint] {
        let items = try node.list(path, expected: "expected a list of edge constraints")
        var constraints: [EdgeConstraint] = []
        var readers: [MapReader] = []
        /// The entry each constraint came from (an entry with several edges gives several constraints).
        var entryOf: [Int] = []
        for (k, item) in items.enumerated() {
            var entry = Entry(network: network)
            readers.append(try self.entry.decode(item, at: join(path, "\(k)"), into: &entry, fallback: item.location))
            constraints += entry.selectors.map { EdgeConstraint($0, entry.restriction!) }
            entryOf += Array(repeating: k, count: entry.selectors.count)
        }
        var constrained = network
        constrained.constraints = constraints
        do {
            _ = try constrained.edgeDomains()
        } catch let error as EdgeDomainError {
            let r = readers[entryOf[error.constraint]]
            let key = restrictionKeys.first(where: r.given) ?? ""
            switch error {
            case let .noOpLeft(_, e):
                throw ManifestError.invalid(r.location(key), keyPath: r.path(key),
                                            expected: "expected at least one op left on edge \(e) (use delete to remove it)",
                                            got: "no op")
            case .edgeOutOfRange, .opNotInNetwork:
                // Indices and ops were checked entry by entry above; the model agrees or this is a bug.
                throw ManifestError.invalid(r.node.location, keyPath: r.path, expected: "expected a satisfiable constraint",
                                            got: "'\(error)'")
            }
        }
        return constraints
    }

    /// Exactly one of `edge`/`edges` and one of `delete`/`fix`/`allow`/`exclude`.
    static func exactlyOneSelectorAndRestriction(_ e: inout Entry, _ r: MapReader) throws {
        let selectors = selectorKeys.filter(r.given)
        guard selectors.count == 1 else {
            throw ManifestError.invalid(r.node.location, keyPath: r.path,
                                        expected: "expected exactly one of \(selectorKeys.joined(separator: ", "))",
                                        got: selectors.isEmpty ? "neither" : "both")
        }
        let restrictions = restrictionKeys.filter(r.given)
        guard restrictions.count == 1 else {
            throw ManifestError.invalid(r.node.location, keyPath: r.path,
                                        expected: "expected exactly one of delete, fix, allow, exclude",
                                        got: restrictions.isEmpty ? "none of them" : restrictions.joined(separator: " and "))
        }
    }

    // MARK: - Values

    static func index(_ n: ManifestNode, _ path: String, _ network: NetworkConfig) throws -> Int {
        let count = network.edgeCount
        guard case let .int(i) = n.value, (0..<count).contains(i) else {
            throw ManifestError.invalid(n.location, keyPath: path,
                                        expected: "expected an edge index in 0...\(count - 1) (steps \(network.steps) has \(count) edges)",
                                        got: n.rendered)
        }
        return i
    }

    static func selectors(_ n: ManifestNode, _ path: String, _ network: NetworkConfig) throws -> [EdgeSelector] {
        let expected = "expected input, intermediate, all or a list of edge indices"
        switch n.value {
        case let .string(word):
            let named: [(String, EdgeSelector)] = [("input", .inputEdges), ("intermediate", .intermediateEdges),
                                                   ("all", .allEdges)]
            guard let selector = named.first(where: { $0.0 == word })?.1 else {
                throw ManifestError.invalid(n.location, keyPath: path, expected: expected, got: n.rendered,
                                            suggestion: closestMatch(to: word, among: named.map(\.0)))
            }
            return [selector]
        case let .list(items):
            return try items.enumerated().map { .edge(try index($1, join(path, "\($0)"), network)) }
        default:
            throw ManifestError.invalid(n.location, keyPath: path, expected: expected, got: n.rendered)
        }
    }

    /// An op that must be one of the network's ops.
    static func memberOp(_ n: ManifestNode, _ path: String, _ network: NetworkConfig) throws -> OpKind {
        let op = try n.op(path)
        guard network.ops.contains(op) else {
            throw ManifestError.invalid(n.location, keyPath: path,
                                        expected: "expected one of the network's ops (\(network.ops.map(\.rawValue).joined(separator: ", ")))",
                                        got: n.rendered)
        }
        return op
    }

    static func opList(_ n: ManifestNode, _ path: String, _ network: NetworkConfig) throws -> [OpKind] {
        try n.list(path, expected: "expected a list of op names").enumerated().map {
            try memberOp($1, join(path, "\($0)"), network)
        }
    }
}
