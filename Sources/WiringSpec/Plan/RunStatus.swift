// Whether a run has already been done, judged only by the files in the results folder, so that `plan`
// and `run` agree without any state of their own. A finished run is renamed to `<id>.h5` as its last
// act, so a file with that name is never a partial result.

import Foundation
import WiringResults

/// How far a run got.
public enum RunStatus: String, CaseIterable, Codable, Hashable, Sendable {
    /// No file of this run exists.
    case new
    /// A checkpoint or a partial result exists: an interrupted run that resumes from its checkpoint.
    case partial
    /// Another process holds the run's lock and is running it now.
    case running
    /// `<id>.h5` exists.
    case done

    /// The status of run `id` in `folder`.
    public init(id: String, in folder: URL) {
        let fm = FileManager.default
        func exists(_ name: String) -> Bool { fm.fileExists(atPath: folder.appendingPathComponent(name).path) }
        if exists(RunFiles.result(id)) {
            self = .done
        } else if RunFiles.isLocked(id, in: folder) {
            self = .running
        } else if exists(RunFiles.checkpoint(id)) || exists(RunFiles.previousCheckpoint(id))
                    || !HDF5File.partialFiles(of: folder.appendingPathComponent(RunFiles.result(id)).path).isEmpty {
            self = .partial
        } else {
            self = .new
        }
    }
}

/// File names of a run inside its results folder.
public enum RunFiles {
    /// The finished result.
    public static func result(_ id: String) -> String { "\(id).h5" }
    /// The last checkpoint.
    public static func checkpoint(_ id: String) -> String { "\(id).ckpt" }
    /// The checkpoint before the last, kept until the run finishes (resumed from when the last is damaged).
    public static func previousCheckpoint(_ id: String) -> String { checkpoint(id) + previousSuffix }
    package static let previousSuffix = ".prev"
    /// Held (flock) by the process running the run.
    public static func lock(_ id: String) -> String { "\(id).lock" }

    /// Whether a live process holds the lock of run `id` (tested without taking it).
    package static func isLocked(_ id: String, in folder: URL) -> Bool {
        let fd = open(folder.appendingPathComponent(lock(id)).path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        if flock(fd, LOCK_SH | LOCK_NB) == 0 {
            flock(fd, LOCK_UN)
            return false
        }
        return errno == EWOULDBLOCK
    }
}

extension ExperimentPlan {
    /// The default results folder: `results/<name>/`, relative to the working directory.
    public var defaultResultsFolder: URL {
        URL(fileURLWithPath: "results", isDirectory: true).appendingPathComponent(name, isDirectory: true)
    }
}

/// Result files and checkpoints in `folder` whose run id no run of `plan` has (and whose run is not
/// running now), by file name.
public func staleFiles(of plan: ExperimentPlan, in folder: URL) -> [String] {
    let ids = Set(plan.runs.map(\.id))
    let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
    return names.filter { name in
        guard name.hasSuffix(".h5") || name.hasSuffix(".ckpt") || name.hasSuffix(RunFiles.previousCheckpoint("")) else { return false }
        let id = String(name.prefix { $0 != "." })
        return !ids.contains(id) && !RunFiles.isLocked(id, in: folder)
    }.sorted()
}
