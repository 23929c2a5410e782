// CIFAR-10 (Krizhevsky 2009), binary version: folder `cifar-10-batches-bin` with
// data_batch_1.bin … data_batch_5.bin (10,000 images each) and test_batch.bin. Each record is
// 1 label byte followed by 3072 pixel bytes, 1024 red, 1024 green, 1024 blue, rows top to bottom:
// exactly the CHW layout ImageDataset stores.

/// Loader and constants for CIFAR-10.
public enum CIFAR10 {
    /// The folder name inside the data root.
    public static let folderName = "cifar-10-batches-bin"
    /// Per-channel (R, G, B) mean of the training pixels scaled to [0, 1] (reference-spec §5.4).
    public static let mean: [Double] = [0.49139968, 0.48215827, 0.44653124]
    /// Per-channel (R, G, B) standard deviation of the training pixels scaled to [0, 1].
    public static let std: [Double] = [0.24703233, 0.24348505, 0.26158768]
    /// The class names, by label.
    public static let classNames = [
        "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck",
    ]
    static let side = 32
    static let recordSize = 1 + 3 * 32 * 32

    /// The files of one split, in the order their records are concatenated.
    public static func fileNames(_ split: DataSplit) -> [String] {
        split == .train ? (1...5).map { "data_batch_\($0).bin" } : ["test_batch.bin"]
    }

    /// Loads one split from `root/cifar-10-batches-bin` (or from `root` itself when it is that folder).
    /// - Parameters:
    ///   - split: `.train` (all five batches, 50,000 images, in file order) or `.test` (10,000).
    ///   - root: the data root, as resolved by `DataRoot.resolve(configured:environment:)`.
    /// - Returns: 3×32×32 images with labels 0–9, normalised with `mean` / `std`.
    /// - Throws: `DataError.notFound` saying where the folder belongs, or `DataError.corrupt` for a
    ///   file whose size is not a whole number of records or whose label is not 0–9.
    public static func load(_ split: DataSplit, root: String) throws -> ImageDataset {
        let folder = directoryExists(joinPath(root, folderName)) || !pathExists(joinPath(root, fileNames(split)[0]))
            ? joinPath(root, folderName) : root
        let missingFix = "download https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz and unpack it in \(root)"
            + " (giving \(joinPath(root, folderName))), or set data.root or WIRINGLAB_DATA to the folder that holds \(folderName)"
        let damagedFix = "download and unpack cifar-10-binary.tar.gz again"
        var pixels = [UInt8](), labels = [Int]()
        for name in fileNames(split) {
            let path = joinPath(folder, name)
            let bytes = try readWholeFile(path, missingFix: missingFix)
            guard !bytes.isEmpty, bytes.count % recordSize == 0 else {
                throw DataError.corrupt(path: path, problem: "truncated: \(bytes.count) bytes is not a whole number of \(recordSize)-byte records", fix: damagedFix)
            }
            let records = bytes.count / recordSize
            pixels.reserveCapacity(pixels.count + records * (recordSize - 1))
            for r in 0..<records {
                let label = Int(bytes[r * recordSize])
                guard label < classNames.count else {
                    throw DataError.corrupt(path: path, problem: "record \(r) has label \(label), not in 0..<10", fix: damagedFix)
                }
                labels.append(label)
                pixels.append(contentsOf: bytes[r * recordSize + 1 ..< (r + 1) * recordSize])
            }
        }
        return ImageDataset(name: "cifar10-\(split.rawValue)", channels: 3, height: side, width: side,
                            pixels: pixels, labels: labels, numClasses: classNames.count, mean: mean, std: std)
    }
}
