// The rules of the manifest schema that involve more than one key, run after a mapping's fields
// (see `Schema.checks`). Each is named for what it guarantees; each error blames the key the user wrote.

import WiringData
import WiringModel
import WiringSearch

enum RunChecks {
    // MARK: - Top level

    /// `phases` is required.
    static func requirePhases(_ config: inout RunConfig, _ r: MapReader) throws {
        if !r.given("phases") { throw r.missing("phases", expected: "expected a list of phases") }
    }

    /// The network's input channels and class count are the data set's.
    static func networkFollowsData(_ config: inout RunConfig, _ r: MapReader) throws {
        config.network.inputChannels = config.data.imageChannels
        config.network.numClasses = config.data.classes
    }

    /// The split defaults to what the phases need; an explicit `none` under a bi-level search is an error.
    static func splitFollowsPhases(_ config: inout RunConfig, _ r: MapReader) throws {
        let biLevel = config.phases.firstIndex { phase in
            if case let .search(s) = phase.work { return s.search.level == .bi }
            return false
        }
        let data = try MapReader(r.node("data") ?? ManifestNode(.null, at: r.node.location), path: "data",
                                 keys: RunSchema.data.keys, what: RunSchema.data.what)
        if data.given("split") {
            if let i = biLevel, config.data.split == .none {
                throw ManifestError.invalid(data.location("split"), keyPath: "data.split",
                                            expected: "expected half (phase '\(config.phases[i].name)' is bi-level)",
                                            got: "'none'")
            }
        } else {
            config.data.split = biLevel == nil ? .none : .half
        }
        if config.data.split == .half && config.data.trainSize < 2 {
            throw ManifestError.invalid(data.location("train_size"), keyPath: "data.train_size",
                                        expected: "expected at least 2 images to split in half",
                                        got: "\(config.data.trainSize)")
        }
    }

    /// The network can be allocated: its largest tensor and its parameters stay within `Limits`.
    static func fitsInMemory(_ config: inout RunConfig, _ r: MapReader) throws {
        let estimate = MemoryEstimate(config)
        let gib = { (b: Double) in String(format: "%.1f GiB", b / Double(1 << 30)) }
        if estimate.largestTensor > Double(Limits.tensorBytes) {
            let key = r.given("data") && (r.node("data")?["batch_size"] != nil) ? "data.batch_size" : "network.channels"
            throw ManifestError.invalid(r.location(key.components(separatedBy: ".")[0]), keyPath: key,
                                        expected: "expected a batch whose largest tensor fits in \(gib(Double(Limits.tensorBytes))) "
                                            + "(batch_size x channels x stem_multiplier x pixels)",
                                        got: gib(estimate.largestTensor) + "; lower data.batch_size or network.channels")
        }
        if estimate.parameterCount > Double(Limits.parameters) {
            throw ManifestError.invalid(r.location("network"), keyPath: "network.channels",
                                        expected: "expected at most \(Limits.parameters) parameters",
                                        got: String(format: "%.3g", estimate.parameterCount)
                                            + "; lower network.channels or network.cells")
        }
    }

    /// The per-step log of every phase fits in memory (steps x cells x edges values).
    static func stepLogFitsInMemory(_ config: inout RunConfig, _ r: MapReader) throws {
        let steps = Double(config.totalSteps)
        let values = steps * Double(config.network.cells * config.network.edgeCount)
        if values > Double(Limits.stepLogValues) {
            throw ManifestError.invalid(r.location("phases"), keyPath: "phases",
                                        expected: "expected a run whose per-step records fit in memory (at most "
                                            + "\(Limits.stepLogValues) step x cell x edge values)",
                                        got: String(format: "%.3g steps", steps) + "; lower epochs or batches, or split the run")
        }
    }

    /// Search phases draw one architecture from the shared alpha for every cell, so `sampling.per_cell`
    /// (read by probe, train and eval phases) would be ignored there: refused instead.
    static func perCellSamplingNotInSearch(_ config: inout RunConfig, _ r: MapReader) throws {
        guard config.sampling.perCell, let phase = config.phases.first(where: { $0.kind == .search }) else { return }
        let location = r.node("sampling")?["per_cell"]?.location ?? r.node.location
        throw ManifestError.invalid(location, keyPath: "sampling.per_cell",
                                    expected: "expected false with a search phase ('\(phase.name)' draws one architecture for all cells from alpha)",
                                    got: "true")
    }

    // MARK: - data

    /// The synthetic shape, CIFAR-100's labels and the .npz path are kept only for the data set that
    /// reads them, so the run ids of the others do not change with them.
    static func keepOnlyWhatTheDatasetReads(_ data: inout DataConfig, _ r: MapReader) throws {
        data.synthetic = data.dataset == .synthetic ? data.syntheticShape : nil
        data.labels = data.dataset == .cifar100 ? data.labelsChoice : nil
        if data.dataset != .npz { data.path = nil }
    }

