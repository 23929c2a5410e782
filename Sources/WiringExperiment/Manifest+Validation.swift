// The manifest schema: turns one grid point's tree into a fully resolved `RunConfig`, or throws the
// first problem as one line. Every key, default and rule here is documented in docs/manifest.md; keep
// the two in step. Checks that need several keys (edge indices against the cell's edge count, fixed
// ops against `network.ops`, constraints that leave an edge empty) run after the keys they depend on.

import Foundation
import WiringModel
import WiringSearch

extension Manifest {
    /// Keys allowed at the top level (`include` and `set` are consumed while loading).
    static let topLevelKeys = [
        "name", "description", "seed", "precision", "threads", "data", "network", "edges", "sampling", "phases",
        "record", "grid", "zip", "exclude", "replicates",
    ]

    /// Keys that describe the sweep rather than one run; grid axes may not point at them.
    static let sweepKeys: Set<String> = ["name", "description", "grid", "zip", "exclude", "replicates"]
}

/// Decodes the run-level keys of a tree (sweep keys are read by the planner and ignored here).
/// - Throws: `ManifestError.invalid` for the first problem found.
func decodeRunConfig(_ root: ManifestNode) throws -> RunConfig {
    let top = try MapReader(root, path: "", keys: Manifest.topLevelKeys, what: "a manifest")
    let seed = try top.int("seed", default: 0, min: 0)
    let precision: Precision = try top.choice("precision", default: .float32)
    let threads = try top.int("threads", default: 1, min: 1, max: 256)
    let dataReader = try MapReader(top.node("data") ?? ManifestNode(.null, at: root.location), path: "data",
                                   keys: DataKeys.all, what: "data")
    var data = try decodeData(dataReader)
    var network = try decodeNetwork(top.node("network") ?? ManifestNode(.null, at: root.location), data: data)
    network.constraints = try decodeEdges(top.node("edges"), network: network)
    let domains = try network.edgeDomains()

    let samplingReader = try MapReader(top.node("sampling") ?? ManifestNode(.null, at: root.location),
                                       path: "sampling", keys: ["per_cell"], what: "sampling")
    let sampling = SamplingConfig(perCell: try samplingReader.bool("per_cell", default: false))
    let recordReader = try MapReader(top.node("record") ?? ManifestNode(.null, at: root.location),
                                     path: "record", keys: ["per_sample"], what: "record")
    let record = RecordConfig(perSample: try recordReader.bool("per_sample", default: false))

    guard let phasesNode = top.node("phases") else {
        throw top.missing("phases", expected: "expected a list of phases")
    }
    let phases = try decodePhases(phasesNode, domains: domains, network: network)

    // The split defaults to what the phases need; an explicit `none` under a bi-level search is an error.
    let biLevel = phases.firstIndex { $0.search?.level == .bi }
    if dataReader.given("split") {
        if let i = biLevel, data.split == DataConfig.Split.none {
            throw ManifestError.invalid(dataReader.location("split"), keyPath: "data.split",
                                        expected: "expected half (phase '\(phases[i].name)' is bi-level)",
                                        got: "'none'")
        }
    } else {
        data.split = biLevel == nil ? .none : .half
    }
    if data.split == .half && data.trainSize < 2 {
        throw ManifestError.invalid(dataReader.location("train_size"), keyPath: "data.train_size",
                                    expected: "expected at least 2 images to split in half", got: "\(data.trainSize)")
    }
    return RunConfig(seed: UInt64(seed), precision: precision, threads: threads, data: data, network: network,
                     sampling: sampling, phases: phases, record: record)
}

// MARK: - data

private enum DataKeys {
    static let all = ["dataset", "root", "train_size", "test_size", "batch_size", "augment", "split", "synthetic"]
}

