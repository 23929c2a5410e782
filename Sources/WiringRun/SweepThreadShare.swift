// WiringLab: presentation only (not part of the code version)
// The cores of a `--jobs N` sweep, handed on as its runs finish. Each child starts with cores / N
// threads; once nothing is left to start and fewer than N children still run, the parent writes the
// new share (cores / running) into a small file whose path each child was given as an argument
// (`run --thread-share-file`), and each child, between steps, raises its thread count to it (the
// executor's own `threads`, which it binds as the kernels' count for each step). Without this the last run of a sweep runs
// alone on 1 of 2 cores (fig4-quick: its third run took a third of the sweep's wall time).
// Results do not depend on the thread count (bitwise), so a run may change it at any step.
import Foundation

public enum SweepThreadShare {
    /// The option that names the share file on a child's command line (`run`'s hidden option).
    public static let option = "--thread-share-file"

    /// A fresh path for one sweep's share file (not created yet), in the temporary folder.
    static func newFile() -> URL {
        FileManager.default.temporaryDirectory
            .appendingPathComponent("wiringlab-threads-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString)")
    }

    /// Writes `threads` to `file` atomically (a reader sees the old number or the new one, never half).
    static func publish(_ threads: Int, to file: URL) {
        try? Data("\(threads)\n".utf8).write(to: file, options: .atomic)
    }

    /// Reads the number a child may raise its threads to, or nil when there is none (yet).
    static func read(_ file: URL) -> Int? {
        guard let data = try? Data(contentsOf: file),
              let number = Int(String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)),
              number >= 1 else { return nil }
        return number
    }

    /// A child's side: looks at the share file at most once a second and says when its thread count
    /// should rise to what the file says (never above the cores, never lower: a run keeps what it has).
    public final class Follower {
        let file: URL
        let cores: Int
        var lastLook = Date.distantPast

        /// Follows the share file `file` (the path a sweep's parent gave its child).
        public init(file: URL, cores: Int = ProcessInfo.processInfo.activeProcessorCount) {
            self.file = file
            self.cores = max(1, cores)
        }

        /// Call between steps with the threads in use; cheap when called often. Returns the new thread
        /// count when it should rise (the run's steps then use it), else nil.
        public func poll(now: Date = Date(), current: Int) -> Int? {
            guard now.timeIntervalSince(lastLook) >= 1 else { return nil }
            lastLook = now
            guard let share = SweepThreadShare.read(file) else { return nil }
            let threads = min(share, cores)
            return threads > current ? threads : nil
        }
    }
}
