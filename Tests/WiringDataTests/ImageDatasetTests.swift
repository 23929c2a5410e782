import Testing
@testable import WiringData

/// Six 1×2×2 images with pixels 10·i + k and labels i mod 3.
private func tinySet() -> ImageDataset {
    ImageDataset(name: "tiny", channels: 1, height: 2, width: 2,
                 pixels: (0..<6).flatMap { i in (0..<4).map { UInt8(10 * i + $0) } },
                 labels: (0..<6).map { $0 % 3 }, numClasses: 3, mean: [0.5], std: [0.25])
}

@Test func prefixKeepsTheFirstImagesAndConstants() throws {
    let first = try tinySet().prefix(2)
    #expect(first.count == 2 && first.labels == [0, 1])
    #expect(first.pixels == [0, 1, 2, 3, 10, 11, 12, 13])
    #expect(first.mean == [0.5] && first.std == [0.25] && first.name == "tiny[0..<2]")
    #expect(try tinySet().prefix(6) == tinySet().withStatistics(mean: [0.5], std: [0.25]).subset(0..<6))
    #expect(throws: DataError.self) { try tinySet().prefix(7) }
    #expect(throws: DataError.self) { try tinySet().prefix(-1) }
}

@Test func splitIsFirstPartThenRestLikeDARTS() throws {
    let (train, search) = try tinySet().split()
    #expect(train.labels == [0, 1, 2] && search.labels == [0, 1, 2])
    #expect(train.image(0) == [0, 1, 2, 3] && search.image(0) == [30, 31, 32, 33])
    // floor(0.4 · 6) = 2 images for training, as int(np.floor(portion * num_train)).
    let (small, rest) = try tinySet().split(trainFraction: 0.4)
    #expect(small.count == 2 && rest.count == 4 && rest.image(0) == [20, 21, 22, 23])
    for bad in [0.0, 1.0, 0.1, -0.5, .nan] {
        #expect(throws: DataError.self) { try tinySet().split(trainFraction: bad) }
    }
}

@Test func channelStatisticsMatchTwoPassLoop() {
    let data = SyntheticDataset.make(count: 7, channels: 3, size: 5, classes: 2, seed: 9)
    let stats = data.channelStatistics()
    for c in 0..<3 {
        // Naive two-pass over every pixel of channel c.
        var values = [Double]()
        for i in 0..<data.count {
            for k in 0..<25 { values.append(Double(data.pixels[i * 75 + c * 25 + k]) / 255) }
        }
        let mean = values.reduce(0, +) / Double(values.count)
        let std = (values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count)).squareRoot()
        // Both sum the same terms in different orders: agreement to a few ulps of 1.
        #expect(abs(stats.mean[c] - mean) < 1e-12 && abs(stats.std[c] - std) < 1e-12)
    }
}
