// Batches for training and evaluation. The loader is split in two: a non-generic sampler that
// decides which images come next and draws their augmentation (all randomness, all state), and
// an @inlinable assembly step that turns bytes into a Tensor<T> (specialised in the caller).
//
// Its whole state is a Codable `LoaderPosition`, so a checkpointed run resumes with bitwise the
// same batches. The permutation itself is not stored: the position keeps the RNG state that made
// it, and restoring regenerates it.
import WiringEngine

/// How a loader walks its data set.
public enum SamplingMode: String, Codable, CaseIterable, Hashable, Sendable {
    /// Index order every epoch (validation).
    case sequential
    /// A fresh random permutation every epoch; each image appears once per epoch (θ training).
    case shuffled
    /// Every step a fresh random batch of distinct images, drawn independently of earlier steps, so
    /// images repeat across steps. This is DARTS's `next(iter(valid_queue))` over a
    /// SubsetRandomSampler: the first B entries of a new permutation (reference-spec §5.3). No epochs.
    case randomBatches = "random-batches"
}

/// Everything needed to continue a loader exactly where it stopped.
public struct LoaderPosition: Codable, Hashable, Sendable {
    /// The epoch the next batch belongs to (0-based; always 0 for `.randomBatches`).
    public var epoch: Int
    /// Batches already returned in this epoch (for `.randomBatches`: steps taken so far).
    public var batchIndex: Int
    /// The generator state that makes this epoch's permutation (`.randomBatches`: the next batch's draw).
    public var orderRNG: RNG
    /// The generator state for the next image's augmentation draw.
    public var augmentationRNG: RNG
    /// The data set size this position belongs to (checked on restore).
    public var sampleCount: Int
    /// The batch size this position belongs to (checked on restore).
    public var batchSize: Int
    /// The sampling mode this position belongs to (checked on restore).
    public var mode: SamplingMode
}

/// The images of one batch and their augmentation, chosen before any pixel is touched.
@usableFromInline
struct BatchPlan {
    @usableFromInline var indices: [Int]
    @usableFromInline var draws: [AugmentationDraw]
    /// The padding the draws were made with.
    @usableFromInline var padding: Int
}

/// The non-generic half of `BatchLoader`: order, position and random draws.
@usableFromInline
struct BatchSampler {
    let count: Int
    let dropLast: Bool
    let augmentation: Augmentation
    private(set) var position: LoaderPosition
    /// This epoch's order of image indices.
    private var order: [Int] = []
    /// `position.orderRNG` after making `order`: the next epoch's `orderRNG`.
    private var nextOrderRNG: RNG

    init(count: Int, batchSize: Int, mode: SamplingMode, dropLast: Bool, augmentation: Augmentation,
         orderRNG: RNG, augmentationRNG: RNG) {
        self.count = count
        self.dropLast = dropLast
        self.augmentation = augmentation
        position = LoaderPosition(epoch: 0, batchIndex: 0, orderRNG: orderRNG, augmentationRNG: augmentationRNG,
                                  sampleCount: count, batchSize: batchSize, mode: mode)
        nextOrderRNG = orderRNG
        startEpoch()
    }

    var batchesPerEpoch: Int {
        let b = position.batchSize
        return dropLast ? count / b : (count + b - 1) / b
    }

    /// Makes `order` from `position.orderRNG` (sequential: index order, RNG untouched).
    private mutating func startEpoch() {
        nextOrderRNG = position.orderRNG
        switch position.mode {
        case .sequential, .randomBatches: order = Array(0..<count)
        case .shuffled: order = nextOrderRNG.permutation(count)
        }
    }

    mutating func restore(_ saved: LoaderPosition) throws {
        func mismatch(_ what: String) -> DataError {
            .invalidRequest(subject: "loader position", problem: "\(what); it was saved for another data set or setting")
        }
        guard saved.sampleCount == count else { throw mismatch("saved for \(saved.sampleCount) images, loader has \(count)") }
        guard saved.batchSize == position.batchSize else { throw mismatch("batch size \(saved.batchSize) != \(position.batchSize)") }
        guard saved.mode == position.mode else { throw mismatch("mode \(saved.mode.rawValue) != \(position.mode.rawValue)") }
        guard saved.epoch >= 0, saved.batchIndex >= 0,
              saved.mode == .randomBatches || saved.batchIndex <= batchesPerEpoch
        else { throw mismatch("epoch \(saved.epoch), batch \(saved.batchIndex) is out of range") }
        position = saved
        startEpoch()
    }

    /// The next batch's images and draws, or nil at the end of an epoch (which starts the next one).
    @usableFromInline
    mutating func nextPlan() -> BatchPlan? {
        let b = position.batchSize
        var indices: [Int]
        if position.mode == .randomBatches {
            // First B entries of a fresh Fisher-Yates shuffle (distinct within the batch).
            var pool = Array(0..<count)
            for i in 0..<b { pool.swapAt(i, i + position.orderRNG.index(below: count - i)) }
            indices = Array(pool[0..<b])
        } else {
            guard position.batchIndex < batchesPerEpoch else {
                position.epoch += 1
                position.batchIndex = 0
                position.orderRNG = nextOrderRNG
                startEpoch()
                return nil
            }
            let start = position.batchIndex * b
            indices = Array(order[start..<min(start + b, count)])
        }
        position.batchIndex += 1
        // Draws in sample order, so the stream does not depend on how assembly is parallelised.
        let draws = indices.map { _ in augmentation.draw(rng: &position.augmentationRNG) }
        return BatchPlan(indices: indices, draws: draws, padding: augmentation.padding)
    }
}

