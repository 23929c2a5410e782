// Helpers that write data-set files the way their publishers do, independently of the code under
// test: idx headers by hand, gzip by /usr/bin/gzip, CIFAR records byte by byte.
import Foundation

/// A fresh temporary folder, removed by `cleanUp()`.
struct TemporaryFolder {
    let path: String

    init() throws {
        path = NSTemporaryDirectory() + "wiringdata-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func file(_ name: String) -> String { path + "/" + name }

    func write(_ name: String, _ bytes: [UInt8]) throws {
        let full = file(name)
        try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        try Data(bytes).write(to: URL(fileURLWithPath: full))
    }

    /// Writes `bytes` to `name` and replaces it by `name.gz` using the system gzip.
    func writeGzipped(_ name: String, _ bytes: [UInt8]) throws {
        try write(name, bytes)
        try run("/usr/bin/gzip", ["-n", "-f", file(name)])
    }

    func cleanUp() { try? FileManager.default.removeItem(atPath: path) }
}

/// Runs a program and returns its standard output.
@discardableResult
func run(_ program: String, _ arguments: [String]) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: program)
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let output = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    precondition(process.terminationStatus == 0, "\(program) \(arguments) failed")
    return String(decoding: output, as: UTF8.self)
}

/// An idx file of unsigned bytes: magic 00 00 08 rank, big-endian dimensions, data.
func idxBytes(dimensions: [Int], data: [UInt8]) -> [UInt8] {
    var bytes: [UInt8] = [0, 0, 0x08, UInt8(dimensions.count)]
    for d in dimensions { bytes += [UInt8(d >> 24 & 255), UInt8(d >> 16 & 255), UInt8(d >> 8 & 255), UInt8(d & 255)] }
    return bytes + data
}

/// Deterministic test bytes that differ per image, channel and position.
func testPixel(_ image: Int, _ offset: Int) -> UInt8 { UInt8((image * 37 + offset * 11 + offset / 7) % 256) }

/// Debian's Python with NumPy: the real writers of the pickled CIFAR batches and of .npz files.
enum Python {
    static let path = "/usr/bin/python3"

    /// Whether /usr/bin/python3 exists and imports numpy (tests that need it are skipped otherwise).
    static let hasNumpy: Bool = {
        guard FileManager.default.isExecutableFile(atPath: path) else { return false }
        return (try? script("import numpy", in: NSTemporaryDirectory())) != nil
    }()

    /// Runs `source` with the working directory `folder`; returns its standard output.
    /// - Throws: an error carrying Python's standard error when it exits non-zero.
    @discardableResult
    static func script(_ source: String, _ arguments: [String] = [], in folder: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = ["-c", source] + arguments
        process.currentDirectoryURL = URL(fileURLWithPath: folder)
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw CocoaError(.executableLoad, userInfo: [NSLocalizedDescriptionKey: String(decoding: e, as: UTF8.self)])
        }
        return String(decoding: o, as: UTF8.self)
    }
}

extension TemporaryFolder {
    /// The bytes of a file in the folder.
    func read(_ name: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: URL(fileURLWithPath: file(name)))) }

    /// Integers written one per line (or space-separated) by Python.
    func readIntegers(_ name: String) throws -> [Int] {
        String(decoding: try read(name), as: UTF8.self).split(whereSeparator: { $0 == "\n" || $0 == " " }).map { Int($0)! }
    }
}
