// The manifest schema of one run: the top level, `data`, `network`, norms, `sampling` and `record`,
// as field tables (Schema.swift). Phases are in PhaseSchema.swift, edge constraints in
// EdgeSchema.swift, the rules over several keys in RunChecks.swift. docs/manifest.md's key tables are
// rendered from these tables (`wiringlab schema`), and a test fails when the two differ.

import Foundation
import WiringData
import WiringModel
import WiringSearch

enum RunSchema {
    /// The top level of a manifest.
    static let top = Schema<RunConfig>(what: "a manifest", defaults: RunConfig(), fields: [
        .readElsewhere("name", role: .sweep, type: "string `[a-z0-9_-]+`", default: "required",
                       doc: "Experiment name; the default results folder is `results/<name>/`. Give each manifest its own: an included file's name is inherited otherwise."),
        .readElsewhere("description", role: .sweep, type: "string of at most \(Limits.descriptionLength) characters",
                       default: "`\"\"`", doc: "One line shown by `wiringlab list`."),
        .readElsewhere("include", role: .loader, type: "file name or list", default: "none",
                       doc: "Manifests merged under this one, depth-first; paths are relative to this file's folder. Cycles are an error. Consumed while loading."),
        .readElsewhere("set", role: .loader, type: "mapping key path -> value", default: "none",
                       doc: "Values set after the includes and this file's own keys are merged, e.g. `set: {phases.0.epochs: 2}`. Consumed while loading."),
        .integer("seed", \.seed, min: 0, max: Limits.seed,
                 doc: "Seeds every random stream of a run: data order, augmentation, initialisation, sampling."),
        .choice("precision", \.precision, doc: "Floating-point type of all tensors."),
        .integer("threads", \.threads, min: 1, max: 256,
                 doc: "Worker threads of a run, unless `run --threads` gives another count (as a sweep's `--jobs` children and Slurm tasks get theirs). Results are bitwise identical for any count, so it is not part of the run id; the result file records the count used."),
        .mapping("data", \.data, data, default: "see [data](#data)", expanded: false,
                 doc: "Data set, subset sizes, batching, augmentation."),
        .mapping("network", \.network, network, default: "see [network](#network)", expanded: false,
                 doc: "The supernet."),
        .custom("edges", type: "list", default: { _ in "`[]`" }, doc: "Edge constraints, see [edges](#edges).",
                render: { .array($0.network.constraints.map(EdgeSchema.rendered)) },
                renderedPaths: EdgeSchema.entry.renderedKeyPaths.map { "N." + $0 }) {
            node, path, config in
            config.network.constraints = try EdgeSchema.decode(node, path: path, network: config.network)
        },
        .mapping("sampling", \.sampling, sampling, default: "see below", expanded: false,
                 doc: "How sampled ops are shared between cells."),
        .custom("phases", type: "list, at least one", default: { _ in "required" },
                doc: "What the run does, in order, see [phases](#phases).",
                render: { .array($0.phases.map(PhaseSchema.rendered)) },
                renderedPaths: PhaseSchema.renderedKeyPaths.map { "N." + $0 }) { node, path, config in
            config.phases = try PhaseSchema.decodeList(node, path: path, network: config.network)
        },
        .mapping("record", \.record, record, default: "see below", expanded: false,
                 doc: "Optional extra data in the result file."),
        .readElsewhere("grid", role: .sweep, type: "mapping key path -> list", default: "none",
                       doc: "Cartesian product of settings, see [Sweeps](#sweeps-grid-zip-exclude-replicates)."),
        .readElsewhere("zip", role: .sweep, type: "mapping key path -> list", default: "none",
                       doc: "Settings varied together, see [Sweeps](#sweeps-grid-zip-exclude-replicates)."),
        .readElsewhere("exclude", role: .sweep, type: "list of mappings", default: "none",
                       doc: "Grid points left out, see [Sweeps](#sweeps-grid-zip-exclude-replicates)."),
        .readElsewhere("replicates", role: .sweep, type: "integer >= 1 or list of seeds", default: "none",
                       doc: "Seeds of each grid point, see [Sweeps](#sweeps-grid-zip-exclude-replicates)."),
    ], checks: [RunChecks.requirePhases, RunChecks.networkFollowsData, RunChecks.splitFollowsPhases,
                RunChecks.fitsInMemory, RunChecks.stepLogFitsInMemory, RunChecks.perCellSamplingNotInSearch])

