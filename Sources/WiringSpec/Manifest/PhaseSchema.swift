// The schema of `phases`: the keys every phase has (`common`), then one table per kind. A phase's
// `kind` is read first; it decides which table the rest of its keys belong to. Adding a phase kind is
// a case of `PhaseKind`/`PhaseWork`, a table here and a case in `decodePhase`; the compiler finds the
// runner's sites.

import WiringModel
import WiringSearch

enum PhaseSchema {
    /// The keys of every phase, before its kind is known.
    struct Header {
        var name: String?
        var epochs: Int?
        var batches: Int?
    }

    static let common = Schema<Header>(what: "a phase", defaults: Header(), fields: [
        .readElsewhere("kind", role: .run, type: choiceType(PhaseKind.self), default: "required",
                       doc: "`probe`: theta and alpha frozen, Monte-Carlo cost statistics under sampling (`child_reward_stat`). `train`: theta trained by SGD with a cosine schedule, ops sampled uniformly or fixed, alpha untouched (`random_sample`). `search`: alpha updated by a search algorithm. `eval`: one pass over the `data.test_size` test images per epoch, batch norm in eval mode, nothing trained (`/eval`)."),
        .custom("name", type: "string `[a-z0-9_-]+`", default: { _ in "kind + position (`probe0`, `train1`)" },
                doc: "Unique within the run; the label in result files.", render: { $0.name.map(JSONValue.string) }) {
            node, path, header in
            let name = try node.string(path)
            guard isValidName(name) else {
                throw ManifestError.invalid(node.location, keyPath: path, expected: namePattern, got: "'\(name)'")
            }
            header.name = name
        },
        .custom("epochs", type: "integer in 1...\(Limits.epochs)", default: { _ in "`1` (if `batches` is absent)" },
                doc: "Length in passes over the training images (the theta half when split); an `eval` phase: passes over the test images.",
                render: { $0.epochs.map(JSONValue.int) }) { node, path, header in
            header.epochs = try node.int(path, min: 1, max: Limits.epochs)
        },
        .custom("batches", type: "integer in 1...\(Limits.batches)", default: { _ in "none" },
                doc: "Length in steps instead; give `epochs` or `batches`, not both.",
                render: { $0.batches.map(JSONValue.int) }) { node, path, header in
            header.batches = try node.int(path, min: 1, max: Limits.batches)
        },
    ], checks: [epochsOrBatches])

    static let samplingDoc = "`uniform`: every edge draws an op uniformly from its allowed set, every batch. The reference draws from softmax(alpha) with alpha ~ N(1, 0.01^2), which is uniform within 1% (reference-spec 9, item 6). `fixed`: nothing is drawn; `edges` must fix or delete every edge."

    static let evalEveryDoc = "An eval pass over the `data.test_size` test images (batches of 96, batch norm in eval mode with the running statistics, theta and alpha untouched) after every this many epochs and after the last: loss, accuracy, edge costs and identity residuals in `/eval`. The ops of each test batch are drawn as the phase draws them (train: uniform or fixed; search: \(SearchAlgorithm.allCases.map { $0.strategy.evaluationDraw }.joined(separator: ", "))), from a stream of their own. `null`: no eval pass."

    /// "`v1` for a, b; `v2` for c": a search key's default per algorithm, from `SearchConfig(algorithm:)`.
    static func perAlgorithm<V: Equatable>(_ value: (SearchConfig) -> V, _ text: (V) -> String) -> String {
        var groups: [(value: V, names: [String])] = []
        for algorithm in SearchAlgorithm.allCases {
            let v = value(SearchConfig(algorithm: algorithm))
            if let i = groups.firstIndex(where: { $0.value == v }) { groups[i].names.append(algorithm.rawValue) }
            else { groups.append((v, [algorithm.rawValue])) }
        }
        return groups.map { "\(text($0.value)) for \($0.names.joined(separator: ", "))" }.joined(separator: "; ")
    }

