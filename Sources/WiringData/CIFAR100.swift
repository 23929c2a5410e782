// CIFAR-100 (Krizhevsky 2009): 32×32 colour images, 50,000 train and 10,000 test, each with a fine
// label (100 classes) and a coarse one (20 superclasses). Binary folder `cifar-100-binary`
// (train.bin, test.bin; each record is coarse byte, fine byte, 3072 pixels) or torchvision's
// `cifar-100-python` (pickles `train`, `test` with b'fine_labels' and b'coarse_labels').

/// Loader and constants for CIFAR-100.
public enum CIFAR100 {
    /// Which of the two labels an image carries.
    public enum Labels: String, CaseIterable, Codable, Hashable, Sendable {
        /// The 100 classes (what "CIFAR-100" results usually mean).
        case fine
        /// The 20 superclasses.
        case coarse

        /// The number of classes.
        public var classes: Int { self == .fine ? 100 : 20 }
    }

    /// The binary layout's folder name inside the data root.
    public static let folderName = "cifar-100-binary"
    /// The python layout's folder name (what `torchvision.datasets.CIFAR100` unpacks).
    public static let pythonFolderName = "cifar-100-python"
    /// Per-channel (R, G, B) mean of the 50,000 training pixels scaled to [0, 1] (the constants of
    /// the DARTS code's CIFAR-100 loader, to more digits).
    public static let mean: [Double] = [0.50707516, 0.48654887, 0.44091784]
    /// Per-channel population standard deviation of the training pixels scaled to [0, 1].
    public static let std: [Double] = [0.26733429, 0.25643846, 0.27615047]
    static let side = 32

    static let format = CIFARFormat(
        binaryFolder: folderName, pythonFolder: pythonFolderName,
        binaryFiles: { [$0 == .train ? "train.bin" : "test.bin"] }, pythonFiles: { [$0.rawValue] },
        binaryLabelBytes: 2, binaryArchive: "cifar-100-binary.tar.gz", pythonArchive: "cifar-100-python.tar.gz")

    /// Loads one split from `root/cifar-100-binary`, else `root/cifar-100-python`, else `root` itself
    /// when it is one of those folders.
    /// - Parameters:
    ///   - split: `.train` (50,000 images) or `.test` (10,000), in file order.
    ///   - labels: fine (0–99, the default) or coarse (0–19).
    ///   - root: the data root, as resolved by `DataRoot.resolve(configured:environment:)`.
    /// - Returns: 3×32×32 images normalised with `mean` / `std`.
    /// - Throws: `DataError.notFound` saying where the folder belongs, or `DataError.corrupt` for a damaged file.
    public static func load(_ split: DataSplit, labels: Labels = .fine, root: String) throws -> ImageDataset {
        let which = CIFARLabels(binaryIndex: labels == .coarse ? 0 : 1, pythonKey: "\(labels.rawValue)_labels",
                                classes: labels.classes)
        let data = try loadCIFAR(format, split, labels: which, root: root)
        return ImageDataset(name: "cifar100-\(labels == .coarse ? "coarse-" : "")\(split.rawValue)", channels: 3,
                            height: side, width: side, pixels: data.pixels, labels: data.labels,
                            numClasses: labels.classes, mean: mean, std: std)
    }
}
