// The set of ops each edge may take, after the manifest's edge constraints. The paper's simplified
// cell (edges from state 0 deleted) and modified cell (additionally multiplier 1, edge 1 fixed) are
// just constraint lists; nothing is special-cased.

/// The ops an edge may take: op indices into the network's op list, or deleted.
public struct EdgeDomain: Hashable, Codable, Sendable {
    public var deleted: Bool
    public var allowed: [Int]
}

/// A constraint that cannot be satisfied, or refers to something that does not exist.
public struct ModelError: Error, CustomStringConvertible, Hashable, Sendable {
    /// Where the problem is, as a manifest key path (`edges[2].fix`).
    public var keyPath: String
    public var message: String
    public var description: String { "\(keyPath): \(message)" }
}

extension NetworkConfig {
    /// The edges a selector picks.
    public func edges(selectedBy selector: EdgeSelector) -> [Int] {
        let topology = CellTopology(steps: steps, multiplier: multiplier)
        switch selector {
        case let .edge(e): return [e]
        case .inputEdges: return topology.edges.filter { !$0.isIntermediate }.map(\.index)
        case .intermediateEdges: return topology.edges.filter(\.isIntermediate).map(\.index)
        case .allEdges: return topology.edges.map(\.index)
        }
    }

    /// Applies `constraints` in order to every edge (a later rule on the same edge acts on what the
    /// earlier ones left; fix and delete replace it).
    /// - Throws: `ModelError` for an edge out of range, an op not in `ops`, or an edge left with no op.
    public func edgeDomains() throws -> [EdgeDomain] {
        var domains = Array(repeating: EdgeDomain(deleted: false, allowed: Array(ops.indices)), count: edgeCount)
        func index(_ op: OpKind, _ k: Int, _ key: String) throws -> Int {
            guard let i = ops.firstIndex(of: op) else {
                throw ModelError(keyPath: "edges[\(k)].\(key)",
                                 message: "op '\(op.rawValue)' is not in network.ops \(ops.map(\.rawValue))")
            }
            return i
        }
        for (k, constraint) in constraints.enumerated() {
            for e in edges(selectedBy: constraint.selector) {
                guard e >= 0 && e < edgeCount else {
                    throw ModelError(keyPath: "edges[\(k)].edge",
                                     message: "edge \(e) out of range 0...\(edgeCount - 1) for steps \(steps)")
                }
                switch constraint.restriction {
                case .delete:
                    domains[e] = EdgeDomain(deleted: true, allowed: [])
                case let .fix(op):
                    domains[e] = EdgeDomain(deleted: false, allowed: [try index(op, k, "fix")])
                case let .allow(list):
                    domains[e] = EdgeDomain(deleted: false, allowed: try list.map { try index($0, k, "allow") }.sorted())
                case let .exclude(list):
                    let excluded = Set(list.compactMap { ops.firstIndex(of: $0) })
                    domains[e].allowed.removeAll { excluded.contains($0) }
                    if domains[e].allowed.isEmpty && !domains[e].deleted {
                        throw ModelError(keyPath: "edges[\(k)].exclude",
                                         message: "edge \(e) is left with no op; allow at least one or use delete")
                    }
                }
            }
        }
        return domains
    }
}
