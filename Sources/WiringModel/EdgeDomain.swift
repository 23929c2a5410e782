// The set of ops each edge may take, after the manifest's edge constraints. The paper's simplified
// cell (edges from state 0 deleted) and modified cell (additionally multiplier 1, edge 1 fixed) are
// just constraint lists; nothing is special-cased.

/// The ops an edge may take: op indices into the network's op list, or deleted.
public struct EdgeDomain: Hashable, Codable, Sendable {
    public var deleted: Bool
    public var allowed: [Int]
}

/// Why a list of edge constraints cannot be applied, naming the constraint (its index in
/// `NetworkConfig.constraints`) and the edge, so a caller can point at the entry that caused it.
public enum EdgeDomainError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A selector names an edge the cell does not have.
    case edgeOutOfRange(constraint: Int, edge: Int, edgeCount: Int)
    /// A `fix` or `allow` names an op that is not in `NetworkConfig.ops`.
    case opNotInNetwork(constraint: Int, op: OpKind)
    /// The constraint leaves an edge that is not deleted without any op (`exclude` of every op, `allow []`).
    case noOpLeft(constraint: Int, edge: Int)

    /// The index of the constraint at fault.
    public var constraint: Int {
        switch self {
        case let .edgeOutOfRange(k, _, _), let .opNotInNetwork(k, _), let .noOpLeft(k, _): return k
        }
    }

    public var description: String {
        switch self {
        case let .edgeOutOfRange(k, e, n): return "constraint \(k): edge \(e) out of range 0...\(n - 1)"
        case let .opNotInNetwork(k, op): return "constraint \(k): op '\(op.rawValue)' is not in the network's ops"
        case let .noOpLeft(k, e): return "constraint \(k): edge \(e) is left with no op"
        }
    }
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
    /// - Throws: `EdgeDomainError` for an edge out of range, an op not in `ops`, or an edge left with no op.
    public func edgeDomains() throws -> [EdgeDomain] {
        var domains = Array(repeating: EdgeDomain(deleted: false, allowed: Array(ops.indices)), count: edgeCount)
        func index(_ op: OpKind, _ k: Int) throws -> Int {
            guard let i = ops.firstIndex(of: op) else { throw EdgeDomainError.opNotInNetwork(constraint: k, op: op) }
            return i
        }
        for (k, constraint) in constraints.enumerated() {
            for e in edges(selectedBy: constraint.selector) {
                guard e >= 0 && e < edgeCount else {
                    throw EdgeDomainError.edgeOutOfRange(constraint: k, edge: e, edgeCount: edgeCount)
                }
                switch constraint.restriction {
                case .delete:
                    domains[e] = EdgeDomain(deleted: true, allowed: [])
                case let .fix(op):
                    domains[e] = EdgeDomain(deleted: false, allowed: [try index(op, k)])
                case let .allow(list):
                    domains[e] = EdgeDomain(deleted: false, allowed: try list.map { try index($0, k) }.sorted())
                case let .exclude(list):
                    let excluded = Set(list.compactMap { ops.firstIndex(of: $0) })
                    domains[e].allowed.removeAll { excluded.contains($0) }
                }
                if domains[e].allowed.isEmpty && !domains[e].deleted {
                    throw EdgeDomainError.noOpLeft(constraint: k, edge: e)
                }
            }
        }
        return domains
    }
}
