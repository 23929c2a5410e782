// A small deterministic data set for tests and quick demos, no download needed. Each class has a
// fixed random prototype (a coarse 4×4 grid of grey levels per channel, scaled up to the image
// size); an image is its class prototype plus a random brightness offset and per-pixel Gaussian
// noise, rounded and clamped to bytes. The grid is coarse so that random crops of 4 pixels and
// flips keep most of the pattern: a small network learns the classes in a few epochs.
import WiringEngine

/// Generator of learnable synthetic image data sets.
public enum SyntheticDataset {
    /// Standard deviation of the per-pixel noise, in byte units.
    static let pixelNoise = 40.0
    /// Standard deviation of the per-image brightness offset, in byte units.
    static let brightnessNoise = 16.0

    /// Makes `count` images with balanced labels (`i mod classes`), determined entirely by `seed`.
    ///
    /// The prototypes come from `RNG(seed:, stream: "synthetic-prototypes")` and the images from
    /// `RNG(seed:, stream: "synthetic-images")`, so two sets with the same seed and classes share
    /// prototypes and differ only in `count` (a larger set extends a smaller one). The normalisation
    /// constants are computed from the generated pixels.
    /// - Parameters:
    ///   - count: the number of images (N).
    ///   - channels: colour channels (C).
    ///   - size: height and width (H = W).
    ///   - classes: the number of classes.
    ///   - seed: fixes prototypes and images.
    /// - Precondition: `count >= 0`, and `channels`, `size` and `classes` are positive.
    public static func make(count: Int, channels: Int = 3, size: Int = 32, classes: Int = 10, seed: UInt64) -> ImageDataset {
        precondition(count >= 0 && channels > 0 && size > 0 && classes > 0,
                     "SyntheticDataset.make(count: \(count), channels: \(channels), size: \(size), classes: \(classes))")
        let grid = min(4, size)
        var prototypeRNG = RNG(seed: seed, stream: "synthetic-prototypes")
        let levels = (0..<classes * channels * grid * grid).map { _ in prototypeRNG.uniform(16, 240) }

        var rng = RNG(seed: seed, stream: "synthetic-images")
        let plane = size * size
        var pixels = [UInt8](repeating: 0, count: count * channels * plane)
        var labels = [Int]()
        labels.reserveCapacity(count)
        for i in 0..<count {
            let label = i % classes
            labels.append(label)
            let brightness = brightnessNoise * rng.normal()
            for c in 0..<channels {
                let cell0 = (label * channels + c) * grid * grid
                for y in 0..<size {
                    for x in 0..<size {
                        // Nearest-neighbour upscaling of the prototype grid.
                        let level = levels[cell0 + (y * grid / size) * grid + x * grid / size]
                        let value = (level + brightness + pixelNoise * rng.normal()).rounded()
                        pixels[(i * channels + c) * plane + y * size + x] = UInt8(min(255, max(0, value)))
                    }
                }
            }
        }
        let placeholder = [Double](repeating: 1, count: channels)
        let raw = ImageDataset(name: "synthetic-\(seed)", channels: channels, height: size, width: size,
                               pixels: pixels, labels: labels, numClasses: classes, mean: placeholder, std: placeholder)
        let stats = raw.channelStatistics()
        // A constant image (count 0) has std 0; keep 1 so normalisation stays defined.
        return raw.withStatistics(mean: stats.mean, std: stats.std.map { $0 > 0 ? $0 : 1 })
    }
}