    /// An alpha_init as a manifest would write it.
    static func alphaInitText(_ a: AlphaInit) -> String {
        switch a {
        case let .normal(mean, std):
            return "`{kind: normal, mean: \(ManifestNode.formatDoc(mean)), std: \(ManifestNode.formatDoc(std))}`"
        case let .constant(c): return "`{kind: constant, value: \(ManifestNode.formatDoc(c))}`"
        }
    }

    /// `eval_every`: an integer of epochs, or null.
    static func evalEvery<C>(_ keyPath: WritableKeyPath<C, Int?>) -> SchemaField<C> {
        .custom("eval_every", type: "integer in 1...\(Limits.epochs) or null", default: { _ in "`null`" },
                doc: evalEveryDoc, acceptsNull: true, render: { $0[keyPath: keyPath].map(JSONValue.int) ?? .null }) {
            node, path, config in
            if case .null = node.value { config[keyPath: keyPath] = nil } else {
                config[keyPath: keyPath] = try node.int(path, min: 1, max: Limits.epochs)
            }
        }
    }

    static let eval = Schema<EvalSettings>(what: "an eval phase", defaults: EvalSettings(), fields: [
        .choice("sampling", \.sampling, doc: "The ops of each test batch, drawn as a probe draws them. " + samplingDoc),
    ])

    static let probe = Schema<ProbeSettings>(what: "a probe phase", defaults: ProbeSettings(), fields: [
        .choice("sampling", \.sampling, doc: samplingDoc),
        .mapping("until_sign_known", \.untilSignKnownOrDefaults, untilSignKnown, default: "`null` (run the length)",
                 held: { $0.untilSignKnown != nil },
                 doc: "Stop the phase once every (cell, edge, op)'s mean cost interval, mean ± z·SEM, excludes 0 (none and deleted edges do not count); `epochs`/`batches` is then the cap. `probe/sign_samples` records the draws each sign needed (the count from which its interval excluded 0 to the end), `probe/steps` the phase's steps. Needs one-hot sampling. `{}` turns it on."),
        .mapping("exact_cost", \.exactCostOrDefaults, exactCost, default: "`null` (none)", held: { $0.exactCost != nil },
                 doc: "At the phase's end, every subnet of the cell (one op per edge, shared by the cells; at most \(ExactCost.limit)) on fixed batches of a stream of their own, weighted by p(Z) = Π_e 1/|allowed_e|: the exact E[C | Z_e = op] that `summary/cost_mean` estimates, in `probe/exact_cost`. Needs `sampling: uniform` and `sampling.per_cell: false`. `{}` turns it on."),
    ])

    static let untilSignKnown = Schema<SignKnownSettings>(what: "until_sign_known", defaults: SignKnownSettings(), fields: [
        .number("z", \.z, .positive, doc: "Half-width of the interval in standard errors (1.96: 95 %)."),
        .integer("min_samples", \.minSamples, min: 2, max: Limits.batches, doc: "Draws of an (edge, op) before its interval counts."),
    ])

    static let exactCost = Schema<ExactCostSettings>(what: "exact_cost", defaults: ExactCostSettings(), fields: [
        .integer("batches", \.batches, min: 1, max: 1000, doc: "Batches of `data.batch_size` every subnet runs (subnets x batches passes)."),
    ])

    static let train = Schema<TrainSettings>(what: "a train phase", defaults: TrainSettings(), fields: [
        .choice("sampling", \.sampling, doc: samplingDoc),
        .mapping("optimizer", \.optimizer, sgd, default: "see [optimizers](#optimizers)", expanded: false,
                 doc: "The theta optimiser."),
        .boolean("refresh_running_statistics", \.refreshRunningStatistics,
                 doc: "The reference's batch-norm statistics: one training-mode forward of the supernet (every op of every edge, the sample's one-hot weights) before each SGD step sets them, so every norm moves once per step. False: only the norms of the sampled ops move."),
        evalEvery(\.evalEvery),
    ])

