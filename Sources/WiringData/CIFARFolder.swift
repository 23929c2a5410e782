// Krizhevsky's CIFAR data sets come in two layouts that hold the same images in the same order:
//   binary  (`cifar-10-batches-bin`, `cifar-100-binary`): records of label byte(s) + 3072 pixel bytes;
//   python  (`cifar-10-batches-py`, `cifar-100-python`, what torchvision downloads): one pickled dict
//           per file with b'data' (uint8 array N×3072) and the labels as a list of ints.
// Both store each image as 1024 red, 1024 green, 1024 blue bytes, rows top to bottom: exactly the
// CHW layout ImageDataset stores. This file finds whichever layout a data root holds and reads it.

/// How one CIFAR data set is laid out on disk, in both layouts.
struct CIFARFormat {
    let binaryFolder: String
    let pythonFolder: String
    let binaryFiles: (DataSplit) -> [String]
    let pythonFiles: (DataSplit) -> [String]
    /// Label bytes before each binary record's pixels (CIFAR-100: coarse, then fine).
    let binaryLabelBytes: Int
    let binaryArchive: String
    let pythonArchive: String
}

/// Which of a format's labels to read (CIFAR-10 has one; CIFAR-100 a coarse and a fine one).
struct CIFARLabels {
    /// Index of the label byte in a binary record.
    let binaryIndex: Int
    /// Key of the label list in a python batch.
    let pythonKey: String
    /// Labels are in `0..<classes`.
    let classes: Int
}

/// The images and labels of one split, and where they were read from.
struct CIFARSplit {
    var pixels = [UInt8]()
    var labels = [Int]()
}

let cifarRecordPixels = 3 * 32 * 32
private let archiveSite = "https://www.cs.toronto.edu/~kriz/"

/// Reads one split of `format` from `root`: from `root/<binary folder>`, else `root/<python folder>`,
/// else `root` itself when it holds the split's first file in either layout.
/// - Throws: `DataError.notFound` naming both folders, `DataError.corrupt` for a damaged file.
func loadCIFAR(_ format: CIFARFormat, _ split: DataSplit, labels: CIFARLabels, root: String) throws -> CIFARSplit {
    let binaryFolder = joinPath(root, format.binaryFolder), pythonFolder = joinPath(root, format.pythonFolder)
    let python: Bool, folder: String
    if directoryExists(binaryFolder) {
        (python, folder) = (false, binaryFolder)
    } else if directoryExists(pythonFolder) {
        (python, folder) = (true, pythonFolder)
    } else if fileExists(joinPath(root, format.binaryFiles(split)[0])) {
        (python, folder) = (false, root)
    } else if fileExists(joinPath(root, format.pythonFiles(split)[0])) {
        (python, folder) = (true, root)
    } else {
        (python, folder) = (false, binaryFolder)  // reported as missing below
    }
    let missingFix = "download \(archiveSite)\(format.binaryArchive) (or torchvision's \(format.pythonArchive)) and unpack it in \(root)"
        + " (giving \(binaryFolder) or \(pythonFolder)), or set data.root or WIRINGLAB_DATA to the folder that holds \(format.binaryFolder)"
        + " or \(format.pythonFolder)"
    let damagedFix = "download and unpack \(python ? format.pythonArchive : format.binaryArchive) again"
    var result = CIFARSplit()
    for name in python ? format.pythonFiles(split) : format.binaryFiles(split) {
        let path = joinPath(folder, name)
        let bytes = try readWholeFile(path, missingFix: missingFix)
        if python {
            try readPythonBatch(bytes, path: path, labels: labels, fix: damagedFix, into: &result)
        } else {
            try readBinaryBatch(bytes, path: path, labelBytes: format.binaryLabelBytes, labels: labels,
                                fix: damagedFix, into: &result)
        }
    }
    return result
}

/// Appends the records of one binary batch.
private func readBinaryBatch(_ bytes: [UInt8], path: String, labelBytes: Int, labels: CIFARLabels, fix: String,
                             into result: inout CIFARSplit) throws {
    let recordSize = labelBytes + cifarRecordPixels
    guard !bytes.isEmpty, bytes.count % recordSize == 0 else {
        throw DataError.corrupt(path: path, problem: "truncated: \(bytes.count) bytes is not a whole number of \(recordSize)-byte records", fix: fix)
    }
    let records = bytes.count / recordSize
    result.pixels.reserveCapacity(result.pixels.count + records * cifarRecordPixels)
    for r in 0..<records {
        let label = Int(bytes[r * recordSize + labels.binaryIndex])
        guard label < labels.classes else {
            throw DataError.corrupt(path: path, problem: "record \(r) has label \(label), not in 0..<\(labels.classes)", fix: fix)
        }
        result.labels.append(label)
        result.pixels.append(contentsOf: bytes[r * recordSize + labelBytes ..< (r + 1) * recordSize])
    }
}

/// Appends the images and labels of one pickled batch: a dict with `data` (uint8, N×3072) and the
/// label list under `labels.pythonKey` (bytes or str keys).
private func readPythonBatch(_ bytes: [UInt8], path: String, labels: CIFARLabels, fix: String,
                             into result: inout CIFARSplit) throws {
    func corrupt(_ problem: String) -> DataError { .corrupt(path: path, problem: problem, fix: fix) }
    let value: PickleValue
    do { value = try unpickle(bytes) } catch let error as PickleError { throw corrupt(error.problem) }
    guard case let .dict(dict) = value else { throw corrupt("the pickle holds a \(value.kindName), not a batch dict") }
    guard case let .array(box)? = dict["data"], let data = box.array else {
        throw corrupt("no numpy array under 'data'")
    }
    guard data.dtype == NumpyDType(kind: "u", size: 1), data.shape.count == 2, data.shape[1] == cifarRecordPixels else {
        throw corrupt("'data' is \(data.dtype) of shape \(data.shape), expected uint8 of shape (N, \(cifarRecordPixels))")
    }
    guard case let .list(list)? = dict[labels.pythonKey] else { throw corrupt("no label list under '\(labels.pythonKey)'") }
    guard list.items.count == data.shape[0] else {
        throw corrupt("\(list.items.count) labels under '\(labels.pythonKey)' for \(data.shape[0]) images")
    }
    result.labels.reserveCapacity(result.labels.count + list.items.count)
    for (i, item) in list.items.enumerated() {
        guard case let .int(label) = item, (0..<labels.classes).contains(label) else {
            let shown = if case let .int(n) = item { "\(n)" } else { "a \(item.kindName)" }
            throw corrupt("label \(i) under '\(labels.pythonKey)' is \(shown), not in 0..<\(labels.classes)")
        }
        result.labels.append(label)
    }
    result.pixels += data.bytes
}
