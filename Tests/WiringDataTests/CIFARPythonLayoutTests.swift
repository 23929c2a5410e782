// torchvision's CIFAR folders (`cifar-10-batches-py`, `cifar-100-python`) written by the real writer,
// Python's pickle, at protocol 2 (Python 3's, and Python 2's cPickle form assembled opcode by opcode and
// checked by pickle.loads as torchvision calls it), 4 (the default) and 5; the same images in the binary
// layout, written by Python from the same arrays, must read identically. Damaged and hostile pickles
// are refused with one line.
import Foundation
import Testing
@testable import WiringData

/// Writes CIFAR-10 (or CIFAR-100) in both layouts from one seeded generator: `py/<python folder>` pickled
/// at `protocol` ("2", "4", "5" or "py2"), `bin/<binary folder>` as records, and the expected CHW pixels and
/// labels per split (`expected_<split>.raw`, `expected_<split>_<key>.txt`).
private let cifarWriter = #"""
import numpy as np, pickle, struct, sys, os
dataset, protocol, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
rng = np.random.default_rng(36)

def py2_pickle(d):
    # What Python 2's cPickle.dump(d, f, 2) writes for a CIFAR batch: str as U/T, memo as q/r.
    out = bytearray(b'\x80\x02}q\x01(')
    memo = [2]
    def put():
        i = memo[0]; memo[0] += 1
        out.extend(b'q' + bytes([i]) if i < 256 else b'r' + struct.pack('<I', i))
    def s(b):
        out.extend(b'U' + bytes([len(b)]) + b if len(b) < 256 else b'T' + struct.pack('<I', len(b)) + b); put()
    def integer(v):
        out.extend(b'K' + bytes([v]) if v < 256 else b'M' + struct.pack('<H', v))
    for key, value in d.items():
        s(key)
        if isinstance(value, np.ndarray):
            out.extend(b'cnumpy.core.multiarray\n_reconstruct\n'); put()
            out.extend(b'cnumpy\nndarray\n'); put()
            out.extend(b'K\x00\x85'); put()
            s(b'b'); out.extend(b'\x87R'); put()
            out.extend(b'(K\x01'); integer(value.shape[0]); integer(value.shape[1]); out.extend(b'\x86'); put()
            out.extend(b'cnumpy\ndtype\n'); put()
            s(b'u1'); out.extend(b'K\x00K\x01\x87R'); put()
            out.extend(b'(K\x03'); s(b'|'); out.extend(b'NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb')
            out.extend(b'\x89'); s(value.tobytes()); out.extend(b'tb')
        elif isinstance(value, list):
            out.extend(b']'); put(); out.extend(b'(')
            for v in value:
                if isinstance(v, int): integer(v)
                else: s(v)
            out.extend(b'e')
        else:
            s(value)
    out.extend(b'u.')
    return bytes(out)

if dataset == 'cifar10':
    folders = ('cifar-10-batches-py', 'cifar-10-batches-bin')
    files = [('data_batch_%d' % i, 'train') for i in range(1, 6)] + [('test_batch', 'test')]
    keys = [(b'labels', 10)]
else:
    folders = ('cifar-100-python', 'cifar-100-binary')
    files = [('train', 'train'), ('test', 'test')]
    keys = [(b'coarse_labels', 20), (b'fine_labels', 100)]
os.makedirs('py/' + folders[0]); os.makedirs('bin/' + folders[1])
for name, split in files:
    data = rng.integers(0, 256, size=(n, 3072), dtype=np.uint8)
    labels = {key: [int(v) for v in rng.integers(0, classes, size=n)] for key, classes in keys}
    entry = {b'batch_label': b'batch ' + name.encode()}
    entry.update(labels)
    entry[b'data'] = data
    entry[b'filenames'] = [b'image_%d.png' % k for k in range(n)]
    blob = py2_pickle(entry) if protocol == 'py2' else pickle.dumps(entry, protocol=int(protocol))
    # Read back as torchvision does (encoding latin1: a Python 2 file's keys become str), so the file is a real CIFAR batch.
    back = pickle.loads(blob, encoding='latin1')
    get = lambda key: back[key.decode()] if protocol == 'py2' else back[key]
    assert np.array_equal(get(b'data'), data) and all(get(k) == labels[k] for k, _ in keys)
    open('py/%s/%s' % (folders[0], name), 'wb').write(blob)
    with open('bin/%s/%s%s' % (folders[1], name, '.bin'), 'wb') as f:
        for k in range(n):
            f.write(bytes([labels[key][k] for key, _ in keys]) + data[k].tobytes())
    with open('expected_%s.raw' % split, 'ab') as f: f.write(data.tobytes())
    for key, _ in keys:
        with open('expected_%s_%s.txt' % (split, key.decode()), 'a') as f: f.write(''.join('%d\n' % v for v in labels[key]))
