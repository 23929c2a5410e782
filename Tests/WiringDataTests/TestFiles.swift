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
