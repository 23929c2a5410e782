// The resolved, typed configuration of ONE run: every default filled in, every grid axis fixed, every
// name checked. The runner reads only this; it never sees YAML. Its canonical JSON (sorted keys) is
// what a run id hashes (Planner.swift), so every field that changes a result belongs here, and the
// three that cannot (`threads`, `data.root`, `record.tensorboard`) are blanked before hashing.

import Foundation
import WiringData
import WiringModel
import WiringSearch

/// Floating-point type of every tensor in a run.
public enum Precision: String, CaseIterable, Codable, Hashable, Sendable {
    case float32
    case float64
}

/// Where the images come from and how they are batched.
public struct DataConfig: Codable, Hashable, Sendable {
    /// A data set the loaders know.
    public enum Dataset: String, CaseIterable, Codable, Hashable, Sendable {
        /// 28x28 grey images, 60000 train / 10000 test (Debian `dataset-fashion-mnist`).
        case fashionMNIST = "fashion-mnist"
        /// 32x32 colour images, 50000 train / 10000 test (`cifar-10-batches-bin` or torchvision's `cifar-10-batches-py`).
        case cifar10
        /// 32x32 colour images of 100 fine (or 20 coarse) classes, 50000 / 10000 (`cifar-100-binary` or `cifar-100-python`).
        case cifar100
        /// A NumPy .npz named by `path`: shape, class count and normalisation from the file.
        case npz
        /// Deterministic random images, for tests.
        case synthetic
    }

    /// How the training images are divided between theta and alpha.
    public enum Split: String, CaseIterable, Codable, Hashable, Sendable {
        /// Every step uses the whole training set (single-level search, probes, training).
        case none
        /// First half trains theta, second half is the search set for alpha (bi-level DARTS).
        case half
    }

    /// Shape of the synthetic data set.
    public struct Synthetic: Codable, Hashable, Sendable {
        /// Images in the training set (the test set has as many, drawn from another stream).
        public var count: Int
        /// Height = width in pixels.
        public var size: Int
        /// Colour channels.
        public var channels: Int
        /// Label classes.
        public var classes: Int

        public init(count: Int = 256, size: Int = 16, channels: Int = 3, classes: Int = 10) {
            (self.count, self.size, self.channels, self.classes) = (count, size, channels, classes)
        }
    }

    /// Which data set.
    public var dataset: Dataset
    /// Folder that holds the data set; nil = the default place (`WIRINGLAB_DATA`, then the system
    /// package's folder). Not part of the run id: where the files live does not change a result.
    public var root: String?
    /// Training images used: the first `trainSize` (the whole set when the manifest says null).
    public var trainSize: Int
    /// Test images used for validation accuracy.
    public var testSize: Int
    /// Images per step; the last batch of an epoch is partial.
    public var batchSize: Int
    /// Random crop with zero padding and horizontal flip on training batches (reference-spec 5.4).
    public var augment: Bool
    /// Train/search split (half under a bi-level search).
    public var split: Split
    /// Set only for the synthetic data set.
    public var synthetic: Synthetic?
    /// CIFAR-100's fine or coarse labels; set only for CIFAR-100 (so other run ids stay what they were).
    public var labels: CIFAR100.Labels?
    /// The .npz file; set only for the npz data set. Part of the run id: it names the data set.
    public var path: String?
    /// The .npz file's shape and class count, read from it while the manifest is checked; npz only.
    public var npzShape: NPZDataset.Shape?

    /// The defaults: every image of `dataset`, batches of 96 (the reference scripts'), augmented.
    public init(dataset: Dataset = .fashionMNIST) {
        self.dataset = dataset
        root = nil
        synthetic = dataset == .synthetic ? Synthetic() : nil
        labels = dataset == .cifar100 ? .fine : nil
        path = nil
        npzShape = nil
        trainSize = 0
        testSize = 0
        batchSize = 96
        augment = true
        split = .none
        (trainSize, testSize) = (maximumTrainSize, maximumTestSize)
    }

    /// Training images the data set has.
    public var maximumTrainSize: Int {
        switch dataset {
        case .fashionMNIST: return 60000
        case .cifar10, .cifar100: return 50000
        case .npz: return npzShape?.trainCount ?? 0
        case .synthetic: return synthetic?.count ?? 0
        }
    }

