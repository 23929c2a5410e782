// WiringLab: presentation only (not part of the code version)
// The code version that run ids include: a hash of the sources that compute results, and only of those.
// Docs, manifests, tests, the CLI, the benchmarks and the files that only present results (show, plan,
// compare, the docs tables; each marked by `presentationOnlyMarker` in its first lines) are left out, so editing a comment in one's manifest or a README, or making a
// commit that touches none of the numerics, keeps every run id; changing a kernel, the model, the search,
// the data loaders, the runner or the result writer gives new ids. `git describe` is kept beside it in
// the result files for provenance.

import Crypto
import Foundation

/// Identifies the code that produces results.
public enum CodeVersion {
    /// The source folders whose files compute results.
    /// The experiment layer's four targets are all listed: their presentation files carry the marker.
    static let computingSources = ["WiringEngine", "WiringModel", "WiringSearch", "WiringData", "WiringResults",
                                   "WiringSpec", "WiringRun", "WiringReport", "WiringCluster", "WiringExperiment",
                                   "CHDF5", "CZlib"]
    /// The line that marks a source file inside those folders as presentation only (it shows, documents or
    /// estimates results but never computes one), so that editing it keeps every run id. It must stand alone on a
    /// line within the file's first 2,000 bytes. Marking a file, not listing its name, keeps run ids independent of
    /// file names: a renamed or moved file keeps its kind.
    public static let presentationOnlyMarker = "// WiringLab: presentation only (not part of the code version)"

    /// Whether a source file's bytes carry the presentation-only marker near its top.
    static func isPresentationOnly(_ bytes: Data) -> Bool {
        String(decoding: bytes.prefix(2000), as: UTF8.self).split(separator: "\n")
            .contains { $0.trimmingCharacters(in: .whitespaces) == presentationOnlyMarker }
    }

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
            where relative.hasSuffix(".swift") || relative.hasSuffix(".h") || relative.hasSuffix(".modulemap") {
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
            guard let bytes = FileManager.default.contents(atPath: sources.appendingPathComponent(file).path),
                  !isPresentationOnly(bytes) else { continue }
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