    static let search = Schema<SearchSettings>(what: "a search phase", defaults: SearchSettings(), fields: [
        .custom("algorithm", type: choiceType(SearchAlgorithm.self), default: { "`\($0.search.algorithm.rawValue)`" },
                doc: SearchAlgorithm.allCases.map { $0.strategy.summary }.joined(separator: " ") + " Sets the defaults of the keys below (docs/search.md).",
                render: { .string($0.search.algorithm.rawValue) }) {
            node, path, s in
            // The algorithm decides the other keys' defaults (level, alpha_init, alpha clipping).
            s.search = SearchConfig(algorithm: try node.choice(path))
        },
        .choice("level", \.search.level, default: perAlgorithm({ $0.level }) { "`\($0.rawValue)`" },
                doc: "Single: alpha and theta see the same batch. Bi: alpha steps on the search half (`data.split: half`). Only \(SearchAlgorithm.running(.bi).map(\.rawValue).joined(separator: " and ")) may be bi-level."),
        .choice("order", \.search.order, doc: "Second-order gradient (\(SearchAlgorithm.allCases.filter { $0.strategy.orders.contains(.second) }.map(\.rawValue).joined(separator: ", ")) only); only for bi-level."),
        .number("temperature", \.search.temperature, .positive,
                doc: "SNAS Gumbel-softmax temperature (initial value when annealed)."),
        .number("temperature_min", \.search.temperatureMin, .positive, doc: "Floor of the annealed temperature."),
        .boolean("anneal", \.search.anneal,
                 doc: "Anneal once per epoch: max(t_min, t_min + (1 - e/T)(t0 - t_min)) (reference-spec 5.2)."),
        .custom("alpha_init", type: "mapping",
                default: { _ in perAlgorithm({ $0.alphaInit }, alphaInitText) },
                doc: "`{kind: normal, mean, std}` draws each entry from N(mean, std^2) (defaults mean 0, std 1); `{kind: constant, value}` sets every entry (DARTS `cal_stat`: 0.001).",
                render: { s in
                    switch s.search.alphaInit {
                    case let .normal(mean, std): return .object([("kind", .string("normal")), ("mean", .double(mean)), ("std", .double(std))])
                    case let .constant(value): return .object([("kind", .string("constant")), ("value", .double(value))])
                    }
                }, renderedPaths: ["kind", "mean", "std", "value"]) {
            node, path, s in
            s.search.alphaInit = try decodeAlphaInit(node, path)
        },
        .number("reward_clip", \.search.rewardClip, .positive, doc: "DSNAS clamps each edge reward to [-clip, clip]."),
        .choice("reward_weighting", \.search.rewardWeighting,
                doc: "DSNAS: the weight of each edge's clamped reward in the alpha gradient. `sample_probability` (the authors' code): p(sampled op) / its mean over the edges; `none`: 1 (the plain score-function estimator)."),
        .custom("refresh_running_statistics", type: "boolean",
                default: { _ in perAlgorithm({ $0.refreshRunningStatistics }) { "`\($0)`" } },
                doc: "DSNAS, and ProxylessNAS's bi-level weight step: the batch-norm statistics of a step come from one more training-mode supernet forward (every op, one-hot weights) before the SGD step, as the DSNAS reference does. False: only the sampled child's norms move (the ProxylessNAS original).",
                render: { .bool($0.search.refreshRunningStatistics) }) {
            node, path, s in
            s.search.refreshRunningStatistics = try node.bool(path)
        },
        .choice("gate_paths", \.search.gatePaths,
                doc: "ProxylessNAS: the gates alpha's gradient involves. `all`: dL/dZ^k of every allowed op (every allowed op runs in alpha's pass with gate 0 but the sampled one). `two`: the original's memory saver, two ops drawn from softmax(alpha) without replacement, the active one from the softmax over the pair, the gradient over the pair, and the pair's alphas shifted after the update to keep their total probability (docs/search.md)."),
        .choice("fixed_edge_softmax", \.search.fixedEdgeSoftmax,
                doc: "DSNAS: the softmax in the alpha gradient of an edge with one allowed op (`edges: fix`). `allowed_ops`: over that op, so the gradient is 0 and its alpha moves only by weight decay. `all_ops` (the reference's forced edges, reference-spec 5.1 step 3): over all ops, (onehot - softmax(alpha_e)) * reward_e."),
        .number("hessian_radius", \.search.hessianRadius, .positive,
                doc: "Second-order DARTS: the finite-difference step of the Hessian-vector product is radius / \\|v\\| (the reference's 0.01; smaller tracks the exact product more closely on small networks, docs/search.md)."),
        .boolean("update_alpha", \.search.updateAlpha,
                 doc: "False keeps alpha at its initial value (DARTS `cal_stat`: cost statistics under a fixed mixture)."),
        .boolean("update_theta", \.search.updateTheta, doc: "False freezes theta."),
        .mapping("optimizer", \.optimizer, sgd, default: "see [optimizers](#optimizers)", expanded: false,
                 doc: "The theta optimiser."),
        .mapping("alpha_optimizer", \.search.alphaOptimizer, adam, default: "see [optimizers](#optimizers)",
                 expanded: false, doc: "The alpha optimiser."),
        evalEvery(\.evalEvery),
        .mapping("diagnostics", \.diagnosticsOrDefaults, diagnostics, default: "`null` (none)", held: { $0.diagnostics != nil },
                 doc: "Per-epoch diagnostics on batches of their own stream (the search half when bi-level, else the training images; theta, the running statistics and the run's other records untouched), in the result file's `search` group beside alpha and p(none): ∂L/∂W of every op under the softmax mixture, the Hessian of that loss in alpha (dominant eigenvalue by power iteration; the matrix and its spectrum when alpha is small), and op strength by perturbation (DARTS-PT). `{}` turns them on with the defaults below."),
    ], checks: [RunChecks.levelAndOrderFitAlgorithm])