    /// `dataset: npz` needs `path`, and the file's shape and class count (read now, so that the
    /// network, the sizes and the cost estimate follow the file) must be within `Limits`.
    static func npzShapeFromFile(_ data: inout DataConfig, _ r: MapReader) throws {
        data.npzShape = nil
        guard data.dataset == .npz else { return }
        guard let path = data.path, !path.isEmpty else {
            throw r.missing("path", expected: "expected the .npz file of dataset npz")
        }
        let expected = "expected a NumPy .npz holding x_train, y_train, x_test, y_test"
        let shape: NPZDataset.Shape
        do {
            shape = try NPZDataset.shape(path: DataRoot.expandingHome(path))
        } catch let error as DataError {
            throw ManifestError.invalid(r.location("path"), keyPath: r.path("path"), expected: expected, got: error.description)
        }
        for (what, value, limit) in [("images of side", shape.size, Limits.imageSize), ("classes", shape.classes, Limits.classes),
                                     ("training images", shape.trainCount, Limits.images), ("test images", shape.testCount, Limits.images)]
            where value > limit {
            throw ManifestError.invalid(r.location("path"), keyPath: r.path("path"), expected: "\(expected) with at most \(limit) \(what)",
                                        got: "\(value) in \(path)")
        }
        data.npzShape = shape
    }

    /// `train_size` and `test_size` default to the whole data set and may not exceed it.
    static func sizesWithinDataset(_ data: inout DataConfig, _ r: MapReader) throws {
        for (key, keyPath, maximum) in [("train_size", \DataConfig.trainSize, data.maximumTrainSize),
                                        ("test_size", \DataConfig.testSize, data.maximumTestSize)] {
            if !r.given(key) {
                data[keyPath: keyPath] = maximum
            } else if data[keyPath: keyPath] > maximum {
                throw ManifestError.invalid(r.location(key), keyPath: r.path(key),
                                            expected: intExpectation(1, maximum), got: "\(data[keyPath: keyPath])")
            }
        }
    }

    // MARK: - network

    /// At most `steps` nodes can be concatenated. Blames whichever of the two was written: the cell
    /// preset's value is not the user's mistake.
    static func multiplierWithinSteps(_ n: inout NetworkConfig, _ r: MapReader) throws {
        guard n.multiplier > n.steps else { return }
        if r.given("multiplier") {
            throw ManifestError.invalid(r.location("multiplier"), keyPath: r.path("multiplier"),
                                        expected: "expected at most steps (\(n.steps))", got: "\(n.multiplier)")
        }
        throw ManifestError.invalid(r.location("steps"), keyPath: r.path("steps"),
                                    expected: "expected at least multiplier (\(n.multiplier))", got: "\(n.steps)")
    }

    /// Preprocessing follows `norm` unless told otherwise: Appx H changes every norm inside the cells.
    static func preprocessFollowsNorm(_ n: inout NetworkConfig, _ r: MapReader) throws {
        if !r.given("preprocess_norm") { n.preprocessNorm = n.opNorm }
    }

    // MARK: - phases

    /// The level and order are ones the algorithm runs (its strategy says which); second order needs bi-level.
    static func levelAndOrderFitAlgorithm(_ s: inout SearchSettings, _ r: MapReader) throws {
        guard let misfit = s.search.misfit else { return }
        throw ManifestError.invalid(r.location(misfit.key), keyPath: r.path(misfit.key), expected: misfit.expected,
                                    got: misfit.got)
    }

    /// `sampling: fixed` needs every edge fixed or deleted.
    static func fixedSamplingHasNothingToDraw(_ sampling: SamplingMode, domains: [EdgeDomain], _ r: MapReader) throws {
        guard sampling == .fixed,
              let e = domains.indices.first(where: { !domains[$0].deleted && domains[$0].allowed.count > 1 }) else { return }
        throw ManifestError.invalid(r.location("sampling"), keyPath: r.path("sampling"),
                                    expected: "expected uniform, or every edge fixed or deleted under edges",
                                    got: "'fixed' with \(domains[e].allowed.count) ops on edge \(e)")
    }

    /// `exact_cost` enumerates every subnet of uniform draws: the cell must be small enough, the sampling uniform.
    static func exactCostFits(_ settings: ProbeSettings, domains: [EdgeDomain], _ r: MapReader) throws {
        guard settings.exactCost != nil else { return }
        let subnets = domains.filter { !$0.deleted }.reduce(1.0) { $0 * Double($1.allowed.count) }
        if subnets > Double(ExactCost.limit) {
            throw ManifestError.invalid(r.location("exact_cost"), keyPath: r.path("exact_cost"),
                                        expected: "expected a cell of at most \(ExactCost.limit) subnets (delete or fix edges, or use fewer ops)",
                                        got: "\(Int(subnets)) subnets")
        }
        if settings.sampling != .uniform {
            throw ManifestError.invalid(r.location("sampling"), keyPath: r.path("sampling"),
                                        expected: "expected uniform with exact_cost (it enumerates uniform draws)",
                                        got: "'\(settings.sampling.rawValue)'")
        }
    }

    /// An eval phase's length counts passes over the test images, so it is given in `epochs`.
    static func evalPhaseCountsEpochs(_ batches: Int?, _ r: MapReader) throws {
        guard let b = batches else { return }
        throw ManifestError.invalid(r.location("batches"), keyPath: r.path("batches"),
                                    expected: "expected epochs (passes over the test images) for an eval phase",
                                    got: "\(b)")
    }
}
