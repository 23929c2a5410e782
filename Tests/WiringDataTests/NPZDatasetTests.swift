// .npz files written by NumPy itself (numpy.savez and savez_compressed) in every layout and dtype the
// loader promises, checked against the CHW bytes, labels and channel statistics NumPy computes from
// the same arrays; and every malformed array NumPy will happily save, refused with its one line.
import Foundation
import Testing
@testable import WiringData

/// Writes `data.npz` from seeded CHW uint8 images (6 train, 4 test, 5x5, labels 0..<7 with 6 in y_train),
/// stored as `layout` (nhwc, nchw, grey) and `dtype` (a NumPy dtype name, `float01` = float32 / 255,
/// `float255` = float64 0..255), labels as `ydtype` shaped (N,) or (N, 1), with savez or savez_compressed.
/// Writes the expected CHW bytes, labels, and NumPy's mean and population std of the training images / 255.
private let npzWriter = #"""
import numpy as np, sys
layout, dtype, ydtype, column, compressed = sys.argv[1:6]
rng = np.random.default_rng(7)
c = 1 if layout == 'grey' else 3
xtr = rng.integers(0, 256, size=(6, c, 5, 5), dtype=np.uint8)
xte = rng.integers(0, 256, size=(4, c, 5, 5), dtype=np.uint8)
ytr = rng.integers(0, 7, size=6); ytr[0] = 6
yte = rng.integers(0, 7, size=4)
def stored(x):
    if layout == 'nhwc': x = x.transpose(0, 2, 3, 1)
    if layout == 'grey': x = x[:, 0]
    if dtype == 'float01': return (x / 255).astype(np.float32)
    if dtype == 'float255': return x.astype(np.float64)
    return np.ascontiguousarray(x.astype(dtype))
def labels(y):
    y = y.astype(ydtype)
    return y.reshape(-1, 1) if column == '1' else y
save = np.savez_compressed if compressed == '1' else np.savez
save('data.npz', x_train=stored(xtr), y_train=labels(ytr), x_test=stored(xte), y_test=labels(yte))
open('expected_train.raw', 'wb').write(xtr.tobytes())
open('expected_test.raw', 'wb').write(xte.tobytes())
open('expected_train.txt', 'w').write(' '.join(map(str, ytr)))
open('expected_test.txt', 'w').write(' '.join(map(str, yte)))
scaled = xtr / 255.0
print(' '.join(repr(float(v)) for v in list(scaled.mean(axis=(0, 2, 3))) + list(scaled.std(axis=(0, 2, 3)))))
"""#

/// Writes `bad.npz`: a good 4-image set (NHWC uint8 4x4x3, labels 0..<7) with one thing wrong.
private let badNPZWriter = #"""
import numpy as np, sys
case = sys.argv[1]
a = dict(x_train=np.zeros((4, 4, 4, 3), np.uint8), y_train=np.array([0, 1, 6, 2]),
         x_test=np.zeros((2, 4, 4, 3), np.uint8), y_test=np.array([1, 5]))
if case == 'rank': a['x_train'] = np.zeros((4, 48), np.uint8)
if case == 'sizes': a['y_train'] = np.array([0, 1, 6])
if case == 'negative': a['y_train'] = np.array([0, 1, -1, 6])
if case == 'out_of_range': a['y_test'] = np.array([1, 9])
if case == 'object': a['x_train'] = a['x_train'].astype(object)
if case == 'big_endian': a['y_train'] = a['y_train'].astype('>i8')
if case == 'fortran': a['x_train'] = np.asfortranarray(np.arange(4 * 48, dtype=np.uint8).reshape(4, 4, 4, 3))
if case == 'missing': del a['y_test']
if case == 'float_labels': a['y_train'] = a['y_train'].astype(np.float32)
if case == 'not_square': a['x_train'] = np.zeros((4, 4, 5, 3), np.uint8)
if case == 'no_channel_axis': a['x_train'] = np.zeros((4, 5, 8, 8), np.uint8)
if case == 'normalised': a['x_train'] = np.full((4, 4, 4, 3), -0.5, np.float32)
if case == 'test_shape': a['x_test'] = np.zeros((2, 5, 5, 3), np.uint8)
if case == 'one_hot': a['y_train'] = np.eye(7, dtype=np.int64)[a['y_train']]
np.savez('bad.npz', **a)
if case == 'short_array':
    # x_train.npy's header promises 5 images, its data holds 4 (the zip's CRC is right: NumPy's own header writer).
    import io, zipfile
    entry = io.BytesIO()
    np.lib.format.write_array_header_1_0(entry, {'descr': '|u1', 'fortran_order': False, 'shape': (5, 4, 4, 3)})
    entry.write(a['x_train'].tobytes())
    with zipfile.ZipFile('bad.npz', 'w') as z:
        for name, value in a.items():
            if name == 'x_train': z.writestr('x_train.npy', entry.getvalue())
            else:
                buffer = io.BytesIO(); np.save(buffer, value); z.writestr(name + '.npy', buffer.getvalue())
