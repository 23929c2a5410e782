// Subsets and the train/search split. DARTS splits the CIFAR-10 training set by index: the first
// floor(portion · N) images train θ, the rest (the "search set") train α (reference-spec §5.4).

extension ImageDataset {
    /// The images with indices in `range`, in order, with this set's normalisation constants.
    /// - Throws: `DataError.invalidRequest` when `range` is not inside `0..<count`.
    public func subset(_ range: Range<Int>) throws -> ImageDataset {
        guard range.lowerBound >= 0, range.upperBound <= count else {
            throw DataError.invalidRequest(subject: name,
                                           problem: "images \(range) requested but it has only \(count); use a smaller subset")
        }
        return ImageDataset(
            name: "\(name)[\(range.lowerBound)..<\(range.upperBound)]", channels: channels, height: height,
            width: width, pixels: Array(pixels[range.lowerBound * imageSize ..< range.upperBound * imageSize]),
            labels: Array(labels[range]), numClasses: numClasses, mean: mean, std: std)
    }

    /// The first `n` images (a quick run on part of the data).
    /// - Throws: `DataError.invalidRequest` when `n` is negative or larger than `count`.
    public func prefix(_ n: Int) throws -> ImageDataset {
        guard n >= 0 else { throw DataError.invalidRequest(subject: name, problem: "subset size \(n) is negative") }
        return try subset(0..<n)
    }

    /// Splits by index as DARTS does: `train` = the first floor(fraction · count) images, `search`
    /// = the rest. `fraction = 0.5` gives DARTS's halves (25,000 / 25,000 on CIFAR-10).
    /// - Throws: `DataError.invalidRequest` when either part would be empty.
    public func split(trainFraction fraction: Double = 0.5) throws -> (train: ImageDataset, search: ImageDataset) {
        let cut = fraction.isFinite ? Int((fraction * Double(count)).rounded(.down)) : -1
        guard cut > 0, cut < count else {
            throw DataError.invalidRequest(
                subject: name,
                problem: "train fraction \(fraction) of \(count) images leaves an empty part; use a value in (0, 1)")
        }
        return (try subset(0..<cut), try subset(cut..<count))
    }
}
