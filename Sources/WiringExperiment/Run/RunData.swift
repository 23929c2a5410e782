// Loads the data set a run asks for and cuts it into the training and search parts.
import Foundation
import WiringData

/// The images a run trains and searches on.
struct RunData {
    /// Theta's batches (the first half when `split: half`, else all training images).
    let train: ImageDataset
    /// Alpha's batches for bi-level search (the second half); nil without a split.
    let search: ImageDataset?

    /// - Throws: `DataError` with the install hint when the data set is missing.
    init(_ config: DataConfig, seed: UInt64) throws {
        var full: ImageDataset
        switch config.dataset {
        case .fashionMNIST:
            full = try FashionMNIST.load(.train, root: config.root ?? FashionMNIST.defaultRoot)
        case .cifar10:
            full = try CIFAR10.load(.train, root: DataRoot.resolve(configured: config.root))
        case .synthetic:
            let s = config.synthetic ?? DataConfig.Synthetic()
            full = SyntheticDataset.make(count: s.count, channels: s.channels, size: s.size, classes: s.classes,
                                         seed: seed)
        }
        if config.trainSize > 0 && config.trainSize < full.count { full = try full.prefix(config.trainSize) }
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
