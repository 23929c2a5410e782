// Fashion-MNIST (Xiao et al. 2017): 28×28 grey images of 10 kinds of clothing, 60,000 train and
// 10,000 test, in the idx format, gzipped. Debian's `dataset-fashion-mnist` package installs them
// in /usr/share/datasets/fashion-mnist; an uncompressed copy (no .gz) is read as well.

/// Loader and constants for Fashion-MNIST.
public enum FashionMNIST {
    /// Where Debian's `dataset-fashion-mnist` package puts the files.
    public static let defaultRoot = "/usr/share/datasets/fashion-mnist"
    /// Mean of the training pixels scaled to [0, 1] (the widely used 0.2860).
    public static let mean: [Double] = [0.2860]
    /// Standard deviation of the training pixels scaled to [0, 1] (the widely used 0.3530).
    public static let std: [Double] = [0.3530]
    /// The class names, by label.
    public static let classNames = [
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
    ]
    static let side = 28

    /// The folder holding the files under a data root: `root/fashion-mnist` when that folder exists (so one
    /// root can hold several data sets), else `root` itself.
    public static func folder(root: String) -> String {
        directoryExists(joinPath(root, "fashion-mnist")) ? joinPath(root, "fashion-mnist") : root
    }

    /// Loads one split: `{train,t10k}-images-idx3-ubyte.gz` and `…-labels-idx1-ubyte.gz` from `root`.
    /// - Parameters:
    ///   - split: `.train` (60,000 images) or `.test` (10,000).
    ///   - root: the folder holding the four files, or a data root with a `fashion-mnist` folder
    ///     (as resolved by `DataRoot.resolve(configured:fallback:environment:)`).
    /// - Returns: 1×28×28 images with labels 0–9, normalised with `mean` / `std`.
    /// - Throws: `DataError.notFound` with the install hint, or `DataError.corrupt` for a damaged file.
    public static func load(_ split: DataSplit, root: String = defaultRoot) throws -> ImageDataset {
        let root = folder(root: root)
        let prefix = split == .train ? "train" : "t10k"
        let images = try readIDX(root: root, name: "\(prefix)-images-idx3-ubyte", rank: 3)
        let labels = try readIDX(root: root, name: "\(prefix)-labels-idx1-ubyte", rank: 1)
        let fix = "download it again or reinstall dataset-fashion-mnist"
        guard images.array.dimensions[1] == side, images.array.dimensions[2] == side else {
            throw DataError.corrupt(path: images.path, problem: "images are \(images.array.dimensions[1])x\(images.array.dimensions[2]), expected 28x28", fix: fix)
        }
        guard images.array.dimensions[0] == labels.array.dimensions[0] else {
            throw DataError.corrupt(path: labels.path, problem: "\(labels.array.dimensions[0]) labels for \(images.array.dimensions[0]) images", fix: fix)
        }
        if let bad = labels.array.bytes.first(where: { $0 >= classNames.count }) {
            throw DataError.corrupt(path: labels.path, problem: "label \(bad) is not in 0..<10", fix: fix)
        }
        return ImageDataset(
            name: "fashion-mnist-\(split.rawValue)", channels: 1, height: side, width: side,
            pixels: images.array.bytes, labels: labels.array.bytes.map(Int.init),
            numClasses: classNames.count, mean: mean, std: std)
    }

    /// Reads `root/name.gz`, or `root/name` when only the uncompressed file is there.
    private static func readIDX(root: String, name: String, rank: Int) throws -> (array: IDXArray, path: String) {
        let gzPath = joinPath(root, name + ".gz"), plainPath = joinPath(root, name)
        let fix = "download it again or reinstall dataset-fashion-mnist"
        if !pathExists(gzPath) && pathExists(plainPath) {
            let bytes = try readWholeFile(plainPath, missingFix: "")
            return (try parseIDX(bytes, rank: rank, path: plainPath, fix: fix), plainPath)
        }
        let compressed = try readWholeFile(
            gzPath, missingFix: "install it with 'apt-get install dataset-fashion-mnist', or set data.root or "
                + "\(DataRoot.environmentVariable) to the folder that holds it")
        let bytes = try gunzip(compressed, path: gzPath, fix: fix)
        return (try parseIDX(bytes, rank: rank, path: gzPath, fix: fix), gzPath)
    }
}
