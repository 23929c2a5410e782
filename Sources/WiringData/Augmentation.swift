// Training augmentation and normalisation, as torchvision's
//   Compose([RandomCrop(32, padding=4), RandomHorizontalFlip(), ToTensor(), Normalize(mean, std)])
// in the reference (reference-spec §5.4); the validation transform is ToTensor + Normalize only.
//
// Goals in priority order: the same arithmetic as PyTorch (byte / 255 in the element type, then
// (x − mean) / std with mean and std rounded to the element type), determinism (every random draw
// comes from an RNG passed in, drawn in sample order before any parallel work), then speed (one
// lookup table of 256 values per channel; no intermediate padded image).
//
// Layout: an image is C×H×W bytes; the output is C×H×W elements of T. P = padding.
import WiringEngine

/// The random transforms applied to a training image before normalisation.
public struct Augmentation: Codable, Hashable, Sendable {
    /// Zero padding on every side before a random crop back to the original size; 0 disables the crop.
    public var padding: Int
    /// Whether to mirror left-right with probability 0.5.
    public var horizontalFlip: Bool

    /// Makes an augmentation.
    /// - Precondition: `padding >= 0`.
    public init(padding: Int, horizontalFlip: Bool) {
        precondition(padding >= 0, "Augmentation: negative padding \(padding)")
        self.padding = padding
        self.horizontalFlip = horizontalFlip
    }

    /// The reference's training augmentation: crop with 4 pixels of zero padding, flip with p = 0.5.
    public static let standard = Augmentation(padding: 4, horizontalFlip: true)
    /// No augmentation: the validation transform (normalise only).
    public static let none = Augmentation(padding: 0, horizontalFlip: false)

    /// Draws one image's crop offsets and flip.
    ///
    /// Draw order (fixed, so that a stored RNG state replays the same stream): `top` =
    /// `index(below: 2P + 1)`, then `left` likewise, then flip = `uniform() < 0.5`. A disabled
    /// transform draws nothing.
    public func draw(rng: inout RNG) -> AugmentationDraw {
        var result = AugmentationDraw(top: padding, left: padding, flip: false)
        if padding > 0 {
            result.top = rng.index(below: 2 * padding + 1)
            result.left = rng.index(below: 2 * padding + 1)
        }
        if horizontalFlip { result.flip = rng.uniform() < 0.5 }
        return result
    }
}

/// One image's random choices: the crop's corner in the padded image and whether to mirror.
/// `top == left == padding` with no flip is the identity.
public struct AugmentationDraw: Codable, Hashable, Sendable {
    /// Row of the padded image that becomes row 0 (in `0...2P`).
    public var top: Int
    /// Column of the padded image that becomes column 0 (in `0...2P`).
    public var left: Int
    /// Whether the crop is then mirrored left-right.
    public var flip: Bool

    /// Makes a draw.
    public init(top: Int, left: Int, flip: Bool) {
        self.top = top
        self.left = left
        self.flip = flip
    }
}

/// The shape of one image: C, H, W.
public struct ImageShape: Hashable, Sendable {
    /// Channels (C).
    public var channels: Int
    /// Height (H).
    public var height: Int
    /// Width (W).
    public var width: Int

    /// Makes a shape.
    @inlinable
    public init(channels: Int, height: Int, width: Int) {
        self.channels = channels
        self.height = height
        self.width = width
    }
}

// MARK: - Kernels

/// The normalised value of every byte, per channel: `table[c·256 + v] = (T(v) / 255 − T(mean[c])) / T(std[c])`.
///
/// NOTE: this is PyTorch's float arithmetic step by step (ToTensor divides in float32, Normalize
/// subtracts and divides by the constants converted to the tensor's dtype), so Float batches match
/// the reference bitwise. A zero-padded pixel is byte 0, i.e. `table[c·256]`.
@inlinable
public func normalisationTable<T: TensorElement>(mean: [Double], std: [Double], as: T.Type = T.self) -> [T] {
    precondition(mean.count == std.count, "normalisationTable: \(mean.count) means, \(std.count) stds")
    var table = [T](repeating: 0, count: mean.count * 256)
    for c in 0..<mean.count {
        for v in 0..<256 { table[c * 256 + v] = (T(v) / T(255) - T(mean[c])) / T(std[c]) }
    }
    return table
}

/// Crops, flips and normalises one image.
///
/// `output[c, y, x] = table[c, image[c, y', x']]` with `x₀ = flip ? W−1−x : x`, `y' = y + top − P`,
/// `x' = x₀ + left − P`, and byte 0 where `(y', x')` falls in the padding. Flipping the crop (not
/// the source) is torchvision's order: crop first, then flip.
/// - Parameters:
///   - output: C×H×W elements, overwritten.
///   - image: C×H×W bytes.
///   - table: `normalisationTable` for this data set (C×256).
///   - shape: the image shape.
///   - draw: crop corner and flip; `padding` is the P the draw was made with.
@inlinable
public func augmentImage<T: TensorElement>(
    _ output: UnsafeMutableBufferPointer<T>, _ image: UnsafeBufferPointer<UInt8>, _ table: UnsafeBufferPointer<T>,
    _ shape: ImageShape, _ draw: AugmentationDraw, padding: Int
) {
    let (C, H, W) = (shape.channels, shape.height, shape.width)
    precondition(output.count == C * H * W && image.count == C * H * W && table.count == C * 256,
                 "augmentImage: buffers do not match \(C)x\(H)x\(W)")
    let dy = draw.top - padding, dx = draw.left - padding
    for c in 0..<C {
        let plane = c * H * W, row0 = c * 256
        for y in 0..<H {
            let sy = y + dy
            for x in 0..<W {
                let sx = (draw.flip ? W - 1 - x : x) + dx
                // Padding reads as byte 0.
                let byte = sy >= 0 && sy < H && sx >= 0 && sx < W ? Int(image[plane + sy * W + sx]) : 0
                output[plane + y * W + x] = table[row0 + byte]
            }
        }
    }
}