private func decodeData(_ r: MapReader) throws -> DataConfig {
    let dataset: DataConfig.Dataset = try r.choice("dataset", default: .fashionMNIST)
    // The synthetic block is type-checked whatever the data set, so a grid over `data.dataset` works.
    let s = try MapReader(r.node("synthetic") ?? ManifestNode(.null, at: r.node.location), path: r.path("synthetic"),
                          keys: ["count", "size", "channels", "classes"], what: "synthetic data")
    let synthetic = DataConfig.Synthetic(count: try s.int("count", default: 256, min: 1),
                                         size: try s.int("size", default: 16, min: 4),
                                         channels: try s.int("channels", default: 3, min: 1),
                                         classes: try s.int("classes", default: 10, min: 2))
    let (trainMax, testMax): (Int, Int)
    switch dataset {
    case .fashionMNIST: (trainMax, testMax) = (60000, 10000)
    case .cifar10: (trainMax, testMax) = (50000, 10000)
    case .synthetic: (trainMax, testMax) = (synthetic.count, synthetic.count)
    }
    let root: String? = r.given("root") ? try r.string("root") : nil
    return DataConfig(
        dataset: dataset, root: root,
        trainSize: try r.int("train_size", default: trainMax, min: 1, max: trainMax),
        testSize: try r.int("test_size", default: testMax, min: 1, max: testMax),
        batchSize: try r.int("batch_size", default: 96, min: 1),
        augment: try r.bool("augment", default: true),
        split: try r.choice("split", default: DataConfig.Split.none),
        synthetic: dataset == .synthetic ? synthetic : nil)
}

// MARK: - network

/// The named cells of the paper: they set `steps` and `multiplier` unless those are given.
enum CellPreset: String, CaseIterable {
    case minimal
    case original
}

/// Named op lists.
enum OpOrder: String, CaseIterable {
    case orderB = "order_b"
    case orderA = "order_a"

    var ops: [OpKind] { self == .orderB ? OpKind.orderB : OpKind.orderA }
}

private func decodeNetwork(_ node: ManifestNode, data: DataConfig) throws -> NetworkConfig {
    let r = try MapReader(node, path: "network", keys: [
        "cell", "cells", "steps", "multiplier", "channels", "stem_multiplier", "ops", "norm", "preprocess_norm",
        "stem_norm", "stacking", "classifier_bias", "naming", "legacy_depthwise_fan_in",
    ], what: "network")
    let cell: CellPreset = try r.choice("cell", default: .minimal)
    var n: NetworkConfig = cell == .minimal ? .minimal : .original
    n.cells = try r.int("cells", default: n.cells, min: 1)
    n.steps = try r.int("steps", default: n.steps, min: 1, max: 16)
    n.multiplier = try r.int("multiplier", default: n.multiplier, min: 1)
    if n.multiplier > n.steps {
        // Blame whichever of the two was written; the preset's value is not the user's mistake.
        if r.given("multiplier") {
            throw ManifestError.invalid(r.location("multiplier"), keyPath: "network.multiplier",
                                        expected: "expected at most steps (\(n.steps))", got: "\(n.multiplier)")
        }
        throw ManifestError.invalid(r.location("steps"), keyPath: "network.steps",
                                    expected: "expected at least multiplier (\(n.multiplier))", got: "\(n.steps)")
    }
    n.channels = try r.int("channels", default: n.channels, min: 1)
    n.stemMultiplier = try r.int("stem_multiplier", default: n.stemMultiplier, min: 1)
    n.ops = try decodeOps(r)
    n.opNorm = try decodeNorm(r, "norm", default: n.opNorm)
    // Preprocessing follows `norm` unless told otherwise: Appx H changes every norm inside the cells.
    n.preprocessNorm = try decodeNorm(r, "preprocess_norm", default: n.opNorm)
    n.stemNorm = try decodeNorm(r, "stem_norm", default: n.stemNorm)
    n.stacking = try r.choice("stacking", default: n.stacking)
    n.classifierBias = try r.bool("classifier_bias", default: n.classifierBias)
    let naming: NamingChoice = try r.choice("naming", default: NamingChoice(rawValue: n.naming.rawValue))
    n.naming = ParameterNaming(rawValue: naming.rawValue) ?? n.naming
    n.legacyDepthwiseFanIn = try r.bool("legacy_depthwise_fan_in", default: n.legacyDepthwiseFanIn)
    n.inputChannels = data.imageChannels
    n.numClasses = data.classes
    return n
}

