// Loads the data set a run asks for and cuts it into the training and search parts. The data root
// follows one rule (the manifest's `data.root`, then `WIRINGLAB_DATA`, then the data set's system folder),
// the run refuses a data set smaller than the manifest asks for, and what was used (root, and a
// checksum of the decoded images and labels) goes into the result file.
import Crypto
import Foundation
import WiringData

/// The images a run trains and searches on.
struct RunData {
    /// Theta's batches (the first half when `split: half`, else all training images).
    let train: ImageDataset
    /// Alpha's batches for bi-level search (the second half); nil without a split.
    let search: ImageDataset?
    /// The folder the data set was read from ("synthetic" for generated data).
    let root: String
    /// SHA-256 (hex) of the whole training split as decoded: pixels, then labels as bytes.
    let checksum: String

    /// - Throws: `DataError` with the install hint when the data set is missing or damaged,
    ///   `RunError.dataTooSmall` when it has fewer images than `train_size` asks for.
    init(_ config: DataConfig, seed: UInt64) throws {
        var full: ImageDataset
        switch config.dataset {
        case .fashionMNIST:
            root = FashionMNIST.folder(root: DataRoot.resolve(configured: config.root, fallback: FashionMNIST.defaultRoot))
            full = try FashionMNIST.load(.train, root: root)
        case .cifar10:
            root = DataRoot.resolve(configured: config.root)
            full = try CIFAR10.load(.train, root: root)
        case .synthetic:
            root = "synthetic"
            let s = config.synthetic ?? DataConfig.Synthetic()
            full = SyntheticDataset.make(count: s.count, channels: s.channels, size: s.size, classes: s.classes,
                                         seed: seed)
        }
        var hash = SHA256()
        hash.update(data: full.pixels)
        hash.update(data: full.labels.map { UInt8(truncatingIfNeeded: $0) })
        checksum = hash.finalize().map { String(format: "%02x", $0) }.joined()
        if config.trainSize > full.count {
            throw RunError.dataTooSmall(key: "data.train_size", asked: config.trainSize, available: full.count,
                                        dataset: root)
        }
        if config.trainSize < full.count { full = try full.prefix(config.trainSize) }
        if config.split == .half {
            let halves = try full.split(trainFraction: 0.5)
            train = halves.train
            search = halves.search
        } else {
            train = full
            search = nil
        }
    }
}