    static let diagnostics = Schema<SearchDiagnostics>(what: "search diagnostics", defaults: SearchDiagnostics(), fields: [
        .integer("every", \.every, min: 1, max: Limits.epochs, doc: "After every this many epochs, and after the last."),
        .integer("batches", \.batches, min: 1, max: 1000, doc: "Batches of `data.batch_size` the measurements average over."),
        .boolean("hessian", \.hessian, doc: "The Hessian of the mixture's loss in alpha by central differences of the tape's alpha gradient (step cbrt(ulp) of the precision): the dominant eigenvalue (RobustDARTS), and when alpha has at most `full_matrix_limit` entries the matrix and its eigenvalues."),
        .boolean("strength", \.strength, doc: "Op strength: held-out loss and accuracy with each op dropped from its edge's mixture (DARTS, SNAS) or put on its edge of the most likely subnet (DSNAS, ProxylessNAS), and the op each edge's strength picks."),
        .integer("power_iterations", \.powerIterations, min: 1, max: 10_000, doc: "The most Hessian-vector products power iteration takes when the matrix is not recorded (each costs 2 x `batches` passes)."),
        .integer("full_matrix_limit", \.fullMatrixLimit, min: 0, max: 4096, doc: "Record the full Hessian (one product per allowed entry) when edges x ops is at most this (the minimal cell with 8 ops: 40)."),
    ])

    static let sgd = Schema<SGDConfig>(what: "an SGD optimizer", defaults: SGDConfig(), fields: [
        .number("lr", \.lr, .positive, doc: "Initial learning rate."),
        .number("momentum", \.momentum, .within(0...1), doc: "Momentum factor (dampening 0, not Nesterov)."),
        .number("weight_decay", \.weightDecay, .atLeast(0), doc: "L2 penalty added to the gradient."),
        .number("lr_min", \.lrMin, .atLeast(0), doc: "Final learning rate of the cosine schedule."),
        .optionalNumber("grad_clip", \.gradClip, .positive, doc: "Global L2 norm clip; null = none."),
        .boolean("skip_missing_gradients", \.skipMissingGradients,
                 doc: "False (the reference): a parameter the pass did not use gets a zero gradient, so weight decay and momentum still move it every step. True: it is left alone (modern PyTorch with `set_to_none`)."),
        .choice("schedule", \.schedule,
                doc: "Cosine: epoch e (0-based) of a T-epoch phase uses lr_min + (lr - lr_min)(1 + cos(pi (e + 1) / T)) / 2, stepped at the start of the epoch as the reference does."),
    ])