/// The spellings of `ParameterNaming`, listed for messages.
enum NamingChoice: String, CaseIterable {
    case dsnas
    case darts
}

private func decodeOps(_ r: MapReader) throws -> [OpKind] {
    guard r.given("ops"), let node = r.node("ops") else { return OpKind.orderB }
    if case .string = node.value {
        let order: OpOrder = try node.choice(r.path("ops"))
        return order.ops
    }
    let expected = "expected order_b, order_a or a list of op names"
    let items = try node.list(r.path("ops"), expected: expected)
    guard !items.isEmpty else {
        throw ManifestError.invalid(node.location, keyPath: r.path("ops"), expected: expected, got: "[]")
    }
    var ops: [OpKind] = []
    for (i, item) in items.enumerated() {
        let op = try item.op(r.path("ops.\(i)"))
        if ops.contains(op) {
            throw ManifestError.invalid(item.location, keyPath: r.path("ops.\(i)"), expected: "expected each op once",
                                        got: "'\(op.rawValue)' again")
        }
        ops.append(op)
    }
    return ops
}

private func decodeNorm(_ parent: MapReader, _ key: String, default d: NormConfig) throws -> NormConfig {
    let r = try MapReader(parent.node(key) ?? ManifestNode(.null, at: parent.node.location), path: parent.path(key),
                          keys: ["kind", "affine", "eps", "momentum"], what: "a norm")
    return NormConfig(kind: try r.choice("kind", default: d.kind), affine: try r.bool("affine", default: d.affine),
                      eps: try r.double("eps", default: d.eps, positive: true),
                      momentum: try r.double("momentum", default: d.momentum, min: 0, max: 1))
}

// MARK: - edges

