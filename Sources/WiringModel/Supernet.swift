// The supernet of the paper's experiments (reference-spec section 3): stem (conv 3x3 to 3C, norm),
// stacked normal cells reading the outputs of cells c-2 and c-1, global average pooling and a linear
// classifier (no bias by default: Theorem 2 needs it off). No reduction cells: none of the paper's
// experiments use them. Every candidate op of every edge has its own parameters; a forward pass
// evaluates only what the architecture selects, like the reference's DSNAS child network.
import WiringEngine

/// A differentiable-NAS supernet with named parameters.
public final class Supernet<T: TensorElement> {
    public let config: NetworkConfig
    public let topology: CellTopology
    public var parameters: ParameterStore<T>
    let stem: [Layer]
    let cells: [CellModules]
    let classifierWeight = "classifier.weight"
    let classifierBias = "classifier.bias"

    /// Builds the supernet and draws its initial parameters from `rng` (PyTorch's default init).
    public init(config: NetworkConfig, rng: inout RNG) {
        self.config = config
        topology = CellTopology(steps: config.steps, multiplier: config.multiplier)
        let layout = NetworkLayout(config: config)
        stem = layout.stem
        cells = layout.cells

        var store = ParameterStore<T>()
        let legacy = config.legacyDepthwiseFanIn
        for layer in stem { layer.initialise(&store, rng: &rng, legacyDepthwiseFanIn: legacy) }
        for cell in cells {
            for layer in cell.preprocess0 + cell.preprocess1 {
                layer.initialise(&store, rng: &rng, legacyDepthwiseFanIn: legacy)
            }
            for edge in cell.ops {
                for op in edge {
                    for layer in op.layers { layer.initialise(&store, rng: &rng, legacyDepthwiseFanIn: legacy) }
                }
            }
        }
        let features = config.multiplier * config.channels
        let bound = 1 / Double(features).squareRoot()
        store.add(classifierWeight, .uniform(shape: [config.numClasses, features], lo: -bound, hi: bound, rng: &rng))
        if config.classifierBias {
            store.add(classifierBias, .uniform(shape: [config.numClasses], lo: -bound, hi: bound, rng: &rng))
        }
        parameters = store
    }

    /// Index of the none op in the op list, if it has one.
    public var noneIndex: Int? { config.ops.firstIndex(of: .none) }

    /// Names of the parameters a forward pass with `architecture` uses (the sampled child network).
    public func activeParameterNames(_ architecture: Architecture) -> Set<String> {
        var names = Set(stem.flatMap(\.parameterNames))
        names.insert(classifierWeight)
        if config.classifierBias { names.insert(classifierBias) }
        for (c, cell) in cells.enumerated() {
            names.formUnion((cell.preprocess0 + cell.preprocess1).flatMap(\.parameterNames))
            for (e, ops) in cell.ops.enumerated() {
                for o in evaluatedOps(architecture.choices[c][e]) {
                    names.formUnion(ops[o].layers.flatMap(\.parameterNames))
                }
            }
        }
        return names
    }

    /// Op indices evaluated for a choice (none is never evaluated).
    func evaluatedOps(_ choice: EdgeChoice) -> [Int] {
        switch choice {
        case .deleted: return []
        case let .op(i): return config.ops[i] == .none ? [] : [i]
        case let .mixture(m): return m.weights.indices.filter { m.active[$0] && config.ops[$0] != .none }
        }
    }

    /// Multiply-accumulates of one forward pass per sample of `height x width` with `architecture`.
    public func forwardMACs(_ architecture: Architecture, height: Int, width: Int) -> Int {
        let layout = NetworkLayout(config: config)
        var macs = layout.fixedForwardMACs(height: height, width: width)
        for (c, cell) in cells.enumerated() {
            for e in cell.ops.indices {
                for o in evaluatedOps(architecture.choices[c][e]) {
                    macs += layout.opForwardMACs(cell: c, edge: e, op: o, height: height, width: width)
                }
            }
        }
        return macs
    }

    // MARK: - Forward

