// CIFAR-10 (Krizhevsky 2009): 32×32 colour images of 10 classes, 50,000 train (data_batch_1 … 5,
// 10,000 each, in that order) and 10,000 test (test_batch). Read from the binary folder
// `cifar-10-batches-bin` (files `*.bin`) or from torchvision's `cifar-10-batches-py` (pickles, same
// names without `.bin`); both give the same images, labels and order (CIFARFolder.swift).

/// Loader and constants for CIFAR-10.
public enum CIFAR10 {
    /// The binary layout's folder name inside the data root.
    public static let folderName = "cifar-10-batches-bin"
    /// The python layout's folder name (what `torchvision.datasets.CIFAR10` unpacks).
    public static let pythonFolderName = "cifar-10-batches-py"
    /// Per-channel (R, G, B) mean of the training pixels scaled to [0, 1] (reference-spec §5.4).
    public static let mean: [Double] = [0.49139968, 0.48215827, 0.44653124]
    /// Per-channel (R, G, B) standard deviation of the training pixels scaled to [0, 1].
    public static let std: [Double] = [0.24703233, 0.24348505, 0.26158768]
    /// The class names, by label.
    public static let classNames = [
        "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck",
    ]
    static let side = 32

    /// The binary files of one split, in the order their records are concatenated.
    public static func fileNames(_ split: DataSplit) -> [String] {
        pythonFileNames(split).map { $0 + ".bin" }
    }

    /// The pickled files of one split (torchvision's layout), in order.
    public static func pythonFileNames(_ split: DataSplit) -> [String] {
        split == .train ? (1...5).map { "data_batch_\($0)" } : ["test_batch"]
    }

    static let format = CIFARFormat(
        binaryFolder: folderName, pythonFolder: pythonFolderName, binaryFiles: fileNames,
        pythonFiles: pythonFileNames, binaryLabelBytes: 1, binaryArchive: "cifar-10-binary.tar.gz",
        pythonArchive: "cifar-10-python.tar.gz")

    /// Loads one split from `root/cifar-10-batches-bin`, else `root/cifar-10-batches-py`, else `root`
    /// itself when it is one of those folders.
    /// - Parameters:
    ///   - split: `.train` (all five batches, 50,000 images, in file order) or `.test` (10,000).
    ///   - root: the data root, as resolved by `DataRoot.resolve(configured:environment:)`.
    /// - Returns: 3×32×32 images with labels 0–9, normalised with `mean` / `std`.
    /// - Throws: `DataError.notFound` saying where the folder belongs, or `DataError.corrupt` for a
    ///   damaged file (truncated, a label not 0–9, a pickle that is not a CIFAR batch).
    public static func load(_ split: DataSplit, root: String) throws -> ImageDataset {
        let labels = CIFARLabels(binaryIndex: 0, pythonKey: "labels", classes: classNames.count)
        let data = try loadCIFAR(format, split, labels: labels, root: root)
        return ImageDataset(name: "cifar10-\(split.rawValue)", channels: 3, height: side, width: side,
                            pixels: data.pixels, labels: data.labels, numClasses: classNames.count, mean: mean, std: std)
    }
}