"""#

@Suite(.enabled(if: Python.hasNumpy, "/usr/bin/python3 cannot import numpy (apt-get install python3-numpy)"))
struct NPZDatasetTests {
    @Test(arguments: [
        // layout, images, labels, labels as a column, compressed
        ("nhwc", "uint8", "int64", false, false),
        ("nhwc", "uint8", "uint8", true, true),
        ("nchw", "uint8", "int32", false, true),
        ("nchw", "float01", "int16", false, false),
        ("nhwc", "float255", "uint64", true, false),
        ("nhwc", "uint16", "int8", false, true),
        ("nchw", "float16", "int64", false, false),
        ("grey", "uint8", "int64", false, false),
        ("grey", "float01", "int64", true, true),
    ])
    func readsWhatNumpySavedInEveryLayout(layout: String, dtype: String, labels: String, column: Bool, compressed: Bool) throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let statistics = try Python.script(npzWriter, [layout, dtype, labels, column ? "1" : "0", compressed ? "1" : "0"],
                                           in: folder.path).split(separator: " ").map { Double($0.trimmingCharacters(in: .whitespacesAndNewlines))! }
        let path = folder.file("data.npz")
        let (train, test) = try NPZDataset.load(path: path)
        let channels = layout == "grey" ? 1 : 3
        #expect(try NPZDataset.shape(path: path) == NPZDataset.Shape(channels: channels, size: 5, trainCount: 6, testCount: 4, classes: 7))
        for (set, split) in [(train, "train"), (test, "test")] {
            #expect((set.channels, set.height, set.width, set.numClasses) == (channels, 5, 5, 7))
            #expect(set.pixels == (try folder.read("expected_\(split).raw")))
            #expect(set.labels == (try folder.readIntegers("expected_\(split).txt")))
            // Both splits are normalised with the training images' statistics, as NumPy computes them.
            for c in 0..<channels {
                #expect(abs(set.mean[c] - statistics[c]) < 1e-12)
                #expect(abs(set.std[c] - statistics[channels + c]) < 1e-12)
            }
        }
        #expect(train.name == "data-train" && test.name == "data-test")
    }

    /// The one-line error of loading `bad.npz` written with `case`, with the file's path shown as `P`.
    private func error(_ badCase: String, damage: (([UInt8]) -> [UInt8])? = nil) throws -> String {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        try Python.script(badNPZWriter, [badCase], in: folder.path)
        if let damage { try folder.write("bad.npz", damage(try folder.read("bad.npz"))) }
        let path = folder.file("bad.npz")
        let loadError = #expect(throws: DataError.self) { _ = try NPZDataset.load(path: path) }
        return (loadError?.description ?? "no error").replacingOccurrences(of: path, with: "P")
    }

    static let saveHint = "save it with np.savez(path, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)"

    @Test(arguments: [
        ("rank", "P: x_train: rank 2 (shape (4, 48)) is not an image array; store images as (N, H, W, C), (N, C, H, W) or grey (N, H, W)"),
        ("sizes", "P: y_train: 3 labels for 4 images in x_train; store one label per image"),
        ("negative", "P: y_train: label -1 at index 2 is negative; store class indices 0, 1, 2, ..."),
        ("out_of_range", "P: y_test: label 9 at index 1 is out of range: y_train's labels are 0..<7; the classes are 0 up to the largest training label; remap both splits' labels together"),
        ("object", "P: x_train: dtype '|O' is an object array (pickled Python objects), which is never loaded; store a numeric array (np.asarray(x, dtype=np.uint8)) so that np.savez needs no pickle"),
        ("big_endian", "P: y_train: dtype '>i8' is big-endian; convert it to little-endian with a.astype(a.dtype.newbyteorder('<'))"),
        ("fortran", "P: x_train: Fortran (column-major) order is not read; save np.ascontiguousarray(x) instead"),
        ("missing", "P: no array 'y_test' (it holds x_train, y_train, x_test); \(saveHint)"),
        ("float_labels", "P: y_train: labels are float32, not integers; store them as integers (y.astype(np.int64))"),
        ("not_square", "P: x_train: images are 4x5; WiringLab's networks take square images; crop or pad them to a square before saving"),
        ("no_channel_axis", "P: x_train: shape (4, 5, 8, 8) has no channel axis of size 1 or 3 (axis 3 for (N, H, W, C), axis 1 for (N, C, H, W)); store grey or RGB images as (N, H, W, C) or (N, C, H, W)"),
        ("normalised", "P: x_train: value -0.5 at flat index 0 is not in [0, 1] or 0...255; store un-normalised images (floats in [0, 1] or 0...255, or uint8)"),
        ("test_shape", "P: x_test: images of shape (5, 5, 3) differ from x_train's (4, 4, 3); store both splits with the same image shape and layout"),
        ("short_array", "P: x_train: truncated: shape (5, 4, 4, 3) of uint8 needs 240 data bytes, the entry has 192; the file is damaged; write it again (\(saveHint))"),
        ("one_hot", "P: y_train: rank 2 (shape (4, 7)) is not a label vector; store one integer class per image, shape (N,) (e.g. y.argmax(1) for one-hot labels)"),
    ])
    func malformedArrayIsOneLineNamingTheArray(badCase: String, expected: String) throws {
        #expect(try error(badCase) == expected)
    }

    @Test func truncatedFileIsRefused() throws {
        var size = 0
        let message = try error("good") { bytes in size = bytes.count / 2; return Array(bytes.prefix(size)) }
        #expect(message == "P: truncated or not a zip file (no end-of-central-directory record in its \(size) bytes); the file is damaged; write it again (\(Self.saveHint))")
    }

    @Test func flippedByteInAnArrayHeaderFailsItsChecksum() throws {
        // The first .npy magic in the zip is x_train's; flip a byte of it.
        let message = try error("good") { bytes in
            var b = bytes
            let i = (0..<b.count - 5).first { Array(b[$0 ..< $0 + 5]) == Array("NUMPY".utf8) }!
            b[i] ^= 0xFF
            return b
        }
        #expect(message == "P: x_train.npy: CRC-32 mismatch (its bytes changed after it was written); the file is damaged; write it again (\(Self.saveHint))")
    }

    @Test func flippedZipDirectoryByteIsRefused() throws {
        // The central directory's first signature byte.
        let message = try error("good") { bytes in
            var b = bytes
            let i = (0..<b.count - 4).first { Array(b[$0 ..< $0 + 4]) == [0x50, 0x4B, 0x01, 0x02] }!
            b[i + 2] = 0x7F
            return b
        }
        #expect(message.hasPrefix("P: damaged central directory entry at byte "))
        #expect(message.hasSuffix("; the file is damaged; write it again (\(Self.saveHint))"))
    }

    @Test func missingFileSaysWhichSetting() {
        let error = #expect(throws: DataError.self) { _ = try NPZDataset.load(path: "/nonexistent/set.npz") }
        #expect(error?.description == "/nonexistent/set.npz: not found; check data.path (a NumPy .npz holding x_train, y_train, x_test, y_test)")
    }
}
