import Testing
@testable import WiringData

@Test func syntheticIsDeterministicPerSeed() {
    let a = SyntheticDataset.make(count: 20, channels: 3, size: 8, classes: 4, seed: 5)
    #expect(a == SyntheticDataset.make(count: 20, channels: 3, size: 8, classes: 4, seed: 5))
    #expect(a.pixels != SyntheticDataset.make(count: 20, channels: 3, size: 8, classes: 4, seed: 6).pixels)
    // A longer set extends a shorter one.
    #expect(Array(SyntheticDataset.make(count: 30, channels: 3, size: 8, classes: 4, seed: 5).pixels.prefix(a.pixels.count)) == a.pixels)
    #expect(a.labels == (0..<20).map { $0 % 4 })
    #expect((a.channels, a.height, a.width, a.numClasses) == (3, 8, 8, 4))
}

@Test func syntheticClassesAreLearnableByNearestMean() throws {
    // Fit class means on one half, classify the other half: a learnable set is far above chance (10%).
    let data = SyntheticDataset.make(count: 400, channels: 3, size: 12, classes: 10, seed: 3)
    let (fit, held) = try data.split()
    let d = data.imageSize
    var means = [[Double]](repeating: [Double](repeating: 0, count: d), count: 10)
    for i in 0..<fit.count {
        for (k, v) in fit.image(i).enumerated() { means[fit.labels[i]][k] += Double(v) / 20 }
    }
    var correct = 0
    for i in 0..<held.count {
        let x = held.image(i).map(Double.init)
        let distances = means.map { m in zip(m, x).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } }
        if distances.firstIndex(of: distances.min()!) == held.labels[i] { correct += 1 }
    }
    #expect(correct >= 180, "nearest-mean accuracy \(correct)/200")
}