    /// Records the forward pass of `images` [B, C_in, H, W] on `tape`.
    ///
    /// - Parameters:
    ///   - architecture: the choice on every (cell, edge).
    ///   - training: batch statistics (and running-statistics updates) when true, running statistics when false.
    ///   - probes: when true, every edge input and every concatenated node gets its own tape entry, so that
    ///     the node-cost split and edge-input costs can be read after `backward` (costs a few adds).
    public func forward(tape: Tape<T>, images: Tensor<T>, architecture: Architecture, training: Bool,
                        probes: Bool = true) -> ForwardTrace {
        precondition(architecture.choices.count == config.cells
                     && architecture.choices.allSatisfy { $0.count == topology.edges.count },
                     "Supernet.forward: architecture is not \(config.cells) cells x \(topology.edges.count) edges")
        precondition(images.shape.count == 4 && images.shape[1] == config.inputChannels,
                     "Supernet.forward: images \(images.shape) do not have \(config.inputChannels) channels")
        var trace = ForwardTrace(architecture: architecture, edges: topology.edges.count, steps: config.steps)
        // Leaves for the parameters this architecture uses, so untouched ops cost nothing.
        let active = activeParameterNames(architecture)
        for name in parameters.names where active.contains(name) {
            trace.parameters[name] = tape.leaf(parameters.values[name]!)
        }
        var store = parameters
        defer { parameters.runningStatistics = store.runningStatistics }
        func run(_ layers: [Layer], _ x: Var) -> Var {
            layers.forward(x, tape: tape, store: &store, vars: trace.parameters, training: training)
        }

        let input = tape.constant(images)
        let stemOut = run(stem, input)
        var prevPrev = stemOut, prev = stemOut
        for (c, cell) in cells.enumerated() {
            // The first cell reads the stem twice: its preprocessings then read it once.
            var states = prevPrev == prev
                ? [cell.preprocess0, cell.preprocess1].forward(sharing: prev, tape: tape, store: &store,
                                                               vars: trace.parameters, training: training)
                : [run(cell.preprocess0, prevPrev), run(cell.preprocess1, prev)]
            for i in 0..<config.steps {
                var incoming: [Var] = []
                for edge in topology.incoming(i + 2) {
                    let choice = architecture.choices[c][edge.index]
                    let evaluated = evaluatedOps(choice)
                    if evaluated.isEmpty { continue }
                    let x = probes ? tape.identity(states[edge.source]) : states[edge.source]
                    trace.edgeInputs[c][edge.index] = x
                    let outputs = evaluated.map { o in
                        cell.ops[edge.index][o].forward(x, tape: tape, store: &store, vars: trace.parameters,
                                                        training: training)
                    }
                    let out: Var
                    if case let .mixture(m) = choice {
                        let w = tape.leaf(Tensor(shape: [evaluated.count], scalars: evaluated.map { T(m.weights[$0]) }))
                        trace.mixtureWeights[c][edge.index] = (w, evaluated)
                        out = tape.weightedSum(outputs, weights: w)
                    } else {
                        out = outputs[0]
                    }
                    trace.edgeOutputs[c][edge.index] = out
                    incoming.append(out)
                }
                let node: Var
                switch incoming.count {
                case 0:
                    node = tape.constant(Tensor(zeros: tape.shape(states[1])))
                case 1:
                    node = incoming[0]
                default:
                    node = tape.sum(incoming)
                }
                trace.nodes[c][i] = node
                states.append(node)
            }
            let concatenated = topology.outputStates.map { s -> Var in
                let v = probes ? tape.identity(states[s]) : states[s]
                trace.nodeOutputCopies[c][s - 2] = v
                return v
            }
            let output = concatenated.count == 1 ? concatenated[0] : tape.concatChannels(concatenated)
            trace.cellOutputs.append(output)
            (prevPrev, prev) = (prev, output)
        }
        let pooled = tape.globalAveragePool(prev)
        trace.logits = tape.linear(pooled, weight: trace.parameters[classifierWeight]!,
                                   bias: config.classifierBias ? trace.parameters[classifierBias] : nil)
        return trace
    }
}

/// The tape handles of one forward pass, for reading gradients and costs after `backward`.
public struct ForwardTrace {
    public let architecture: Architecture
    public var logits = Var(id: -1)
    /// Tape handles of the parameters used, by state_dict name.
    public var parameters: [String: Var] = [:]
    /// [cell][edge]: the edge output (nil when the edge evaluated nothing).
    public var edgeOutputs: [[Var?]]
    /// [cell][edge]: the edge's own handle of its source state.
    public var edgeInputs: [[Var?]]
    /// [cell][edge]: mixture weight handle and the op indices of its entries.
    public var mixtureWeights: [[(weights: Var, ops: [Int])?]]
    /// [cell][step]: intermediate node values.
    public var nodes: [[Var?]]
    /// [cell][step]: the handle through which the node enters the cell-output concat (nil if not concatenated).
    public var nodeOutputCopies: [[Var?]]
    public var cellOutputs: [Var] = []

    /// Every tensor whose gradient is read after `backward` (the probes in `measure`, the parameters in
    /// `gradients(trace:tape:)`): the step keeps these and gives the others back as the pass goes.
    public var probedVariables: [Var] {
        var vars = [logits] + Array(parameters.values) + cellOutputs
        for table in [edgeOutputs, edgeInputs, nodes, nodeOutputCopies] { vars += table.joined().compactMap { $0 } }
        vars += mixtureWeights.joined().compactMap { $0?.weights }
        return vars
    }

    init(architecture: Architecture, edges: Int, steps: Int) {
        self.architecture = architecture
        let cells = architecture.choices.count
        edgeOutputs = Array(repeating: Array(repeating: nil, count: edges), count: cells)
        edgeInputs = edgeOutputs
        mixtureWeights = Array(repeating: Array(repeating: nil, count: edges), count: cells)
        nodes = Array(repeating: Array(repeating: nil, count: steps), count: cells)
        nodeOutputCopies = nodes
    }
}
