import Foundation
import Testing
@testable import WiringData

/// Writes a small Fashion-MNIST-format split (`count` images of 28×28) and returns its pixels and labels.
private func writeSplit(_ folder: TemporaryFolder, prefix: String, count: Int, gzip: Bool = true) throws
    -> (pixels: [UInt8], labels: [UInt8]) {
    let pixels = (0..<count).flatMap { i in (0..<784).map { testPixel(i, $0) } }
    let labels = (0..<count).map { UInt8(($0 * 7 + 3) % 10) }
    let images = idxBytes(dimensions: [count, 28, 28], data: pixels)
    let labelFile = idxBytes(dimensions: [count], data: labels)
    if gzip {
        try folder.writeGzipped("\(prefix)-images-idx3-ubyte", images)
        try folder.writeGzipped("\(prefix)-labels-idx1-ubyte", labelFile)
    } else {
        try folder.write("\(prefix)-images-idx3-ubyte", images)
        try folder.write("\(prefix)-labels-idx1-ubyte", labelFile)
    }
    return (pixels, labels)
}

@Test func fashionMNISTReadsEveryPixelAndLabelFromGzippedIdx() throws {
    let folder = try TemporaryFolder()
    defer { folder.cleanUp() }
    let train = try writeSplit(folder, prefix: "train", count: 5)
    let test = try writeSplit(folder, prefix: "t10k", count: 3)
    for (split, expected) in [(DataSplit.train, train), (.test, test)] {
        let data = try FashionMNIST.load(split, root: folder.path)
        #expect(data.count == expected.labels.count)
        #expect((data.channels, data.height, data.width) == (1, 28, 28))
        #expect(data.pixels == expected.pixels)
        #expect(data.labels == expected.labels.map(Int.init))
        #expect(data.numClasses == 10 && data.mean == [0.2860] && data.std == [0.3530])
    }
}

@Test func fashionMNISTReadsUncompressedIdxToo() throws {
    let folder = try TemporaryFolder()
    defer { folder.cleanUp() }
    let expected = try writeSplit(folder, prefix: "t10k", count: 2, gzip: false)
    let data = try FashionMNIST.load(.test, root: folder.path)
    #expect(data.pixels == expected.pixels && data.labels == expected.labels.map(Int.init))
}

@Test func fashionMNISTMissingFileGivesInstallHint() throws {
    let error = #expect(throws: DataError.self) { try FashionMNIST.load(.train, root: "/nonexistent/fmnist") }
    #expect(error?.description == "/nonexistent/fmnist/train-images-idx3-ubyte.gz: not found; install it with"
        + " 'apt-get install dataset-fashion-mnist', or set data.root or WIRINGLAB_DATA to the folder that holds it")
}

@Test func fashionMNISTBadMagicIsCorrupt() throws {
    let folder = try TemporaryFolder()
    defer { folder.cleanUp() }
    _ = try writeSplit(folder, prefix: "train", count: 2)
    // A label file where the image file belongs: magic 0x00000801 instead of 0x00000803.
    try folder.writeGzipped("train-images-idx3-ubyte", idxBytes(dimensions: [2], data: [1, 2]))
    let error = #expect(throws: DataError.self) { try FashionMNIST.load(.train, root: folder.path) }
    #expect(error?.description == folder.file("train-images-idx3-ubyte.gz") + ": bad idx magic number 0x00000801,"
        + " expected 0x00000803 (unsigned bytes, rank 3); download it again or reinstall dataset-fashion-mnist")
}

@Test func fashionMNISTTruncatedIdxIsCorrupt() throws {
    let folder = try TemporaryFolder()
    defer { folder.cleanUp() }
    _ = try writeSplit(folder, prefix: "train", count: 2)
    try folder.writeGzipped("train-labels-idx1-ubyte", idxBytes(dimensions: [2], data: [1]))
    let error = #expect(throws: DataError.self) { try FashionMNIST.load(.train, root: folder.path) }
    #expect(error?.description.contains("truncated: the header [2] promises 2 data bytes, found 1") == true)
}