    static let data = Schema<DataConfig>(what: "data", defaults: DataConfig(), fields: [
        .choice("dataset", \.dataset,
                doc: "Fashion-MNIST: 28x28 grey, 60000/10000 images, from the Debian package `dataset-fashion-mnist` (no download). CIFAR-10: 32x32 colour, 50000/10000, binary batches (`cifar-10-batches-bin`) or torchvision's pickles (`cifar-10-batches-py`). CIFAR-100: the same in `cifar-100-binary` or `cifar-100-python`, 100 classes (see `labels`). npz: a NumPy `.npz` named by `path`, shape and classes from the file. Synthetic: deterministic random images for tests. Where each is found: [data.md](data.md)."),
        .choice("labels", \.labelsChoice, held: { $0.labels != nil },
                doc: "CIFAR-100 only (ignored otherwise, always type-checked): `fine` = 100 classes, `coarse` = 20 superclasses."),
        .optionalString("path", \.path,
                        doc: "The `.npz` file of `dataset: npz` (required there, ignored otherwise): arrays `x_train`, `y_train`, `x_test`, `y_test`; absolute or relative to the working directory, `~` is the home folder. Read while the manifest is checked. Part of the run id."),
        .optionalString("root", \.root,
                        doc: "Folder of the data set. Null: `WIRINGLAB_DATA`, then the system package's folder. Not part of the run id."),
        .integer("train_size", \.trainSize, min: 1, max: Limits.images, default: "`null` (all)",
                 doc: "Use the first N training images; at most the set's size."),
        .integer("test_size", \.testSize, min: 1, max: Limits.images, default: "`null` (all)",
                 doc: "Use the first N test images for validation accuracy; at most the set's size."),
        .integer("batch_size", \.batchSize, min: 1, max: Limits.batchSize,
                 doc: "Images per step (the reference scripts' 96). The last batch of an epoch is partial."),
        .boolean("augment", \.augment,
                 doc: "Random crop with 4-pixel zero padding and horizontal flip on training batches (reference-spec 5.4)."),
        .choice("split", \.split, default: "`half` if a phase is a bi-level search, else `none`",
                doc: "`half`: the first half of the training images trains theta, the second half is the search set for alpha of a bi-level search. `none` under a bi-level search is an error."),
        .mapping("synthetic", \.syntheticShape, synthetic, default: "see next rows", held: { $0.synthetic != nil },
                 doc: "Only used when `dataset: synthetic` (always type-checked)."),
    ], checks: [RunChecks.keepOnlyWhatTheDatasetReads, RunChecks.npzShapeFromFile, RunChecks.sizesWithinDataset])

    static let synthetic = Schema<DataConfig.Synthetic>(what: "synthetic data", defaults: DataConfig.Synthetic(), fields: [
        .integer("count", \.count, min: 1, max: Limits.images, doc: "Training images (the test set has as many)."),
        .integer("size", \.size, min: 4, max: Limits.imageSize, doc: "Height = width."),
        .integer("channels", \.channels, min: 1, max: Limits.imageChannels, doc: "Colour channels."),
        .integer("classes", \.classes, min: 2, max: Limits.classes, doc: "Label classes."),
    ])

    static let network = Schema<NetworkConfig>(what: "network", defaults: NetworkConfig(), fields: [
        .custom("cell", type: choiceType(CellPreset.self), default: { _ in "`minimal`" },
                doc: "Named cell: `minimal` = steps 2, multiplier 2 (5 edges); `original` = steps 4, multiplier 4 (14 edges). Sets `steps` and `multiplier` unless they are given.",
                // Stored as the `steps` and `multiplier` it set.
                render: { _ in nil }, renderedPaths: []) {
            node, path, config in
            let cell: CellPreset = try node.choice(path)
            (config.steps, config.multiplier) = (cell.steps, cell.multiplier)
        },
        .integer("cells", \.cells, min: 1, max: Limits.cells,
                 doc: "Stacked normal cells (there are no reduction cells anywhere, reference-spec 3)."),
        .integer("steps", \.steps, min: 1, max: 16, default: "from `cell`",
                 doc: "Intermediate nodes per cell. Edges per cell = steps (steps + 3) / 2."),
        .integer("multiplier", \.multiplier, min: 1, max: 16, default: "from `cell`",
                 doc: "How many of the last intermediate nodes are concatenated into the cell output, at most `steps` (1 for the paper's modified cell)."),
        .integer("channels", \.channels, min: 1, max: Limits.channels, doc: "Channels per node, C."),
        .integer("stem_multiplier", \.stemMultiplier, min: 1, max: Limits.stemMultiplier, doc: "Stem output channels = stem_multiplier x C."),
        .custom("ops", type: "`order_b` \\| `order_a` \\| list of op names", default: { _ in "`order_b`" },
                doc: "Candidate ops in index order. `order_b` (the paper's figures, DSNAS): \(OpOrder.orderB.ops.map(\.rawValue).joined(separator: ", ")). `order_a` (DARTS): \(OpOrder.orderA.ops.map(\.rawValue).joined(separator: ", ")). A list may hold any of these names, each once.",
                render: { .array($0.ops.map { .string($0.rawValue) }) }) {
            node, path, config in
            config.ops = try decodeOps(node, path)
        },
        .mapping("norm", \.opNorm, norm, doc: "Normalisation inside the ops."),
        .mapping("preprocess_norm", \.preprocessNorm, norm, type: "mapping, same keys", default: "the values of `norm`",
                 expanded: false, start: { $0.opNorm },
                 doc: "Normalisation of the two preprocessing convs of each cell. Follows `norm`, so a grid over `network.norm.kind` changes every norm inside the cells (Appx H)."),
        .mapping("stem_norm", \.stemNorm, norm, type: "mapping, same keys", expanded: false,
                 doc: "The stem's norm (affine in the reference)."),
        .choice("stacking", \.stacking,
                doc: "Order inside conv ops (Appx H, Figs 30-31). Pools are pool-norm in every order."),
        .boolean("classifier_bias", \.classifierBias,
                 doc: "Bias of the final linear layer. Off in the reference; Theorem 2 needs it off."),
        .choice("naming", \.naming,
                doc: "Spelling of parameter names where the two reference codes differ (pool norms), for comparing with their checkpoints."),
        .boolean("legacy_depthwise_fan_in", \.legacyDepthwiseFanIn,
                 doc: "Initialise depthwise convs with PyTorch 0.4's fan-in (in_channels K^2) instead of the modern (in/groups) K^2 (reference-spec 2)."),
    ], checks: [RunChecks.multiplierWithinSteps, RunChecks.preprocessFollowsNorm])

