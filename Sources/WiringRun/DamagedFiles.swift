// What a run does with a file of its own that it cannot trust: a result or checkpoint whose bytes do not match its
// seal (WiringResults' FileSeal), that HDF5 cannot open, or that carries no seal. Such a file is never used: it is
// renamed aside (kept for inspection, the new name said in one line) and the run goes on without it, from an
// earlier checkpoint or from the start. Resuming is bitwise exact, so the result equals an uninterrupted run's.

import Foundation
import WiringResults
import WiringSpec

enum DamagedFiles {
    /// Renames `path` to `<path>.damaged-<UTC time>` (a free name) and returns the new path; nil when the rename
    /// fails (the file is then left where it is and the caller must not go on as if it were gone).
    static func moveAside(_ path: String) -> String? {
        let stamp = ISO8601DateFormatter.string(from: Date(), timeZone: TimeZone(identifier: "UTC")!,
                                                formatOptions: [.withYear, .withMonth, .withDay, .withTime])
        var target = "\(path).damaged-\(stamp)"
        var suffix = 1
        while FileManager.default.fileExists(atPath: target) {
            suffix += 1
            target = "\(path).damaged-\(stamp)-\(suffix)"
        }
        return rename(path, target) == 0 ? target : nil
    }

    /// Why a file without a seal is not trusted as a result or checkpoint of this run.
    static let unsealed = "it has no seal (not written by this version of WiringLab)"

    /// Why the sealed file at `path` cannot be trusted, in a few words, or nil when it opens and every byte
    /// matches its seal.
    static func problem(with path: String) -> String? {
        do {
            let file = try HDF5File(reading: path)
            defer { file.close() }
            guard case .intact = file.seal else { return unsealed }
            return nil
        } catch {
            return reason(error)
        }
    }

    /// The reason in `error` that a file cannot be used, without the file's name.
    static func reason(_ error: Error) -> String {
        switch error {
        case let ResultsError.damaged(_, detail): return "its bytes do not match its seal (\(detail))"
        case ResultsError.notHDF5: return "not an HDF5 file"
        default: return "\(error)"
        }
    }

    /// Whether run `id` has a result in `folder` that can be trusted. A damaged one is moved aside, said in one
    /// note, and the run counts as not done.
    /// - Throws: `RunError.cannotWrite` when a damaged result cannot be moved aside (a read-only folder).
    static func hasIntactResult(_ id: String, in folder: URL, progress: ProgressReporter) throws -> Bool {
        let path = folder.appendingPathComponent(RunFiles.result(id)).path
        guard FileManager.default.fileExists(atPath: path) else { return false }
        guard let problem = problem(with: path) else { return true }
        guard let aside = moveAside(path) else {
            throw RunError.cannotWrite(path: path, reason: "damaged result cannot be moved aside: \(problem)")
        }
        // What was done first, so that a line cut to the terminal's width still says it.
        progress.note("result moved aside, running \(id) again: \(RunFiles.result(id)) -> "
                      + "\((aside as NSString).lastPathComponent): \(problem)")
        return false
    }
}
