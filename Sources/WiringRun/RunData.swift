// Loads the data set a run asks for and cuts it into the training and search parts. The data root
// follows one rule (the manifest's `data.root`, then `WIRINGLAB_DATA`, then the data set's system folder),
// the run refuses a data set smaller than the manifest asks for, and what was used (root, and a
// checksum of the decoded images and labels) goes into the result file.
import Crypto
import Foundation
import WiringData
import WiringSpec

/// The images a run trains and searches on.
struct RunData {
    /// Theta's batches (the first half when `split: half`, else all training images).
    let train: ImageDataset
    /// Alpha's batches for bi-level search (the second half); nil without a split.
    let search: ImageDataset?
    /// The first `data.test_size` test images, loaded only when a phase evaluates (nil otherwise).
    let test: ImageDataset?
    /// The folder the data set was read from ("synthetic" for generated data).
    let root: String
    /// SHA-256 (hex) of the whole training split as decoded: pixels, then labels as bytes.
    let checksum: String
    /// The per-channel mean and standard deviation the images are normalised with (for npz, the
    /// statistics of the file's training images).
    let mean: [Double]
    let std: [Double]

    /// - Throws: `DataError` with the install hint when the data set is missing or damaged,
    ///   `RunError.dataTooSmall` when it has fewer images than `train_size` asks for.
    init(_ config: DataConfig, seed: UInt64, loadsTest: Bool = false) throws {
        var full: ImageDataset
        var testSet: ImageDataset?
        switch config.dataset {
        case .fashionMNIST:
            root = FashionMNIST.folder(root: DataRoot.resolve(configured: config.root, fallback: FashionMNIST.defaultRoot))
            full = try FashionMNIST.load(.train, root: root)
            if loadsTest { testSet = try FashionMNIST.load(.test, root: root) }
        case .cifar10:
            root = DataRoot.resolve(configured: config.root)
            full = try CIFAR10.load(.train, root: root)
            if loadsTest { testSet = try CIFAR10.load(.test, root: root) }
        case .cifar100:
            root = DataRoot.resolve(configured: config.root)
            full = try CIFAR100.load(.train, labels: config.labels ?? .fine, root: root)
            if loadsTest { testSet = try CIFAR100.load(.test, labels: config.labels ?? .fine, root: root) }
        case .npz:
            root = DataRoot.expandingHome(config.path ?? "")
            let sets = try NPZDataset.load(path: root)
            let found = NPZDataset.Shape(channels: sets.train.channels, size: sets.train.height, trainCount: sets.train.count,
                                         testCount: sets.test.count, classes: sets.train.numClasses)
            // The network was sized from the file when the manifest was checked; a file changed since
            // then would not fit it.
            guard found == config.npzShape else {
                throw DataError.invalidRequest(subject: root, problem: "changed since the manifest was checked (now \(found.trainCount)"
                    + " + \(found.testCount) images of \(found.channels)x\(found.size)x\(found.size), \(found.classes) classes); start the run again")
            }
            full = sets.train
            if loadsTest { testSet = sets.test }
        case .synthetic:
            root = "synthetic"
            let s = config.synthetic ?? DataConfig.Synthetic()
            full = SyntheticDataset.make(count: s.count, channels: s.channels, size: s.size, classes: s.classes,
                                         seed: seed)
            if loadsTest {
                // The images after the training ones of the same generator (same class prototypes, new
                // noise), normalised with the training set's constants.
                let longer = SyntheticDataset.make(count: 2 * s.count, channels: s.channels, size: s.size,
                                                   classes: s.classes, seed: seed)
                testSet = try longer.subset(s.count..<(2 * s.count)).withStatistics(mean: full.mean, std: full.std)
            }
        }
        if let t = testSet, config.testSize > t.count {
            throw RunError.dataTooSmall(key: "data.test_size", asked: config.testSize, available: t.count, dataset: root)
        }
        test = try testSet.map { config.testSize < $0.count ? try $0.prefix(config.testSize) : $0 }
        var hash = SHA256()
        hash.update(data: full.pixels)
        hash.update(data: full.labels.map { UInt8(truncatingIfNeeded: $0) })
        checksum = hash.finalize().map { String(format: "%02x", $0) }.joined()
        (mean, std) = (full.mean, full.std)
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
