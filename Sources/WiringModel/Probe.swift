// The paper's quantities for one training step (reference-spec sections 6 and 9, fixtures README
// section 2): the cost sum(dL/dX * X) of every edge output, of every mixture op (the gradient with
// respect to its mixing weight), of every node, split by where the gradient arrives from, of every
// edge input and cell output; and per-sample L_b, H_b, C_b = L_b - H_b with correctness.
import WiringEngine

/// Everything measured in one step. Costs are Double (accumulated in Double from `T` tensors).
public struct StepProbe {
    /// [cell][edge]: sum dL/dh_e * h_e of the edge output (0 for deleted and none edges).
    public var edgeCost: [[Double]]
    /// [cell][edge][op]: for one-hot edges the edge cost at the evaluated op (the reference's dL/dZ);
    /// for mixtures dL/dW[op] = sum dL/dh_e * op(x), not multiplied by W. 0 where nothing was evaluated.
    public var opCost: [[[Double]]]
    /// [cell][edge]: sum (gradient edge e sends to its input) * input.
    public var edgeInputCost: [[Double]]
    /// [cell][step]: sum dL/dX * X of the node with its total gradient (= sum of its incoming edge costs).
    public var nodeCost: [[Double]]
    /// [cell][step]: the part of `nodeCost` whose gradient arrives through outgoing edges (Theorem 1: ~0).
    public var nodeCostViaEdges: [[Double]]
    /// [cell][step]: the part whose gradient arrives through the cell-output concatenation.
    public var nodeCostViaOutput: [[Double]]
    /// [cell]: sum dL/dY * Y of the cell output (~0 for non-last cells, Corollary 1.2; C_Z for the last).
    public var cellOutputCost: [Double]
    /// Mean cross-entropy as computed in `T` (the value that was differentiated).
    public var loss: Double
    public var samples: SampleStatistics

    /// Batch means of L_b, H_b, C_b (computed in Double from the logits).
    public var meanLoss: Double { mean(samples.loss) }
    public var meanEntropy: Double { mean(samples.entropy) }
    public var costZ: Double { mean(samples.cost) }
    public var accuracy: Double { Double(samples.correct.filter { $0 }.count) / Double(max(1, samples.correct.count)) }

    private func mean(_ xs: [Double]) -> Double { xs.reduce(0, +) / Double(max(1, xs.count)) }

    /// Sum of the edge costs of `cell`.
    public func cellEdgeCostSum(_ cell: Int) -> Double { edgeCost[cell].reduce(0, +) }
}



extension Supernet {
    /// One training-mode (or eval-mode) step: forward, mean cross-entropy, backward, and every probe.
    /// Parameter gradients are left on `tape` (read them with `gradients(trace:tape:)`).
    ///
    /// - Parameters:
    ///   - labels: class indices, one per image.
    ///   - probes: see `forward`; when false the node split and edge-input costs are 0.
    public func step(tape: Tape<T>, images: Tensor<T>, labels: [Int], architecture: Architecture,
                     training: Bool = true, probes: Bool = true) -> (trace: ForwardTrace, probe: StepProbe) {
        let trace = forward(tape: tape, images: images, architecture: architecture, training: training,
                            probes: probes)
        let loss = tape.crossEntropy(trace.logits, labels: labels)
        tape.backward(loss, keepingGradientsOf: trace.probedVariables)
        let probe = measure(tape: tape, trace: trace, labels: labels, loss: Double(tape.value(loss).scalar))
        return (trace, probe)
    }

    /// Reads every probe from a tape on which `backward` has run.
    public func measure(tape: Tape<T>, trace: ForwardTrace, labels: [Int], loss: Double) -> StepProbe {
        let cells = config.cells, edges = topology.edges.count, steps = config.steps, ops = config.ops.count
        var probe = StepProbe(
            edgeCost: Array(repeating: Array(repeating: 0, count: edges), count: cells),
            opCost: Array(repeating: Array(repeating: Array(repeating: 0, count: ops), count: edges), count: cells),
            edgeInputCost: Array(repeating: Array(repeating: 0, count: edges), count: cells),
            nodeCost: Array(repeating: Array(repeating: 0, count: steps), count: cells),
            nodeCostViaEdges: Array(repeating: Array(repeating: 0, count: steps), count: cells),
            nodeCostViaOutput: Array(repeating: Array(repeating: 0, count: steps), count: cells),
            cellOutputCost: Array(repeating: 0, count: cells),
            loss: loss,
            samples: sampleStatistics(logits: tape.value(trace.logits), labels: labels))
        for c in 0..<cells {
            for e in 0..<edges {
                guard let out = trace.edgeOutputs[c][e] else { continue }
                probe.edgeCost[c][e] = tape.cost(out)
                if let x = trace.edgeInputs[c][e] { probe.edgeInputCost[c][e] = tape.cost(x) }
                if let (w, evaluated) = trace.mixtureWeights[c][e] {
                    let g = tape.gradient(w)
                    for (k, o) in evaluated.enumerated() { probe.opCost[c][e][o] = g.map { Double($0[flat: k]) } ?? 0 }
                } else if case let .op(o) = trace.architecture.choices[c][e] {
                    probe.opCost[c][e][o] = probe.edgeCost[c][e]
                }
            }
            for i in 0..<steps {
                guard let node = trace.nodes[c][i] else { continue }
                probe.nodeCost[c][i] = tape.cost(node)
                // Costs of the node's own handles: one per outgoing edge, one for the concat. A handle
                // shares the node's value, so an edge's is its edge-input cost above, not a second dot.
                func costAgainstNode(_ v: Var?) -> Double { v.map { tape.cost($0, against: node) } ?? 0 }
                probe.nodeCostViaOutput[c][i] = costAgainstNode(trace.nodeOutputCopies[c][i])
                probe.nodeCostViaEdges[c][i] = topology.outgoing(i + 2).reduce(0) {
                    $0 + costAgainstNode(trace.edgeInputs[c][$1.index])
                }
            }
            probe.cellOutputCost[c] = tape.cost(trace.cellOutputs[c])
        }
        return probe
    }

    /// dL/dtheta of every parameter the forward used, by state_dict name.
    public func gradients(trace: ForwardTrace, tape: Tape<T>) -> [String: Tensor<T>] {
        var result: [String: Tensor<T>] = [:]
        for (name, v) in trace.parameters {
            result[name] = tape.gradient(v) ?? Tensor(zeros: tape.shape(v))
        }
        return result
    }
}