"""#

@Suite(.enabled(if: Python.hasNumpy, "/usr/bin/python3 cannot import numpy (apt-get install python3-numpy)"))
struct CIFARPythonLayoutTests {
    @Test(arguments: ["2", "4", "5", "py2"])
    func cifar10PythonLayoutReadsWhatPythonWroteAndEqualsTheBinaryLayout(protocol version: String) throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        try Python.script(cifarWriter, ["cifar10", version, "3"], in: folder.path)
        for split in DataSplit.allCases {
            let python = try CIFAR10.load(split, root: folder.file("py"))
            #expect(python.pixels == (try folder.read("expected_\(split.rawValue).raw")))
            #expect(python.labels == (try folder.readIntegers("expected_\(split.rawValue)_labels.txt")))
            #expect(python.count == (split == .train ? 15 : 3))
            #expect(python == (try CIFAR10.load(split, root: folder.file("bin"))))
            // The folder itself may be named as the root, as for the binary layout.
            #expect(python == (try CIFAR10.load(split, root: folder.file("py/cifar-10-batches-py"))))
        }
    }

    @Test func aRootWithBothLayoutsReadsTheBinaryOne() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        try Python.script(cifarWriter, ["cifar10", "4", "1"], in: folder.path)
        // Both folders under one root, the pickles damaged: the binary folder is the one read.
        try FileManager.default.moveItem(atPath: folder.file("py/cifar-10-batches-py"), toPath: folder.file("bin/cifar-10-batches-py"))
        try folder.write("bin/cifar-10-batches-py/test_batch", [0x80, 0x02])
        #expect(try CIFAR10.load(.test, root: folder.file("bin")).pixels == (try folder.read("expected_test.raw")))
    }

    @Test(arguments: ["2", "4", "py2"])
    func cifar100BothLayoutsGiveFineAndCoarseLabelsAsPythonWrote(protocol version: String) throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        try Python.script(cifarWriter, ["cifar100", version, "4"], in: folder.path)
        for split in DataSplit.allCases {
            for labels in CIFAR100.Labels.allCases {
                let python = try CIFAR100.load(split, labels: labels, root: folder.file("py"))
                let binary = try CIFAR100.load(split, labels: labels, root: folder.file("bin"))
                #expect(python.pixels == (try folder.read("expected_\(split.rawValue).raw")))
                #expect(python.labels == (try folder.readIntegers("expected_\(split.rawValue)_\(labels.rawValue)_labels.txt")))
                #expect(python.numClasses == (labels == .fine ? 100 : 20))
                #expect(python == binary)
            }
        }
    }

    @Test func cifar100DefaultsToFineLabels() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        try Python.script(cifarWriter, ["cifar100", "4", "2"], in: folder.path)
        #expect(try CIFAR100.load(.test, root: folder.file("py")).labels == (try folder.readIntegers("expected_test_fine_labels.txt")))
    }

    // MARK: - Damaged and hostile pickles

    /// A python-layout CIFAR-10 folder whose test batch is replaced by `damage(bytes)`; the error of loading it.
    private func loadDamagedTestBatch(_ damage: ([UInt8]) -> [UInt8]) throws -> (String, String) {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        try Python.script(cifarWriter, ["cifar10", "2", "2"], in: folder.path)
        let path = "py/cifar-10-batches-py/test_batch"
        try folder.write(path, damage(try folder.read(path)))
        let error = #expect(throws: DataError.self) { try CIFAR10.load(.test, root: folder.file("py")) }
        return (folder.file(path), error?.description ?? "")
    }

    @Test func truncatedPickleIsRefused() throws {
        let (path, message) = try loadDamagedTestBatch { Array($0.prefix(400)) }
        #expect(message == "\(path): truncated: the pickle ends inside its data at byte 400; download and unpack cifar-10-python.tar.gz again")
    }

    @Test func flippedOpcodeIsRefused() throws {
        // Byte 2 is the EMPTY_DICT opcode right after PROTO 2.
        let (path, message) = try loadDamagedTestBatch { var b = $0; b[2] = 0xFF; return b }
        #expect(message == "\(path): pickle byte 2: opcode 0xff is not one the CIFAR pickles use; refusing the file; download and unpack cifar-10-python.tar.gz again")
    }

    @Test func pickleCallingAnythingElseIsRefusedUnrun() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let marker = folder.file("ran")
        try Python.script("""
            import pickle, os
            class Payload:
                def __reduce__(self): return (os.system, ('touch \(marker)',))
            os.makedirs('cifar-10-batches-py')
            pickle.dump({b'data': Payload(), b'labels': []}, open('cifar-10-batches-py/test_batch', 'wb'), protocol=2)
            """, in: folder.path)
        let error = #expect(throws: DataError.self) { try CIFAR10.load(.test, root: folder.path) }
        #expect(error?.description.hasSuffix("refusing to load 'posix.system' (only numpy arrays, lists and dicts are read); download and unpack cifar-10-python.tar.gz again") == true, "\(error?.description ?? "")")
        #expect(!FileManager.default.fileExists(atPath: marker))
    }

    @Test func pickledObjectArrayIsRefused() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        try Python.script("""
            import pickle, os, numpy as np
            os.makedirs('cifar-10-batches-py')
            pickle.dump({b'data': np.array([[1, 'a']], dtype=object), b'labels': [0]},
                        open('cifar-10-batches-py/test_batch', 'wb'), protocol=2)
            """, in: folder.path)
        let error = #expect(throws: DataError.self) { try CIFAR10.load(.test, root: folder.path) }
        #expect(error?.description.contains("the array holds Python objects (its data is a list); refusing it") == true, "\(error?.description ?? "")")
    }

    @Test func batchWithoutLabelsOrWithTooFewIsRefused() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        try Python.script("""
            import pickle, os, numpy as np
            os.makedirs('cifar-10-batches-py')
            pickle.dump({b'data': np.zeros((2, 3072), np.uint8), b'labels': [3]}, open('cifar-10-batches-py/test_batch', 'wb'))
            """, in: folder.path)
        let error = #expect(throws: DataError.self) { try CIFAR10.load(.test, root: folder.path) }
        #expect(error?.description == folder.file("cifar-10-batches-py/test_batch") + ": 1 labels under 'labels' for 2 images; download and unpack cifar-10-python.tar.gz again")
    }
}
