import Foundation
import Testing
import WiringEngine
@testable import WiringData

/// N one-pixel images whose label is their index (numClasses = N) and whose byte is 10·index,
/// so a batch shows exactly which images it holds.
private func indexedSet(_ n: Int) -> ImageDataset {
    ImageDataset(name: "indexed", channels: 1, height: 1, width: 1, pixels: (0..<n).map { UInt8(10 * $0) },
                 labels: Array(0..<n), numClasses: n, mean: [0], std: [1])
}

/// Every batch of one epoch (until `next()` returns nil).
private func epoch<T>(_ loader: inout BatchLoader<T>) -> [(images: Tensor<T>, labels: [Int])] {
    var batches = [(images: Tensor<T>, labels: [Int])]()
    while let b = loader.next() { batches.append(b) }
    return batches
}

@Test func shuffledEpochsArePermutationsCoveringEverySampleOnce() throws {
    var loader = try BatchLoader<Double>(dataset: indexedSet(10), batchSize: 4, mode: .shuffled, seed: 7)
    #expect(loader.batchesPerEpoch == 3)
    var orders = [[Int]]()
    for e in 0..<3 {
        #expect(loader.position.epoch == e)
        let batches = epoch(&loader)
        #expect(batches.map { $0.labels.count } == [4, 4, 2])  // last batch partial
        let order = batches.flatMap { $0.labels }
        #expect(order.sorted() == Array(0..<10))
        // Each image is its own pixel: byte 10·i, scaled to [0, 1].
        for b in batches {
            #expect(b.images.shape == [b.labels.count, 1, 1, 1])
            #expect(b.images.scalars == b.labels.map { Double(10 * $0) / 255 })
        }
        orders.append(order)
    }
    #expect(Set(orders).count == 3, "each epoch draws a new order: \(orders)")
}

@Test func dropLastSkipsThePartialBatch() throws {
    var loader = try BatchLoader<Float>(dataset: indexedSet(10), batchSize: 4, mode: .shuffled, dropLast: true, seed: 1)
    #expect(loader.batchesPerEpoch == 2)
    let labels = epoch(&loader).map { $0.labels }
    #expect(labels.map(\.count) == [4, 4] && Set(labels.flatMap { $0 }).count == 8)
}

