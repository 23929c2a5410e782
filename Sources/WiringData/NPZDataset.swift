// Any image data set saved with NumPy: an .npz (numpy.savez or savez_compressed) holding x_train,
// y_train, x_test and y_test. The shape, the class count and the normalisation constants come from
// the file (the constants are the training images' channel statistics), so SVHN, an ImageNet subset
// or one's own images need no Swift.
//
// Rules (docs/data.md says them to users):
//   images  rank 4, channels last (N, H, W, C) when the last axis is 1 or 3, else channels first
//           (N, C, H, W) when axis 1 is 1 or 3; rank 3 (N, H, W) is grey. H must equal W.
//           uint8 as is; other integer types must hold 0...255; floats are [0, 1] intensities
//           (ToTensor's scale) when every value is at most 1, else 0...255 values, and are rounded to
//           the nearest of 256 levels (WiringLab keeps images as bytes).
//   labels  rank 1 (N,) or (N, 1), any integer type, 0 ... classes-1 where classes = the largest
//           training label + 1; a test label outside that range is an error.
import Foundation

/// Loader for an image data set stored as a NumPy .npz.
public enum NPZDataset {
    /// The names of the four arrays the file must hold.
    public static let arrayNames = ["x_train", "y_train", "x_test", "y_test"]

    /// What a run needs to know of a file before loading it.
    public struct Shape: Codable, Hashable, Sendable {
        /// Colour channels (1 or 3).
        public var channels: Int
        /// Height = width of the images.
        public var size: Int
        /// Images in x_train.
        public var trainCount: Int
        /// Images in x_test.
        public var testCount: Int
        /// The largest training label + 1.
        public var classes: Int

        public init(channels: Int, size: Int, trainCount: Int, testCount: Int, classes: Int) {
            (self.channels, self.size, self.trainCount, self.testCount, self.classes) = (channels, size, trainCount, testCount, classes)
        }
    }

    /// The shape of the file at `path`, checked as `load` checks it except for the pixel values.
    /// Remembered per path, size and modification time, so a sweep over many runs reads the file once.
    /// - Throws: `DataError` as `load` does.
    public static func shape(path: String) throws -> Shape {
        let stamp = fileStamp(path)
        if let stamp, let cached = shapeCache.withLock({ $0[path] }), cached.stamp == stamp { return cached.shape }
        let arrays = try readArrays(path: path)
        let shape = try check(arrays, path: path).shape
        if let stamp { shapeCache.withLock { $0[path] = (stamp, shape) } }
        return shape
    }

    /// Loads both splits from the file at `path`.
    /// - Returns: CHW byte images with the file's labels and class count, both splits normalised with
    ///   the channel statistics of the training images.
    /// - Throws: `DataError.notFound` when nothing is at `path`, `DataError.corrupt` with the array's name,
    ///   the problem and the fix for anything malformed.
    public static func load(path: String) throws -> (train: ImageDataset, test: ImageDataset) {
        let arrays = try readArrays(path: path)
        let checked = try check(arrays, path: path)
        let stem = ((path as NSString).lastPathComponent as NSString).deletingPathExtension
        var sets = [ImageDataset]()
        for (name, labels) in [("x_train", checked.trainLabels), ("x_test", checked.testLabels)] {
            let pixels = try imageBytes(arrays[name]!, channelsLast: checked.channelsLast, path: path, name: name)
            sets.append(ImageDataset(
                name: "\(stem)-\(name == "x_train" ? "train" : "test")", channels: checked.shape.channels,
                height: checked.shape.size, width: checked.shape.size, pixels: pixels, labels: labels,
                numClasses: checked.shape.classes, mean: [Double](repeating: 0, count: checked.shape.channels),
                std: [Double](repeating: 1, count: checked.shape.channels)))
        }
        // Constant channels (std 0) would divide by zero: normalise those by 1 instead.
        let statistics = sets[0].channelStatistics()
        let std = statistics.std.map { $0 > 0 ? $0 : 1 }
        return (sets[0].withStatistics(mean: statistics.mean, std: std),
                sets[1].withStatistics(mean: statistics.mean, std: std))
    }

    // MARK: - Reading and checking

    private static let saveHint = "save it with np.savez(path, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)"

    private static func fileStamp(_ path: String) -> String? {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
              let size = attributes[.size] as? NSNumber, let date = attributes[.modificationDate] as? Date else { return nil }
        return "\(size) \(date.timeIntervalSince1970)"
    }

