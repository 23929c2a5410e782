// Whether a run has already been done, judged only by the files in the results folder, so that `plan`
// and `run` agree without any state of their own. A finished run is renamed to `<id>.h5` as its last
// act, so a file with that name is never a partial result.

import Foundation

/// How far a run got.
public enum RunStatus: String, CaseIterable, Codable, Hashable, Sendable {
    /// No file of this run exists.
    case new
    /// `<id>.h5.partial` or `<id>.ckpt` exists: an interrupted run that resumes from its checkpoint.
    case partial
    /// `<id>.h5` exists.
    case done

    /// The status of run `id` in `folder`.
    public init(id: String, in folder: URL) {
        let fm = FileManager.default
        func exists(_ name: String) -> Bool { fm.fileExists(atPath: folder.appendingPathComponent(name).path) }
        if exists(RunFiles.result(id)) {
            self = .done
        } else if exists(RunFiles.partial(id)) || exists(RunFiles.checkpoint(id)) {
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
    /// The result being written.
    public static func partial(_ id: String) -> String { "\(id).h5.partial" }
    /// The last checkpoint.
    public static func checkpoint(_ id: String) -> String { "\(id).ckpt" }
}

extension ExperimentPlan {
    /// The default results folder: `results/<name>/`, relative to the working directory.
    public var defaultResultsFolder: URL {
        URL(fileURLWithPath: "results", isDirectory: true).appendingPathComponent(name, isDirectory: true)
    }
}