    static let norm = Schema<NormConfig>(what: "a norm", defaults: NormConfig(), fields: [
        .choice("kind", \.kind,
                doc: "Batch norm (statistics over N, H, W), instance norm (H, W per sample), layer norm (C, H, W per sample), or none."),
        .boolean("affine", \.affine, doc: "Learnable per-channel scale and shift."),
        .number("eps", \.eps, .positive,
                doc: "Added to the variance. Theorem 1's residual grows with it (reference-spec 10, claim 7)."),
        .number("momentum", \.momentum, .within(0...1),
                doc: "Batch norm running statistics: running = (1 - m) running + m batch."),
    ])

    static let sampling = Schema<SamplingConfig>(what: "sampling", defaults: SamplingConfig(), fields: [
        .boolean("per_cell", \.perCell,
                 doc: "Draw each cell's ops separately instead of one draw per batch shared by all cells (`resample_layer`), in probe, train and eval phases (and eval passes of train phases). Refused with a search phase, whose draw comes from the one alpha all cells share."),
    ])

    static let record = Schema<RecordConfig>(what: "record", defaults: RecordConfig(), fields: [
        .boolean("per_sample", \.perSample,
                 doc: "Also store each sample's L, H and C at every step (large: steps x batch). Per-step data is always stored."),
        .boolean("tensorboard", \.tensorboard,
                 doc: "Write TensorBoard event files while the run works, into `<results>/tensorboard/<setting>-<id>/` (also `wiringlab run --tensorboard`); not part of the run id. See docs/results-format.md, section 9."),
    ])

    /// Keys that describe the sweep rather than one run; grid axes may not point at them.
    static let sweepKeys = Set(top.fields.filter { $0.role == .sweep }.map(\.key))
    /// Keys resolved while loading (`include`, `set`); overrides may not name them.
    static let loaderKeys = Set(top.fields.filter { $0.role == .loader }.map(\.key))

    /// Whether the mapping at `path` has key paths as keys (`grid`, `zip`, each `exclude` entry), so a
    /// path into it takes the rest of the path as one key.
    static func keysArePaths(at path: [String]) -> Bool {
        path == ["grid"] || path == ["zip"] || (path.count == 2 && path[0] == "exclude")
    }
}

/// Decodes the run-level keys of a tree (sweep keys are read by the planner and ignored here).
/// - Throws: `ManifestError.invalid` for the first problem found.
func decodeRunConfig(_ root: ManifestNode) throws -> RunConfig {
    var config = RunSchema.top.defaults
    try RunSchema.top.decode(root, at: "", into: &config, fallback: root.location)
    return config
}

extension DataConfig {
    /// CIFAR-100's labels as written (fine when left out), kept for every data set so a grid over
    /// `data.dataset` works; `RunChecks.keepOnlyWhatTheDatasetReads` drops them for the others.
    var labelsChoice: CIFAR100.Labels {
        get { labels ?? .fine }
        set { labels = newValue }
    }

    /// The synthetic block as written, kept whatever the data set so a grid over `data.dataset` works;
    /// `RunChecks.keepOnlyWhatTheDatasetReads` drops it for the other data sets.
    var syntheticShape: Synthetic {
        get { synthetic ?? Synthetic() }
        set { synthetic = newValue }
    }
}

/// `ops`: a named order or a list of distinct op names.
private func decodeOps(_ node: ManifestNode, _ path: String) throws -> [OpKind] {
    if case .string = node.value {
        let order: OpOrder = try node.choice(path)
        return order.ops
    }
    let expected = "expected order_b, order_a or a list of op names"
    let items = try node.list(path, expected: expected)
    guard !items.isEmpty else {
        throw ManifestError.invalid(node.location, keyPath: path, expected: expected, got: "[]")
    }
    var ops: [OpKind] = []
    for (i, item) in items.enumerated() {
        let op = try item.op(join(path, "\(i)"))
        if ops.contains(op) {
            throw ManifestError.invalid(item.location, keyPath: join(path, "\(i)"), expected: "expected each op once",
                                        got: "'\(op.rawValue)' again")
        }
        ops.append(op)
    }
    return ops
}