    /// Test images the data set has (the synthetic test set is as large as its training set).
    public var maximumTestSize: Int {
        switch dataset {
        case .synthetic: return synthetic?.count ?? 0
        case .npz: return npzShape?.testCount ?? 0
        default: return 10000
        }
    }

    /// Height = width of the images.
    public var imageSize: Int {
        switch dataset {
        case .fashionMNIST: return 28
        case .cifar10, .cifar100: return 32
        case .npz: return npzShape?.size ?? 0
        case .synthetic: return synthetic?.size ?? 0
        }
    }

    /// Colour channels of the images.
    public var imageChannels: Int {
        switch dataset {
        case .fashionMNIST: return 1
        case .cifar10, .cifar100: return 3
        case .npz: return npzShape?.channels ?? 0
        case .synthetic: return synthetic?.channels ?? 0
        }
    }

    /// Number of label classes.
    public var classes: Int {
        switch dataset {
        case .synthetic: return synthetic?.classes ?? 0
        case .cifar100: return (labels ?? .fine).classes
        case .npz: return npzShape?.classes ?? 0
        default: return 10
        }
    }

    /// Images per step on the theta side: the whole training subset, or its first half when split.
    public var thetaImages: Int { split == .half ? trainSize / 2 : trainSize }

    /// Batches in one epoch over `thetaImages`, the last one partial.
    public var batchesPerEpoch: Int { (thetaImages + batchSize - 1) / batchSize }
}

/// Sampling settings shared by all phases.
public struct SamplingConfig: Codable, Hashable, Sendable {
    /// One draw per cell instead of one draw per batch shared by all cells (`resample_layer`).
    public var perCell: Bool

    public init(perCell: Bool = false) { self.perCell = perCell }
}

/// What a run stores besides the per-step data, which is always stored.
public struct RecordConfig: Codable, Hashable, Sendable {
    /// Store the per-sample L, H and C of every step (large: steps x batch).
    public var perSample: Bool
    /// Write TensorBoard event files while the run works (`<results>/tensorboard/`). Not part of the run
    /// id: the event files only read what the run records.
    public var tensorboard: Bool

    public init(perSample: Bool = false, tensorboard: Bool = false) {
        self.perSample = perSample
        self.tensorboard = tensorboard
    }
}

/// The complete, resolved configuration of one run.
public struct RunConfig: Codable, Hashable, Sendable {
    /// Seeds every random stream of the run (data order, augmentation, init, sampling).
    public var seed: UInt64
    /// Float type of every tensor.
    public var precision: Precision
    /// Worker threads. Not part of the run id: results are bitwise identical for any thread count.
    public var threads: Int
    /// Data set, subset sizes and batching.
    public var data: DataConfig
    /// The supernet, with `inputChannels` and `numClasses` taken from the data set.
    public var network: NetworkConfig
    /// How samples are shared between cells.
    public var sampling: SamplingConfig
    /// The phases in order, at least one.
    public var phases: [PhaseConfig]
    /// Optional extra records.
    public var record: RecordConfig

    /// The defaults every manifest starts from (the phases list is required, so it starts empty).
    public init(seed: UInt64 = 0, precision: Precision = .float32, threads: Int = 1, data: DataConfig = DataConfig(),
                network: NetworkConfig = NetworkConfig(), sampling: SamplingConfig = SamplingConfig(),
                phases: [PhaseConfig] = [], record: RecordConfig = RecordConfig()) {
        self.seed = seed
        self.precision = precision
        self.threads = threads
        self.data = data
        self.network = network
        self.sampling = sampling
        self.phases = phases
        self.record = record
    }

    /// The configuration with the fields that cannot change a result blanked, for hashing.
    var identity: RunConfig {
        var c = self
        c.threads = 0
        c.data.root = nil
        c.record.tensorboard = false
        return c
    }

    /// Sorted-key JSON of `identity`: the same bytes in every process and on every machine.
    var canonicalJSON: Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding plain structs, enums, ints, doubles and strings cannot fail.
        return try! encoder.encode(identity)
    }
}