private func decodeEdges(_ node: ManifestNode?, network: NetworkConfig) throws -> [EdgeConstraint] {
    guard let node else { return [] }
    if case .null = node.value { return [] }
    let entries = try node.list("edges", expected: "expected a list of edge constraints")
    let count = network.edgeCount
    let opNames = network.ops.map(\.rawValue)
    var constraints: [EdgeConstraint] = []
    var unconstrained = network
    unconstrained.constraints = []
    var before = try unconstrained.edgeDomains()  // every op on every edge

    func index(_ n: ManifestNode, _ path: String) throws -> Int {
        guard case let .int(i) = n.value, (0..<count).contains(i) else {
            throw ManifestError.invalid(n.location, keyPath: path,
                                        expected: "expected an edge index in 0...\(count - 1) (steps \(network.steps) has \(count) edges)",
                                        got: n.rendered)
        }
        return i
    }
    /// An op that must be one of the network's ops.
    func memberOp(_ n: ManifestNode, _ path: String) throws -> OpKind {
        let op = try n.op(path)
        guard network.ops.contains(op) else {
            throw ManifestError.invalid(n.location, keyPath: path,
                                        expected: "expected one of the network's ops (\(opNames.joined(separator: ", ")))",
                                        got: n.rendered)
        }
        return op
    }
    func opList(_ n: ManifestNode, _ path: String) throws -> [OpKind] {
        try n.list(path, expected: "expected a list of op names").enumerated().map { try memberOp($1, "\(path).\($0)") }
    }

    for (k, entry) in entries.enumerated() {
        let path = "edges.\(k)"
        let r = try MapReader(entry, path: path, keys: ["edge", "edges", "delete", "fix", "allow", "exclude"],
                              what: "an edge constraint")
        // Exactly one selector.
        let selectorKeys = ["edge", "edges"].filter(r.has)
        guard selectorKeys.count == 1 else {
            throw ManifestError.invalid(entry.location, keyPath: path, expected: "expected exactly one of edge, edges",
                                        got: selectorKeys.isEmpty ? "neither" : "both")
        }
        var selectors: [EdgeSelector]
        if let e = r.node("edge") {
            selectors = [.edge(try index(e, r.path("edge")))]
        } else {
            let e = r.node("edges")!
            switch e.value {
            case let .string(word):
                let names = ["input", "intermediate", "all"]
                guard let i = names.firstIndex(of: word) else {
                    throw ManifestError.invalid(e.location, keyPath: r.path("edges"),
                                                expected: "expected input, intermediate, all or a list of edge indices",
                                                got: e.rendered, suggestion: closestMatch(to: word, among: names))
                }
                selectors = [[.inputEdges, .intermediateEdges, .allEdges][i]]
            case let .list(items):
                selectors = try items.enumerated().map { .edge(try index($1, r.path("edges.\($0)"))) }
            default:
                throw ManifestError.invalid(e.location, keyPath: r.path("edges"),
                                            expected: "expected input, intermediate, all or a list of edge indices",
                                            got: e.rendered)
            }
        }
        // Exactly one restriction.
        let restrictionKeys = ["delete", "fix", "allow", "exclude"].filter(r.has)
        guard restrictionKeys.count == 1 else {
            throw ManifestError.invalid(entry.location, keyPath: path,
                                        expected: "expected exactly one of delete, fix, allow, exclude",
                                        got: restrictionKeys.isEmpty ? "none of them" : restrictionKeys.joined(separator: " and "))
        }
        let restriction: EdgeRestriction
        switch restrictionKeys[0] {
        case "delete":
            guard try r.node("delete")!.bool(r.path("delete")) else {
                throw ManifestError.invalid(r.location("delete"), keyPath: r.path("delete"),
                                            expected: "expected true (leave the entry out to keep the edge)", got: "false")
            }
            restriction = .delete
        case "fix": restriction = .fix(try memberOp(r.node("fix")!, r.path("fix")))
        case "allow": restriction = .allow(try opList(r.node("allow")!, r.path("allow")))
        default: restriction = .exclude(try opList(r.node("exclude")!, r.path("exclude")))
        }
        constraints += selectors.map { EdgeConstraint($0, restriction) }

        // The model applies the rules (WiringModel/EdgeDomain.swift); after each entry, find the edge it
        // leaves without ops, whether the model throws (exclude) or returns an empty domain (allow []).
        var trial = network
        trial.constraints = constraints
        func emptyEdge(_ e: Int) -> ManifestError {
            .invalid(r.location(restrictionKeys[0]), keyPath: r.path(restrictionKeys[0]),
                     expected: "expected at least one op left on edge \(e) (use delete to remove it)", got: "no op")
        }
        let domains: [EdgeDomain]
        do {
            domains = try trial.edgeDomains()
        } catch let error as ModelError {
            let e = selectors.flatMap(network.edges(selectedBy:)).first { e in
                !before[e].deleted && before[e].allowed.allSatisfy { i in
                    if case let .exclude(list) = restriction { return list.contains(network.ops[i]) }
                    return false
                }
            }
            guard let e else {
                throw ManifestError.invalid(entry.location, keyPath: path, expected: "expected a satisfiable constraint",
                                            got: "'\(error.message)'")
            }
            throw emptyEdge(e)
        }
        if let e = domains.indices.first(where: { !domains[$0].deleted && domains[$0].allowed.isEmpty }) {
            throw emptyEdge(e)
        }
        before = domains
    }
    return constraints
}

// MARK: - phases

let namePattern = "expected a name of a-z, 0-9, _ and -"

