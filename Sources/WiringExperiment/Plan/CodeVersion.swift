// The code version that run ids include: `git describe --always --dirty` of the package, so a result
// can be traced to the code that made it and a code change gives new ids instead of stale matches.

import Foundation

/// Identifies the code that produces results.
public enum CodeVersion {
    /// `git describe --always --dirty` run in `directory`, or "unknown" when git or the repository
    /// is missing (an installed binary, a source tarball).
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