    static let adam = Schema<AdamConfig>(what: "an Adam optimizer", defaults: AdamConfig(), fields: [
        .number("lr", \.lr, .positive, doc: "Learning rate."),
        .number("beta1", \.beta1, .within(0...1), doc: "Decay of the first-moment average."),
        .number("beta2", \.beta2, .within(0...1), doc: "Decay of the second-moment average."),
        .number("eps", \.eps, .positive, doc: "Added to the square root of the second moment."),
        .number("weight_decay", \.weightDecay, .atLeast(0), doc: "L2 penalty added to the gradient: alpha decays even with a zero gradient."),
        .optionalNumber("grad_clip", \.gradClip, .positive, default: perAlgorithm({ $0.alphaOptimizer.gradClip }, { docValue($0) }),
                        doc: "Global L2 norm clip of the alpha gradient."),
    ])

    /// The table of a kind's own keys.
    static func keys(of kind: PhaseKind) -> [String] {
        switch kind {
        case .probe: return probe.keys
        case .train: return train.keys
        case .search: return search.keys
        case .eval: return eval.keys
        }
    }

    /// Every key any phase may have, for the first read (before the kind is known).
    static var allKeys: [String] {
        var keys = common.keys
        for kind in PhaseKind.allCases { keys += self.keys(of: kind).filter { !keys.contains($0) } }
        return keys
    }

    /// One phase as a manifest would write it: its kind, the common keys, then its kind's own.
    static func rendered(_ phase: PhaseConfig) -> JSONValue {
        let header = Header(name: phase.name, epochs: phase.length.unit == .epochs ? phase.length.count : nil,
                            batches: phase.length.unit == .batches ? phase.length.count : nil)
        guard case let .object(common) = common.rendered(header) else { return .null }
        let own: JSONValue
        switch phase.work {
        case let .probe(s): own = probe.rendered(s)
        case let .train(s): own = train.rendered(s)
        case let .search(s): own = search.rendered(s)
        case let .eval(s): own = eval.rendered(s)
        }
        guard case let .object(fields) = own else { return .null }
        return .object([("kind", .string(phase.kind.rawValue))] + common + fields)
    }

    /// Every key path a rendered phase may hold, over all kinds.
    static var renderedKeyPaths: [String] {
        var paths = ["kind"] + common.renderedKeyPaths
        for table in [probe.renderedKeyPaths, train.renderedKeyPaths, search.renderedKeyPaths, eval.renderedKeyPaths] {
            paths += table.filter { !paths.contains($0) }
        }
        return paths
    }

    /// Reads the `phases` list.
    static func decodeList(_ node: ManifestNode, path: String, network: NetworkConfig) throws -> [PhaseConfig] {
        let items = try node.list(path, expected: "expected a list of phases")
        guard !items.isEmpty else {
            throw ManifestError.invalid(node.location, keyPath: path, expected: "expected at least one phase", got: "[]")
        }
        let domains = try network.edgeDomains()
        var phases: [PhaseConfig] = []
        for (i, item) in items.enumerated() {
            let phase = try decodePhase(item, path: join(path, "\(i)"), index: i, domains: domains)
            if phases.contains(where: { $0.name == phase.name }) {
                let location = item["name"]?.location ?? item.location
                throw ManifestError.invalid(location, keyPath: join(path, "\(i).name"),
                                            expected: "expected a name no other phase has", got: "'\(phase.name)'")
            }
            phases.append(phase)
        }
        return phases
    }

