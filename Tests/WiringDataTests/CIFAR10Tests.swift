import Foundation
import Testing
@testable import WiringData

/// Writes CIFAR-10 binary batches with `records` images per file into `folder/cifar-10-batches-bin`;
/// returns the expected pixels and labels of the train and test splits (files in order).
private func writeCIFAR(_ folder: TemporaryFolder, records: Int, subfolder: String = "cifar-10-batches-bin/")
    throws -> [DataSplit: (pixels: [UInt8], labels: [Int])] {
    var expected: [DataSplit: (pixels: [UInt8], labels: [Int])] = [.train: ([], []), .test: ([], [])]
    let files = (1...5).map { ("data_batch_\($0).bin", DataSplit.train) } + [("test_batch.bin", .test)]
    for (f, (name, split)) in files.enumerated() {
        var bytes = [UInt8]()
        for r in 0..<records {
            let image = f * records + r
            let label = (image * 3 + 1) % 10
            let pixels = (0..<3072).map { testPixel(image, $0) }
            bytes += [UInt8(label)] + pixels
            expected[split]!.pixels += pixels
            expected[split]!.labels.append(label)
        }
        try folder.write(subfolder + name, bytes)
    }
    return expected
}

@Test func cifar10ReadsEveryPixelAndLabelOfAllBatches() throws {
    let folder = try TemporaryFolder()
    defer { folder.cleanUp() }
    let expected = try writeCIFAR(folder, records: 2)
    for split in DataSplit.allCases {
        let data = try CIFAR10.load(split, root: folder.path)
        #expect(data.count == (split == .train ? 10 : 2))
        #expect((data.channels, data.height, data.width, data.numClasses) == (3, 32, 32, 10))
        #expect(data.pixels == expected[split]!.pixels)
        #expect(data.labels == expected[split]!.labels)
        #expect(data.mean == [0.49139968, 0.48215827, 0.44653124])
        #expect(data.std == [0.24703233, 0.24348505, 0.26158768])
    }
}

@Test func cifar10RootMayBeTheBatchesFolderItself() throws {
    let folder = try TemporaryFolder()
    defer { folder.cleanUp() }
    let expected = try writeCIFAR(folder, records: 1)
    let data = try CIFAR10.load(.test, root: folder.file("cifar-10-batches-bin"))
    #expect(data.pixels == expected[.test]!.pixels && data.labels == expected[.test]!.labels)
}

@Test func cifar10MissingFolderSaysWhereToPutIt() {
    let error = #expect(throws: DataError.self) { try CIFAR10.load(.train, root: "/nonexistent/data") }
    #expect(error?.description == "/nonexistent/data/cifar-10-batches-bin/data_batch_1.bin: not found; download"
        + " https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz (or torchvision's cifar-10-python.tar.gz) and unpack"
        + " it in /nonexistent/data (giving /nonexistent/data/cifar-10-batches-bin or /nonexistent/data/cifar-10-batches-py),"
        + " or set data.root or WIRINGLAB_DATA to the folder that holds cifar-10-batches-bin or cifar-10-batches-py")
}

@Test func cifar10MissingLaterBatchNamesThatFile() throws {
    let folder = try TemporaryFolder()
    defer { folder.cleanUp() }
    _ = try writeCIFAR(folder, records: 1)
    try FileManager.default.removeItem(atPath: folder.file("cifar-10-batches-bin/data_batch_4.bin"))
    let error = #expect(throws: DataError.self) { try CIFAR10.load(.train, root: folder.path) }
    #expect(error?.description.hasPrefix(folder.file("cifar-10-batches-bin/data_batch_4.bin") + ": not found;") == true)
}

@Test func cifar10TruncatedRecordIsCorrupt() throws {
    let folder = try TemporaryFolder()
    defer { folder.cleanUp() }
    _ = try writeCIFAR(folder, records: 2)
    let path = "cifar-10-batches-bin/test_batch.bin"
    try folder.write(path, [UInt8](repeating: 1, count: 3073 + 100))
    let error = #expect(throws: DataError.self) { try CIFAR10.load(.test, root: folder.path) }
    #expect(error?.description == folder.file(path) + ": truncated: 3173 bytes is not a whole number of 3073-byte"
        + " records; download and unpack cifar-10-binary.tar.gz again")
}

@Test func cifar10LabelOutOfRangeIsCorrupt() throws {
    let folder = try TemporaryFolder()
    defer { folder.cleanUp() }
    _ = try writeCIFAR(folder, records: 1)
    try folder.write("cifar-10-batches-bin/test_batch.bin", [10] + [UInt8](repeating: 0, count: 3072))
    let error = #expect(throws: DataError.self) { try CIFAR10.load(.test, root: folder.path) }
    #expect(error?.description.contains("record 0 has label 10, not in 0..<10") == true)
}

@Test(arguments: [
    // (manifest data.root, WIRINGLAB_DATA, expected root)
    ("/m", "/e", "/m"),
    (nil, "/e", "/e"),
    (nil, nil, "data"),
    ("", "", "data"),
    ("~/datasets", nil, "/home/u/datasets"),
] as [(String?, String?, String)])
func dataRootPrefersManifestThenEnvironmentThenDefault(configured: String?, environment: String?, expected: String) {
    var env = ["HOME": "/home/u"]
    env["WIRINGLAB_DATA"] = environment
    #expect(DataRoot.resolve(configured: configured, environment: env) == expected)
}