/// True for names made of `[a-z0-9_-]+`.
func isValidName(_ s: String) -> Bool {
    !s.isEmpty && s.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" || $0 == "-" }
}

private func decodePhases(_ node: ManifestNode, domains: [EdgeDomain], network: NetworkConfig) throws -> [PhaseConfig] {
    let items = try node.list("phases", expected: "expected a list of phases")
    guard !items.isEmpty else {
        throw ManifestError.invalid(node.location, keyPath: "phases", expected: "expected at least one phase", got: "[]")
    }
    var phases: [PhaseConfig] = []
    for (i, item) in items.enumerated() {
        let path = "phases.\(i)"
        let common = ["name", "kind", "epochs", "batches"]
        // Read `kind` first: it decides which other keys are allowed.
        let kindReader = try MapReader(item, path: path, keys: common + PhaseKeys.all, what: "a phase")
        let kind: PhaseKind = try kindReader.choice("kind")
        let keys: [String]
        switch kind {
        case .probe: keys = common + ["sampling"]
        case .train: keys = common + ["sampling", "optimizer"]
        case .search: keys = common + PhaseKeys.search
        }
        let r = try MapReader(item, path: path, keys: keys, what: "a \(kind.rawValue) phase")

        let name = try r.string("name", default: "\(kind.rawValue)\(i)")
        guard isValidName(name) else {
            throw ManifestError.invalid(r.location("name"), keyPath: r.path("name"), expected: namePattern,
                                        got: "'\(name)'")
        }
        if phases.contains(where: { $0.name == name }) {
            throw ManifestError.invalid(r.location("name"), keyPath: r.path("name"),
                                        expected: "expected a name no other phase has", got: "'\(name)'")
        }
        if r.given("epochs") && r.given("batches") {
            throw ManifestError.invalid(item.location, keyPath: path, expected: "expected either epochs or batches",
                                        got: "both")
        }
        let length = r.given("batches") ? PhaseLength(.batches, try r.int("batches", min: 1))
            : PhaseLength(.epochs, try r.int("epochs", default: 1, min: 1))

        var phase = PhaseConfig(name: name, kind: kind, length: length, sampling: nil, optimizer: nil, search: nil)
        switch kind {
        case .probe, .train:
            let sampling: SamplingMode = try r.choice("sampling", default: .uniform)
            if sampling == .fixed, let e = domains.indices.first(where: { !domains[$0].deleted && domains[$0].allowed.count > 1 }) {
                throw ManifestError.invalid(r.location("sampling"), keyPath: r.path("sampling"),
                                            expected: "expected uniform, or every edge fixed or deleted under edges",
                                            got: "'fixed' with \(domains[e].allowed.count) ops on edge \(e)")
            }
            phase.sampling = sampling
            if kind == .train { phase.optimizer = try decodeSGD(r, "optimizer") }
        case .search:
            phase.search = try decodeSearch(r)
            phase.optimizer = try decodeSGD(r, "optimizer")
        }
        phases.append(phase)
    }
    return phases
}

private enum PhaseKeys {
    static let search = ["algorithm", "level", "order", "temperature", "temperature_min", "anneal", "alpha_init",
                         "reward_clip", "update_alpha", "update_theta", "optimizer", "alpha_optimizer"]
    static let all = ["sampling"] + search
}