@Test func fashionMNISTTruncatedGzipIsCorrupt() throws {
    let folder = try TemporaryFolder()
    defer { folder.cleanUp() }
    _ = try writeSplit(folder, prefix: "train", count: 4)
    let path = folder.file("train-images-idx3-ubyte.gz")
    let whole = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    for keep in [whole.count / 2, whole.count - 4, 10] {
        try Data(whole.prefix(keep)).write(to: URL(fileURLWithPath: path))
        let error = #expect(throws: DataError.self) { try FashionMNIST.load(.train, root: folder.path) }
        if case .corrupt(let p, let problem, _)? = error {
            #expect(p == path && problem.hasPrefix("truncated"), "\(problem)")
        } else {
            Issue.record("expected .corrupt, got \(String(describing: error))")
        }
    }
    // Not gzip at all.
    try Data([UInt8](repeating: 7, count: 100)).write(to: URL(fileURLWithPath: path))
    let error = #expect(throws: DataError.self) { try FashionMNIST.load(.train, root: folder.path) }
    #expect(error?.description.contains("not a gzip file") == true)
}

@Test func fashionMNISTDamagedGzipFailsItsChecksum() throws {
    let folder = try TemporaryFolder()
    defer { folder.cleanUp() }
    _ = try writeSplit(folder, prefix: "t10k", count: 2)
    let path = folder.file("t10k-labels-idx1-ubyte.gz")
    var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    bytes[bytes.count - 8] ^= 0xFF  // first byte of the CRC-32 trailer
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    let error = #expect(throws: DataError.self) { try FashionMNIST.load(.test, root: folder.path) }
    #expect(error?.description == path + ": damaged gzip data (incorrect data check); download it again or"
        + " reinstall dataset-fashion-mnist")
}

@Test func fashionMNISTLabelsCountMustMatchImages() throws {
    let folder = try TemporaryFolder()
    defer { folder.cleanUp() }
    _ = try writeSplit(folder, prefix: "t10k", count: 3)
    try folder.writeGzipped("t10k-labels-idx1-ubyte", idxBytes(dimensions: [2], data: [1, 2]))
    #expect(throws: DataError.self) { try FashionMNIST.load(.test, root: folder.path) }
}

private let debianFashionMNIST = FashionMNIST.defaultRoot + "/train-images-idx3-ubyte.gz"

/// Reads the first label, the first image's pixel sum and the label count with Python's gzip module.
private func pythonSummary(_ prefix: String) throws -> [Int] {
    let root = FashionMNIST.defaultRoot
    let script = """
        import gzip
        l = gzip.open('\(root)/\(prefix)-labels-idx1-ubyte.gz').read()
        i = gzip.open('\(root)/\(prefix)-images-idx3-ubyte.gz').read()
        print(len(l) - 8, l[8], sum(i[16:16 + 784]), i[16 + 784 * 5 + 400])
        """
    return try run("/usr/bin/python3", ["-c", script]).split(separator: " ")
        .map { Int($0.trimmingCharacters(in: .whitespacesAndNewlines))! }
}

@Test(.enabled(if: FileManager.default.fileExists(atPath: debianFashionMNIST), "dataset-fashion-mnist is not installed"))
func realFashionMNISTMatchesPython() throws {
    for (split, prefix, expectedCount) in [(DataSplit.train, "train", 60000), (.test, "t10k", 10000)] {
        let data = try FashionMNIST.load(split)
        let python = try pythonSummary(prefix)
        #expect(data.count == expectedCount && python[0] == expectedCount)
        #expect(data.labels[0] == python[1])
        #expect(data.image(0).reduce(0) { $0 + Int($1) } == python[2])
        #expect(Int(data.pixels[784 * 5 + 400]) == python[3])
        if split == .train {
            // The widely quoted constants were computed this way (population std over all pixels).
            let stats = data.channelStatistics()
            #expect(abs(stats.mean[0] - 0.2860) < 1e-4 && abs(stats.std[0] - 0.3530) < 1e-4, "\(stats)")
        }
    }
}
