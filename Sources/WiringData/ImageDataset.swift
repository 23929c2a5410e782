// A labelled image data set held in memory as bytes: 1 byte per pixel value, CHW per image,
// images one after another (so a batch is NCHW after conversion). CIFAR-10's 50k training images
// take 150 MB this way, a quarter of what Float would need.

/// Which part of a data set's official split to load.
public enum DataSplit: String, Codable, CaseIterable, Hashable, Sendable {
    /// The training images (CIFAR-10: 50,000; Fashion-MNIST: 60,000).
    case train
    /// The test images (10,000 for both).
    case test
}

/// N labelled images of equal shape, stored compactly as bytes, with the per-channel mean and
/// standard deviation used to normalise them (reference-spec §5.4).
public struct ImageDataset: Equatable, Sendable {
    /// A short label for logs and errors, e.g. `cifar10-train` or `cifar10-train[0..<25000]`.
    public let name: String
    /// Colour channels per image (C).
    public let channels: Int
    /// Image height in pixels (H).
    public let height: Int
    /// Image width in pixels (W).
    public let width: Int
    /// All pixel values, `count × channels × height × width`, image-major, then CHW, row-major.
    public let pixels: [UInt8]
    /// The class of each image, in `0..<numClasses`.
    public let labels: [Int]
    /// The number of classes.
    public let numClasses: Int
    /// Per-channel mean of the pixel values scaled to [0, 1], subtracted when normalising.
    public let mean: [Double]
    /// Per-channel standard deviation of the scaled pixel values, divided by when normalising.
    public let std: [Double]

    /// Makes a data set from bytes already in CHW order.
    /// - Precondition: `pixels.count == labels.count × channels × height × width`, every label in
    ///   `0..<numClasses`, and `mean` and `std` have one positive-std entry per channel.
    public init(name: String, channels: Int, height: Int, width: Int, pixels: [UInt8], labels: [Int],
                numClasses: Int, mean: [Double], std: [Double]) {
        precondition(channels > 0 && height > 0 && width > 0, "ImageDataset(\(name)): empty image shape")
        precondition(pixels.count == labels.count * channels * height * width,
                     "ImageDataset(\(name)): \(pixels.count) bytes for \(labels.count) images of \(channels)x\(height)x\(width)")
        precondition(labels.allSatisfy { (0..<numClasses).contains($0) },
                     "ImageDataset(\(name)): a label is outside 0..<\(numClasses)")
        precondition(mean.count == channels && std.count == channels && std.allSatisfy { $0 > 0 },
                     "ImageDataset(\(name)): need \(channels) means and positive stds")
        self.name = name
        self.channels = channels
        self.height = height
        self.width = width
        self.pixels = pixels
        self.labels = labels
        self.numClasses = numClasses
        self.mean = mean
        self.std = std
    }

    /// The number of images (N).
    public var count: Int { labels.count }

    /// Bytes per image: C·H·W.
    public var imageSize: Int { channels * height * width }

    /// The CHW bytes of image `index`.
    public func image(_ index: Int) -> ArraySlice<UInt8> {
        precondition(index >= 0 && index < count, "ImageDataset(\(name)): image \(index) of \(count)")
        return pixels[index * imageSize ..< (index + 1) * imageSize]
    }

    /// The per-channel mean and population standard deviation of the pixel values scaled to [0, 1]
    /// (the way the CIFAR-10 constants were computed: over every pixel of every image).
    ///
    /// A 256-bin histogram per channel makes this exact up to Double rounding and independent of
    /// the image order.
    public func channelStatistics() -> (mean: [Double], std: [Double]) {
        var histogram = [Int](repeating: 0, count: channels * 256)
        let plane = height * width
        pixels.withUnsafeBufferPointer { p in
            histogram.withUnsafeMutableBufferPointer { h in
                for image in 0..<count {
                    for c in 0..<channels {
                        let start = (image * channels + c) * plane
                        for i in start..<start + plane { h[c * 256 + Int(p[i])] += 1 }
                    }
                }
            }
        }
        let total = Double(count * plane)
        var means = [Double](), stds = [Double]()
        for c in 0..<channels {
            let bins = histogram[c * 256 ..< (c + 1) * 256]
            let mean = zip(0..., bins).reduce(0.0) { $0 + Double($1.0) / 255 * Double($1.1) } / total
            let variance = zip(0..., bins).reduce(0.0) { acc, bin in
                let d = Double(bin.0) / 255 - mean
                return acc + d * d * Double(bin.1)
            } / total
            means.append(mean)
            stds.append(variance.squareRoot())
        }
        return (means, stds)
    }

    /// The same images with other normalisation constants (e.g. computed by `channelStatistics()`).
    public func withStatistics(mean: [Double], std: [Double]) -> ImageDataset {
        ImageDataset(name: name, channels: channels, height: height, width: width, pixels: pixels,
                     labels: labels, numClasses: numClasses, mean: mean, std: std)
    }
}
