// The DAG of one cell and its edge numbering, exactly as the reference (reference-spec section 3):
// edges are numbered node by node, and inside a node by source state; node i (state i + 2) has
// i + 2 incoming edges starting at offset i (i + 3) / 2. States 0 and 1 are the preprocessed cell
// inputs (from cells c-2 and c-1), states 2... are the intermediate nodes.

/// One edge of a cell: from state `source` into intermediate node `node` (a state index >= 2).
public struct CellEdge: Hashable, Sendable {
    public let index: Int
    public let source: Int
    public let node: Int
    /// Both ends are intermediate nodes (e4 in the minimal cell; 4, 7, 8, 11, 12, 13 in the original).
    public var isIntermediate: Bool { source >= 2 }
}

/// The edge list of a cell with `steps` intermediate nodes.
public struct CellTopology: Hashable, Sendable {
    public let steps: Int
    public let multiplier: Int
    public let edges: [CellEdge]

    public init(steps: Int, multiplier: Int) {
        precondition(steps >= 1 && multiplier >= 1 && multiplier <= steps,
                     "CellTopology: need 1 <= multiplier (\(multiplier)) <= steps (\(steps))")
        self.steps = steps
        self.multiplier = multiplier
        var edges: [CellEdge] = []
        for i in 0..<steps {
            for j in 0..<(i + 2) { edges.append(CellEdge(index: edges.count, source: j, node: i + 2)) }
        }
        self.edges = edges
    }

    /// Index of the first edge into intermediate node `i` (0-based, state i + 2).
    public static func edgeOffset(node i: Int) -> Int { i * (i + 3) / 2 }

    /// The edges entering state `node`.
    public func incoming(_ node: Int) -> ArraySlice<CellEdge> {
        let i = node - 2
        let start = CellTopology.edgeOffset(node: i)
        return edges[start..<(start + i + 2)]
    }

    /// The edges leaving state `state`.
    public func outgoing(_ state: Int) -> [CellEdge] { edges.filter { $0.source == state } }

    /// States concatenated into the cell output: the last `multiplier` ones.
    public var outputStates: Range<Int> { (steps + 2 - multiplier)..<(steps + 2) }
}
