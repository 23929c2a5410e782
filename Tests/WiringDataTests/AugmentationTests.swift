import Testing
import WiringEngine
@testable import WiringData

/// Runs `augmentImage` on a 1×3×4 image with bytes 1…12 and the table byte / 255 (mean 0, std 1),
/// returning the output scaled back to bytes.
private func augment3x4(_ draw: AugmentationDraw, padding: Int) -> [[Int]] {
    let image = (1...12).map(UInt8.init)
    let table: [Double] = normalisationTable(mean: [0], std: [1])
    var out = [Double](repeating: -1, count: 12)
    out.withUnsafeMutableBufferPointer { o in
        image.withUnsafeBufferPointer { i in
            table.withUnsafeBufferPointer { t in
                augmentImage(o, i, t, ImageShape(channels: 1, height: 3, width: 4), draw, padding: padding)
            }
        }
    }
    let bytes = out.map { Int(($0 * 255).rounded()) }
    return (0..<3).map { Array(bytes[$0 * 4 ..< $0 * 4 + 4]) }
}

// The source image:   1  2  3  4
//                     5  6  7  8
//                     9 10 11 12
@Test func cropOffsetsAndFlipMoveThePixelsByHand() {
    // Identity: the crop corner at (P, P), no flip.
    #expect(augment3x4(AugmentationDraw(top: 2, left: 2, flip: false), padding: 2) == [[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12]])
    // Corner (0, 0) of the 1-padded image: one zero row on top and one zero column on the left.
    #expect(augment3x4(AugmentationDraw(top: 0, left: 0, flip: false), padding: 1) == [[0, 0, 0, 0], [0, 1, 2, 3], [0, 5, 6, 7]])
    // Corner (2, 2) with padding 1: shifted up-left, zeros enter at the bottom and the right.
    #expect(augment3x4(AugmentationDraw(top: 2, left: 2, flip: false), padding: 1) == [[6, 7, 8, 0], [10, 11, 12, 0], [0, 0, 0, 0]])
    // Mirror only.
    #expect(augment3x4(AugmentationDraw(top: 1, left: 1, flip: true), padding: 1) == [[4, 3, 2, 1], [8, 7, 6, 5], [12, 11, 10, 9]])
    // Crop first (corner (2, 0) of the 1-padded image), then mirror the crop.
    #expect(augment3x4(AugmentationDraw(top: 2, left: 0, flip: true), padding: 1) == [[7, 6, 5, 0], [11, 10, 9, 0], [0, 0, 0, 0]])
    // A crop entirely in the padding (P larger than the image).
    #expect(augment3x4(AugmentationDraw(top: 0, left: 0, flip: false), padding: 4) == [[0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]])
}

@Test func augmentationMatchesPadCropFlipOnArrays() {
    // Oracle: build the zero-padded image as nested arrays, crop, then reverse each row.
    let (C, H, W, P) = (2, 5, 6, 4)
    let image = (0..<C * H * W).map { UInt8(($0 * 29 + 3) % 256) }
    let table: [Double] = normalisationTable(mean: [0, 0], std: [1, 1])
    for top in 0...2 * P {
        for left in 0...2 * P {
            for flip in [false, true] {
                var expected = [Double]()
                for c in 0..<C {
                    var padded = [[Int]](repeating: [Int](repeating: 0, count: W + 2 * P), count: H + 2 * P)
                    for y in 0..<H { for x in 0..<W { padded[y + P][x + P] = Int(image[(c * H + y) * W + x]) } }
                    for y in 0..<H {
                        let row = Array(padded[y + top][left ..< left + W])
                        expected += (flip ? row.reversed() : row).map { Double($0) / 255 }
                    }
                }
                var out = [Double](repeating: -1, count: C * H * W)
                out.withUnsafeMutableBufferPointer { o in
                    image.withUnsafeBufferPointer { i in
                        table.withUnsafeBufferPointer { t in
                            augmentImage(o, i, t, ImageShape(channels: C, height: H, width: W),
                                         AugmentationDraw(top: top, left: left, flip: flip), padding: P)
                        }
                    }
                }
                #expect(out == expected, "top \(top) left \(left) flip \(flip)")
            }
        }
    }
}

@Test func normalisationValuesMatchHandComputation() {
    let table: [Double] = normalisationTable(mean: [0.5, 0.49139968], std: [0.25, 0.24703233])
    // Channel 0: (v/255 − 0.5) / 0.25.
    #expect(table[0] == -2 && table[255] == 2)
    #expect(abs(table[51] - (-1.2)) < 1e-15)  // 51/255 = 0.2
    // Channel 1 (CIFAR red): −0.49139968 / 0.24703233 = −1.98921202, (1 − 0.49139968) / 0.24703233 = 2.05884112 (by hand / Python)
    #expect(abs(table[256] - (-1.98921202)) < 1e-8)
    #expect(abs(table[256 + 255] - 2.05884112) < 1e-8)
    // Float follows PyTorch's float32 steps: byte / 255 in float, minus float(mean), divided by float(std).
    let single: [Float] = normalisationTable(mean: [0.49139968], std: [0.24703233])
    #expect(single[128] == (Float(128) / 255 - Float(0.49139968)) / Float(0.24703233))
}

@Test func drawsCoverEveryOffsetAndFlipHalfTheTime() {
    var rng = RNG(seed: 1)
    var offsets = Set<[Int]>()
    var flips = 0
    let n = 4000
    for _ in 0..<n {
        let d = Augmentation.standard.draw(rng: &rng)
        offsets.insert([d.top, d.left])
        if d.flip { flips += 1 }
    }
    #expect(offsets == Set((0...8).flatMap { t in (0...8).map { [t, $0] } }))
    // Binomial(4000, 0.5): sd ≈ 32, so ±150 is > 4.5 sd.
    #expect(abs(flips - n / 2) < 150)
    // The validation transform draws nothing and is the identity.
    var untouched = RNG(seed: 1)
    #expect(Augmentation.none.draw(rng: &untouched) == AugmentationDraw(top: 0, left: 0, flip: false))
    #expect(untouched == RNG(seed: 1))
}