/// Iterates a data set in batches of `[B, C, H, W]` tensors with labels, augmented and normalised.
///
/// `.sequential` and `.shuffled` loaders return nil once at the end of each epoch, so
/// `while let batch = loader.next() { … }` runs one epoch; the next call starts the next epoch.
/// `.randomBatches` loaders never return nil.
public struct BatchLoader<T: TensorElement> {
    /// The images being iterated.
    public let dataset: ImageDataset
    @usableFromInline var sampler: BatchSampler

    /// Makes a loader.
    /// - Parameters:
    ///   - dataset: the images.
    ///   - batchSize: images per batch (B).
    ///   - mode: index order, a new permutation per epoch, or a random batch per step.
    ///   - dropLast: drop an epoch's last batch when it has fewer than B images (else it is partial).
    ///   - augmentation: `.standard` for training, `.none` (default) for the validation transform.
    ///   - orderRNG: the generator for permutations and random batches.
    ///   - augmentationRNG: the generator for crops and flips.
    /// - Throws: `DataError.invalidRequest` for a non-positive batch size, an empty data set, or a
    ///   `.randomBatches` batch larger than the data set.
    public init(dataset: ImageDataset, batchSize: Int, mode: SamplingMode, dropLast: Bool = false,
                augmentation: Augmentation = .none, orderRNG: RNG, augmentationRNG: RNG) throws {
        func invalid(_ problem: String) -> DataError { .invalidRequest(subject: dataset.name, problem: problem) }
        guard batchSize > 0 else { throw invalid("batch size \(batchSize) must be positive") }
        guard dataset.count > 0 else { throw invalid("no images to load") }
        guard mode != .randomBatches || batchSize <= dataset.count else {
            throw invalid("a random batch of \(batchSize) needs at least that many images, it has \(dataset.count)")
        }
        self.dataset = dataset
        sampler = BatchSampler(count: dataset.count, batchSize: batchSize, mode: mode, dropLast: dropLast,
                               augmentation: augmentation, orderRNG: orderRNG, augmentationRNG: augmentationRNG)
    }

    /// Makes a loader whose two generators are the streams "data-order" and "augmentation" of `seed`.
    public init(dataset: ImageDataset, batchSize: Int, mode: SamplingMode, dropLast: Bool = false,
                augmentation: Augmentation = .none, seed: UInt64) throws {
        try self.init(dataset: dataset, batchSize: batchSize, mode: mode, dropLast: dropLast,
                      augmentation: augmentation, orderRNG: RNG(seed: seed, stream: "data-order"),
                      augmentationRNG: RNG(seed: seed, stream: "augmentation"))
    }

    /// Images per batch (B).
    public var batchSize: Int { sampler.position.batchSize }
    /// The sampling mode.
    public var mode: SamplingMode { sampler.position.mode }
    /// Whether an epoch's partial last batch is dropped.
    public var dropLast: Bool { sampler.dropLast }
    /// The augmentation applied before normalisation.
    public var augmentation: Augmentation { sampler.augmentation }
    /// Batches in one epoch: ⌈N / B⌉, or ⌊N / B⌋ with `dropLast`.
    public var batchesPerEpoch: Int { sampler.batchesPerEpoch }

    /// The loader's full state; store it in a checkpoint and pass it to `restore(_:)` to resume.
    public var position: LoaderPosition { sampler.position }

    /// Continues from a stored position: the following batches are bitwise those the original
    /// loader would have returned.
    /// - Throws: `DataError.invalidRequest` when the position belongs to another data set size,
    ///   batch size or mode, or is out of range.
    public mutating func restore(_ position: LoaderPosition) throws { try sampler.restore(position) }

    /// The next batch: images `[B, C, H, W]` (B may be smaller for an epoch's last batch) and
    /// their labels; nil once at the end of each epoch (never for `.randomBatches`).
    @inlinable
    public mutating func next() -> (images: Tensor<T>, labels: [Int])? {
        guard let plan = sampler.nextPlan() else { return nil }
        return dataset.batch(indices: plan.indices, draws: plan.draws, padding: plan.padding)
    }
}

// MARK: - Assembly

extension ImageDataset {
    /// Builds one batch from chosen images: crop and flip each by its draw, scale to [0, 1] and
    /// normalise with this set's `mean` / `std`.
    /// - Parameters:
    ///   - indices: the images, in batch order.
    ///   - draws: one augmentation draw per image (`AugmentationDraw(top: padding, left: padding,
    ///     flip: false)` leaves an image unchanged).
    ///   - padding: the P the draws were made with.
    /// - Returns: images `[B, C, H, W]` and their labels.
    @inlinable
    public func batch<T: TensorElement>(indices: [Int], draws: [AugmentationDraw], padding: Int,
                                        as: T.Type = T.self) -> (images: Tensor<T>, labels: [Int]) {
        precondition(indices.count == draws.count, "ImageDataset.batch: \(indices.count) images, \(draws.count) draws")
        let table: [T] = normalisationTable(mean: mean, std: std)
        let shape = ImageShape(channels: channels, height: height, width: width)
        let size = imageSize
        var images = Tensor<T>(zeros: [indices.count, channels, height, width])
        images.withUnsafeMutableBufferPointer { out in
            pixels.withUnsafeBufferPointer { px in
                table.withUnsafeBufferPointer { table in
                    // Each image writes its own slice: bitwise the same for any thread count.
                    Parallel.forEach(indices.count) { i in
                        let source = indices[i] * size
                        augmentImage(UnsafeMutableBufferPointer(rebasing: out[i * size ..< (i + 1) * size]),
                                     UnsafeBufferPointer(rebasing: px[source ..< source + size]),
                                     table, shape, draws[i], padding: padding)
                    }
                }
            }
        }
        return (images, indices.map { labels[$0] })
    }
}