private func decodeSearch(_ r: MapReader) throws -> SearchConfig {
    let algorithm: SearchAlgorithm = try r.choice("algorithm", default: .dsnas)
    var s = SearchConfig(algorithm: algorithm)
    s.level = try r.choice("level", default: s.level)
    if s.level == .bi && algorithm != .darts {
        throw ManifestError.invalid(r.location("level"), keyPath: r.path("level"),
                                    expected: "expected single for \(algorithm.rawValue) (only darts runs bi-level)",
                                    got: "'bi'")
    }
    s.order = try r.choice("order", default: s.order)
    if s.order == .second && s.level != .bi {
        throw ManifestError.invalid(r.location("order"), keyPath: r.path("order"),
                                    expected: "expected first for a single-level search", got: "'second'")
    }
    s.temperature = try r.double("temperature", default: s.temperature, positive: true)
    s.temperatureMin = try r.double("temperature_min", default: s.temperatureMin, positive: true)
    s.anneal = try r.bool("anneal", default: s.anneal)
    s.rewardClip = try r.double("reward_clip", default: s.rewardClip, positive: true)
    s.updateAlpha = try r.bool("update_alpha", default: s.updateAlpha)
    s.updateTheta = try r.bool("update_theta", default: s.updateTheta)
    if r.given("alpha_init") {
        let a = try MapReader(r.node("alpha_init")!, path: r.path("alpha_init"), keys: ["kind", "mean", "std", "value"],
                              what: "alpha_init")
        let kinds = ["normal", "constant"]
        let kind = try a.string("kind")
        switch kind {
        case "normal":
            if a.has("value") { throw unexpected(a, "value", "a normal alpha_init") }
            s.alphaInit = .normal(mean: try a.double("mean", default: 0), std: try a.double("std", default: 1, min: 0))
        case "constant":
            if let key = ["mean", "std"].first(where: a.has) { throw unexpected(a, key, "a constant alpha_init") }
            guard a.given("value") else { throw a.missing("value", expected: "expected a finite number") }
            s.alphaInit = .constant(try a.double("value", default: 0))
        default:
            throw ManifestError.invalid(a.location("kind"), keyPath: a.path("kind"), expected: "expected normal or constant",
                                        got: "'\(kind)'", suggestion: closestMatch(to: kind, among: kinds))
        }
    }
    s.alphaOptimizer = try decodeAdam(r, "alpha_optimizer", default: s.alphaOptimizer)
    return s
}

/// A key that exists in the mapping's schema but makes no sense with the other keys given.
private func unexpected(_ r: MapReader, _ key: String, _ what: String) -> ManifestError {
    .invalid(r.location(key), keyPath: r.path(key), expected: "expected no \(key) in \(what)", got: r.node(key)!.rendered)
}

private func decodeSGD(_ parent: MapReader, _ key: String) throws -> SGDConfig {
    let r = try MapReader(parent.node(key) ?? ManifestNode(.null, at: parent.node.location), path: parent.path(key),
                          keys: ["lr", "momentum", "weight_decay", "lr_min", "grad_clip", "schedule"], what: "an SGD optimizer")
    let d = SGDConfig()
    return SGDConfig(lr: try r.double("lr", default: d.lr, positive: true),
                     momentum: try r.double("momentum", default: d.momentum, min: 0, max: 1),
                     weightDecay: try r.double("weight_decay", default: d.weightDecay, min: 0),
                     lrMin: try r.double("lr_min", default: d.lrMin, min: 0),
                     gradClip: try r.optionalDouble("grad_clip", default: d.gradClip, positive: true),
                     schedule: try r.choice("schedule", default: d.schedule))
}

private func decodeAdam(_ parent: MapReader, _ key: String, default d: AdamConfig) throws -> AdamConfig {
    let r = try MapReader(parent.node(key) ?? ManifestNode(.null, at: parent.node.location), path: parent.path(key),
                          keys: ["lr", "beta1", "beta2", "eps", "weight_decay", "grad_clip"], what: "an Adam optimizer")
    return AdamConfig(lr: try r.double("lr", default: d.lr, positive: true),
                      beta1: try r.double("beta1", default: d.beta1, min: 0, max: 1),
                      beta2: try r.double("beta2", default: d.beta2, min: 0, max: 1),
                      eps: try r.double("eps", default: d.eps, positive: true),
                      weightDecay: try r.double("weight_decay", default: d.weightDecay, min: 0),
                      gradClip: try r.optionalDouble("grad_clip", default: d.gradClip, positive: true))
}