    private static let shapeCache = LockedDictionary<String, (stamp: String, shape: Shape)>()

    /// The four arrays by name.
    private static func readArrays(path: String) throws -> [String: NumpyArray] {
        let bytes = try readWholeFile(path, missingFix: "check data.path (a NumPy .npz holding x_train, y_train, x_test, y_test)")
        let damaged = "the file is damaged; write it again (\(saveHint))"
        let entries = try zipEntries(bytes, path: path, fix: damaged)
        var arrays = [String: NumpyArray]()
        for name in arrayNames {
            guard let entry = entries.first(where: { $0.name == name + ".npy" }) else {
                let held = entries.map { $0.name.hasSuffix(".npy") ? String($0.name.dropLast(4)) : $0.name }
                throw DataError.corrupt(path: path, problem: "no array '\(name)' (it holds \(held.isEmpty ? "nothing" : held.joined(separator: ", ")))",
                                        fix: saveHint)
            }
            let data = try zipEntryData(bytes, entry, path: path, fix: damaged)
            do {
                arrays[name] = try parseNPY(data)
            } catch let error as NPYError {
                throw DataError.corrupt(path: path, problem: "\(name): \(error.problem)", fix: error.fix ?? damaged)
            }
        }
        return arrays
    }

    private struct Checked {
        var shape: Shape
        var channelsLast: Bool
        var trainLabels: [Int]
        var testLabels: [Int]
    }

    /// Checks ranks, layouts, sizes and labels; decides the layout from x_train.
    private static func check(_ arrays: [String: NumpyArray], path: String) throws -> Checked {
        func bad(_ name: String, _ problem: String, _ fix: String) -> DataError {
            .corrupt(path: path, problem: "\(name): \(problem)", fix: fix)
        }
        let x = arrays["x_train"]!, xTest = arrays["x_test"]!
        // The image shape (C, H, W) and whether channels are last, per the rule above.
        func imageShape(_ a: NumpyArray, _ name: String, channelsLast: Bool?) throws -> (c: Int, h: Int, w: Int, last: Bool) {
            let s = a.shape
            switch s.count {
            case 3:
                return (1, s[1], s[2], true)
            case 4:
                let last = channelsLast ?? ([1, 3].contains(s[3]) || ![1, 3].contains(s[1]))
                let c = last ? s[3] : s[1]
                guard [1, 3].contains(c) else {
                    throw bad(name, "shape \(pythonShape(s)) has no channel axis of size 1 or 3 (axis 3 for (N, H, W, C), axis 1 for (N, C, H, W))",
                              "store grey or RGB images as (N, H, W, C) or (N, C, H, W)")
                }
                return last ? (c, s[1], s[2], true) : (c, s[2], s[3], false)
            default:
                throw bad(name, "rank \(s.count) (shape \(pythonShape(s))) is not an image array",
                          "store images as (N, H, W, C), (N, C, H, W) or grey (N, H, W)")
            }
        }
        let train = try imageShape(x, "x_train", channelsLast: nil)
        let test = try imageShape(xTest, "x_test", channelsLast: x.shape.count == 4 ? train.last : nil)
        for (name, a) in [("x_train", x), ("x_test", xTest)] where a.shape[0] == 0 {
            throw bad(name, "holds no images", "store at least one image in each split")
        }
        guard train.h == train.w, train.h > 0 else {
            throw bad("x_train", "images are \(train.h)x\(train.w); WiringLab's networks take square images",
                      "crop or pad them to a square before saving")
        }
        guard (test.c, test.h, test.w) == (train.c, train.h, train.w), xTest.shape.count == x.shape.count else {
            throw bad("x_test", "images of shape \(pythonShape(Array(xTest.shape.dropFirst()))) differ from x_train's \(pythonShape(Array(x.shape.dropFirst())))",
                      "store both splits with the same image shape and layout")
        }
        for (name, a) in [("x_train", x), ("x_test", xTest)] where a.dtype.kind == "b" {
            throw bad(name, "dtype bool is not an image type", "store images as uint8 or float")
        }
        var labels = [String: [Int]]()
        for (name, images) in [("y_train", x), ("y_test", xTest)] {
            let y = arrays[name]!
            guard y.shape.count == 1 || (y.shape.count == 2 && y.shape[1] == 1) else {
                throw bad(name, "rank \(y.shape.count) (shape \(pythonShape(y.shape))) is not a label vector",
                          "store one integer class per image, shape (N,) (e.g. y.argmax(1) for one-hot labels)")
            }
            guard y.dtype.isInteger, y.dtype.kind != "b" else {
                throw bad(name, "labels are \(y.dtype), not integers", "store them as integers (y.astype(np.int64))")
            }
            guard y.shape[0] == images.shape[0] else {
                throw bad(name, "\(y.shape[0]) labels for \(images.shape[0]) images in x_\(name.dropFirst(2))",
                          "store one label per image")
            }
            let values = y.integers()
            if let i = values.firstIndex(where: { $0 < 0 }) {
                throw bad(name, "label \(values[i]) at index \(i) is negative", "store class indices 0, 1, 2, ...")
            }
            labels[name] = values
        }
        let classes = (labels["y_train"]!.max() ?? 0) + 1
        guard classes >= 2 else {
            throw bad("y_train", "every label is 0: one class", "store at least two classes")
        }
        if let i = labels["y_test"]!.firstIndex(where: { $0 >= classes }) {
            throw bad("y_test", "label \(labels["y_test"]![i]) at index \(i) is out of range: y_train's labels are 0..<\(classes)",
                      "the classes are 0 up to the largest training label; remap both splits' labels together")
        }
        return Checked(shape: Shape(channels: train.c, size: train.h, trainCount: x.shape[0], testCount: xTest.shape[0],
                                    classes: classes),
                       channelsLast: train.last && x.shape.count == 4, trainLabels: labels["y_train"]!,
                       testLabels: labels["y_test"]!)
    }