@Test func sequentialModeKeepsIndexOrderEveryEpoch() throws {
    var loader = try BatchLoader<Float>(dataset: indexedSet(5), batchSize: 2, mode: .sequential, seed: 1)
    for _ in 0..<2 { #expect(epoch(&loader).map { $0.labels } == [[0, 1], [2, 3], [4]]) }
}

@Test func sameSeedSameBatchesOtherSeedOtherBatches() throws {
    let data = SyntheticDataset.make(count: 12, channels: 3, size: 6, classes: 3, seed: 2)
    func twoEpochs(seed: UInt64) throws -> [(images: Tensor<Float>, labels: [Int])] {
        var loader = try BatchLoader<Float>(dataset: data, batchSize: 5, mode: .shuffled, augmentation: .standard, seed: seed)
        return epoch(&loader) + epoch(&loader)
    }
    let a = try twoEpochs(seed: 11), b = try twoEpochs(seed: 11), c = try twoEpochs(seed: 12)
    #expect(a.count == 6 && zip(a, b).allSatisfy { $0.images == $1.images && $0.labels == $1.labels })
    #expect(!zip(a, c).allSatisfy { $0.images == $1.images })
}

@Test func loaderImagesAreAugmentedAndNormalisedPerSample() throws {
    // Oracle: the documented draw order on the "augmentation" stream, then pad, crop, flip and
    // normalise written out with plain arrays in Float, as torchvision does.
    let data = SyntheticDataset.make(count: 6, channels: 2, size: 5, classes: 2, seed: 4)
    let augmentation = Augmentation(padding: 2, horizontalFlip: true)
    var loader = try BatchLoader<Float>(dataset: data, batchSize: 6, mode: .sequential, augmentation: augmentation, seed: 8)
    let next = loader.next()
    let batch = try #require(next)
    var rng = RNG(seed: 8, stream: "augmentation")
    var expected = [Float]()
    for i in 0..<6 {
        let top = rng.index(below: 5), left = rng.index(below: 5), flip = rng.uniform() < 0.5
        for c in 0..<2 {
            for y in 0..<5 {
                for x0 in 0..<5 {
                    let x = flip ? 4 - x0 : x0
                    let (sy, sx) = (y + top - 2, x + left - 2)
                    let byte = (0..<5).contains(sy) && (0..<5).contains(sx) ? data.pixels[i * 50 + c * 25 + sy * 5 + sx] : 0
                    expected.append((Float(byte) / 255 - Float(data.mean[c])) / Float(data.std[c]))
                }
            }
        }
    }
    #expect(batch.images.shape == [6, 2, 5, 5])
    #expect(batch.images.scalars == expected)
    #expect(batch.labels == data.labels)
}

@Test func restoredPositionGivesIdenticalNextBatches() throws {
    let data = SyntheticDataset.make(count: 10, channels: 3, size: 6, classes: 5, seed: 3)
    for mode in [SamplingMode.shuffled, .randomBatches, .sequential] {
        var original = try BatchLoader<Float>(dataset: data, batchSize: 4, mode: mode, augmentation: .standard, seed: 21)
        // Save after 0…7 calls: mid-epoch, just before and just after an epoch's nil.
        for saveAfter in 0..<8 {
            var a = original
            for _ in 0..<saveAfter { _ = a.next() }
            let saved = try JSONEncoder().encode(a.position)
            // Another seed: everything that matters must come from the position.
            var b = try BatchLoader<Float>(dataset: data, batchSize: 4, mode: mode, augmentation: .standard, seed: 99)
            try b.restore(JSONDecoder().decode(LoaderPosition.self, from: saved))
            for step in 0..<7 {
                let x = a.next(), y = b.next()
                #expect(x?.images == y?.images && x?.labels == y?.labels, "\(mode) saved after \(saveAfter), step \(step)")
            }
        }
        _ = original.next()
    }
}

@Test func restoreRejectsAPositionFromAnotherSetting() throws {
    let saved = try BatchLoader<Float>(dataset: indexedSet(10), batchSize: 4, mode: .shuffled, seed: 1).position
    var other = try BatchLoader<Float>(dataset: indexedSet(9), batchSize: 4, mode: .shuffled, seed: 1)
    #expect(throws: DataError.self) { try other.restore(saved) }
    var otherBatch = try BatchLoader<Float>(dataset: indexedSet(10), batchSize: 5, mode: .shuffled, seed: 1)
    #expect(throws: DataError.self) { try otherBatch.restore(saved) }
}

@Test func randomBatchesAreDistinctWithinAndRepeatAcrossSteps() throws {
    var loader = try BatchLoader<Float>(dataset: indexedSet(10), batchSize: 6, mode: .randomBatches, seed: 5)
    var seen = [Int](repeating: 0, count: 10)
    for _ in 0..<50 {
        let next = loader.next()
        let batch = try #require(next)
        #expect(batch.labels.count == 6 && Set(batch.labels).count == 6)
        for i in batch.labels { seen[i] += 1 }
    }
    // 300 draws over 10 images: every image appears, far more than once (an epoch would give 1 each per 10).
    #expect(seen.allSatisfy { $0 > 10 }, "\(seen)")
    #expect(loader.position.batchIndex == 50 && loader.position.epoch == 0)
    #expect(throws: DataError.self) { try BatchLoader<Float>(dataset: indexedSet(3), batchSize: 4, mode: .randomBatches, seed: 1) }
    #expect(throws: DataError.self) { try BatchLoader<Float>(dataset: indexedSet(3), batchSize: 0, mode: .shuffled, seed: 1) }
}

@Test func batchesAreBitwiseEqualForOneAndTwoThreads() throws {
    let data = SyntheticDataset.make(count: 9, channels: 3, size: 8, classes: 3, seed: 6)
    func run(threads: Int) throws -> [Tensor<Float>] {
        var loader = try BatchLoader<Float>(dataset: data, batchSize: 4, mode: .shuffled, augmentation: .standard, seed: 3)
        return Parallel.$threads.withValue(threads) { epoch(&loader).map { $0.images } }
    }
    #expect(try run(threads: 1) == run(threads: 2))
}