    /// Reads one phase: its kind, the common keys, then the kind's table.
    static func decodePhase(_ item: ManifestNode, path: String, index: Int, domains: [EdgeDomain]) throws -> PhaseConfig {
        let anyPhase = try MapReader(item, path: path, keys: allKeys, what: common.what)
        let kind: PhaseKind = try anyPhase.choice("kind")
        let own = keys(of: kind)
        // The common keys with the kind's own, so an unknown key names the kind ("a key of a train phase").
        _ = try MapReader(item, path: path, keys: common.keys + own, what: "a \(kind.rawValue) phase")
        var header = common.defaults
        try common.decode(item, at: path, into: &header, fallback: item.location, alsoAllowed: own)
        let work: PhaseWork
        switch kind {
        case .probe:
            var s = probe.defaults
            let r = try probe.decode(item, at: path, into: &s, fallback: item.location, alsoAllowed: common.keys)
            try RunChecks.fixedSamplingHasNothingToDraw(s.sampling, domains: domains, r)
            try RunChecks.exactCostFits(s, domains: domains, r)
            work = .probe(s)
        case .train:
            var s = train.defaults
            let r = try train.decode(item, at: path, into: &s, fallback: item.location, alsoAllowed: common.keys)
            try RunChecks.fixedSamplingHasNothingToDraw(s.sampling, domains: domains, r)
            work = .train(s)
        case .search:
            var s = search.defaults
            try search.decode(item, at: path, into: &s, fallback: item.location, alsoAllowed: common.keys)
            work = .search(s)
        case .eval:
            var s = eval.defaults
            let r = try eval.decode(item, at: path, into: &s, fallback: item.location, alsoAllowed: common.keys)
            try RunChecks.fixedSamplingHasNothingToDraw(s.sampling, domains: domains, r)
            try RunChecks.evalPhaseCountsEpochs(header.batches, r)
            work = .eval(s)
        }
        let length = header.batches.map { PhaseLength(.batches, $0) } ?? PhaseLength(.epochs, header.epochs ?? 1)
        return PhaseConfig(name: header.name ?? "\(kind.rawValue)\(index)", length: length, work: work)
    }

    /// `epochs` and `batches` are alternatives.
    static func epochsOrBatches(_ header: inout Header, _ r: MapReader) throws {
        if header.epochs != nil && header.batches != nil {
            // Usually one of the two came from an override or a `set:` on top of an included phase: point at
            // it and say how to drop the other.
            let epochsHere = r.location("epochs"), batchesHere = r.location("batches")
            if batchesHere == .commandLine || epochsHere == .commandLine {
                let other = batchesHere == .commandLine ? "epochs" : "batches"
                throw ManifestError.invalid(.commandLine, keyPath: r.path, expected: "expected either epochs or batches",
                                            got: "both; add \(r.path(other))= to drop the phase's \(other)")
            }
            throw ManifestError.invalid(r.node.location, keyPath: r.path, expected: "expected either epochs or batches",
                                        got: "both")
        }
    }
}

/// `alpha_init`: `{kind: normal, mean, std}` or `{kind: constant, value}`.
private func decodeAlphaInit(_ node: ManifestNode, _ path: String) throws -> AlphaInit {
    let a = try MapReader(node, path: path, keys: ["kind", "mean", "std", "value"], what: "alpha_init")
    let kinds = ["normal", "constant"]
    let kind = try a.string("kind")
    /// A key of the mapping that makes no sense with this kind.
    func unexpected(_ key: String) -> ManifestError {
        .invalid(a.location(key), keyPath: a.path(key), expected: "expected no \(key) in a \(kind) alpha_init",
                 got: a.node(key)!.rendered)
    }
    switch kind {
    case "normal":
        if a.has("value") { throw unexpected("value") }
        return .normal(mean: try a.double("mean", default: 0), std: try a.double("std", default: 1, min: 0))
    case "constant":
        if let key = ["mean", "std"].first(where: a.has) { throw unexpected(key) }
        guard a.given("value") else { throw a.missing("value", expected: "expected a finite number") }
        return .constant(try a.double("value", default: 0))
    default:
        throw ManifestError.invalid(a.location("kind"), keyPath: a.path("kind"), expected: "expected normal or constant",
                                    got: "'\(kind)'", suggestion: closestMatch(to: kind, among: kinds))
    }
}

let namePattern = "expected a name of a-z, 0-9, _ and -"

/// True for names made of `[a-z0-9_-]+`.
func isValidName(_ s: String) -> Bool {
    !s.isEmpty && s.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" || $0 == "-" }
}