    /// The images as CHW bytes per image.
    private static func imageBytes(_ a: NumpyArray, channelsLast: Bool, path: String, name: String) throws -> [UInt8] {
        func bad(_ problem: String, _ fix: String) -> DataError { .corrupt(path: path, problem: "\(name): \(problem)", fix: fix) }
        let n = a.shape[0], c = channelsLast && a.shape.count == 4 ? a.shape[3] : a.shape.count == 4 ? a.shape[1] : 1
        let h = a.shape.count == 4 && !channelsLast ? a.shape[2] : a.shape[1]
        let w = h
        // Each element as a byte, in the file's order.
        var values = [UInt8](repeating: 0, count: a.count)
        if a.dtype == NumpyDType(kind: "u", size: 1) {
            values = a.bytes
        } else if a.dtype.isInteger {
            for i in 0..<a.count {
                let v = a.integer(at: i)
                guard (0...255).contains(v) else {
                    throw bad("value \(v) at flat index \(i) is outside 0...255", "store pixel values 0...255 (or floats in [0, 1])")
                }
                values[i] = UInt8(v)
            }
        } else {
            var maximum = 0.0
            for i in 0..<a.count {
                let v = a.floatingPoint(at: i)
                guard v.isFinite, v >= 0, v <= 255 else {
                    throw bad("value \(v) at flat index \(i) is not in [0, 1] or 0...255",
                              "store un-normalised images (floats in [0, 1] or 0...255, or uint8)")
                }
                maximum = max(maximum, v)
            }
            let scale = maximum <= 1 ? 255.0 : 1.0
            for i in 0..<a.count { values[i] = UInt8((a.floatingPoint(at: i) * scale).rounded()) }
        }
        guard channelsLast, c > 1 else { return values }  // (N, C, H, W) and single-channel data are CHW already
        var chw = [UInt8](repeating: 0, count: values.count)
        let plane = h * w
        for image in 0..<n {
            let base = image * c * plane
            for p in 0..<plane {
                for ch in 0..<c { chw[base + ch * plane + p] = values[base + p * c + ch] }
            }
        }
        return chw
    }
}

/// A shape as Python prints it: `(4, 75)`, `(4,)`.
func pythonShape(_ shape: [Int]) -> String {
    shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
}

/// A dictionary behind a lock, for caches shared by threads.
final class LockedDictionary<Key: Hashable, Value>: @unchecked Sendable {
    private var storage: [Key: Value] = [:]
    private let lock = NSLock()
    func withLock<R>(_ body: (inout [Key: Value]) -> R) -> R {
        lock.lock()
        defer { lock.unlock() }
        return body(&storage)
    }
}
