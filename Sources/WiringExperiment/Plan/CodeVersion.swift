// The code version that run ids include: a hash of the sources that compute results, and only of those.
// Docs, manifests, tests, the CLI, the benchmarks and the files that only present results (show, plan,
// compare, the docs tables) are left out, so editing a comment in one's manifest or a README, or making a
// commit that touches none of the numerics, keeps every run id; changing a kernel, the model, the search,
// the data loaders, the runner or the result writer gives new ids. `git describe` is kept beside it in
// the result files for provenance.

import Crypto
import Foundation

/// Identifies the code that produces results.
public enum CodeVersion {
    /// The source folders whose files compute results.
    static let computingSources = ["WiringEngine", "WiringModel", "WiringSearch", "WiringData", "WiringResults",
                                   "WiringExperiment", "CHDF5", "CZlib"]
    /// Files inside those folders that only present or document results.
    static let presentationOnly: Set<String> = [
        "ResultsView.swift", "PlanReport.swift", "SchemaDocs.swift", "RecordDocs.swift", "Collect.swift",
        "Compare.swift", "CodeVersion.swift", "Progress.swift",
        // Time and memory estimates of `plan`: they never change a result.
        "CostModel.swift", "StepCostTable.swift", "CostDocs.swift", "MemoryEstimate.swift", "SweepSchedule.swift",
        "HostSpeed.swift",
        // How many threads a sweep's child takes: never a result (bitwise the same for any thread count).
        "SweepThreadShare.swift",
        // TensorBoard event files and `export`: they only read what a run records.
        "CRC32C.swift", "ProtobufEncoder.swift", "EventFileWriter.swift", "RunEvents.swift", "LiveEvents.swift",
        "RunRecords.swift", "RunExport.swift", "TidyTable.swift",
    ]

    /// `src-` and 12 hex digits of SHA-256 over the computing sources of the package at `directory` (each
    /// file's path relative to `Sources/` and its bytes, in sorted order); when the sources are not there
    /// (an installed binary), `bin-` and a hash of the running executable.
    public static func current(packageDirectory directory: URL) -> String {
        let sources = directory.appendingPathComponent("Sources")
        var files: [String] = []
        for folder in computingSources {
            let root = sources.appendingPathComponent(folder)
            guard let walker = FileManager.default.enumerator(atPath: root.path) else { continue }
            for case let relative as String in walker
            where (relative.hasSuffix(".swift") || relative.hasSuffix(".h") || relative.hasSuffix(".modulemap"))
                && !presentationOnly.contains((relative as NSString).lastPathComponent) {
                files.append(folder + "/" + relative)
            }
        }
        var hash = SHA256()
        if files.isEmpty {
            guard let binary = FileManager.default.contents(atPath: currentExecutable().path) else { return "unknown" }
            hash.update(data: binary)
            return "bin-" + hex(hash.finalize())
        }
        for file in files.sorted() {
            guard let bytes = FileManager.default.contents(atPath: sources.appendingPathComponent(file).path) else { continue }
            hash.update(data: Data(file.utf8))
            hash.update(data: Data([0]))
            hash.update(data: bytes)
        }
        return "src-" + hex(hash.finalize())
    }

    private static func hex(_ digest: SHA256.Digest) -> String {
        digest.prefix(6).map { String(format: "%02x", $0) }.joined()
    }

    /// `git describe --always --dirty` run in `directory`, or "unknown" when git or the repository
    /// is missing (an installed binary, a source tarball). Provenance only: it is not part of run ids.
    public static func describe(directory: URL) -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git", "-C", directory.path, "describe", "--always", "--dirty"]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            return "unknown"
        }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return process.terminationStatus == 0 && !text.isEmpty ? text : "unknown"
    }
}
