// One process at a time per run: `flock` on `<out>/<id>.lock` while the run executes, so two invocations
// of one sweep share it (each skips the runs the other holds) and never write the same checkpoint. The
// kernel drops a flock when its process dies, so a lock left by a crash is free at once; the file is
// removed on release, and a lock taken on a file that was removed meanwhile is retried on the new one.
import Foundation
import WiringSpec

/// An exclusive lock on one run id in a results folder.
final class RunLock {
    let path: String
    private var descriptor: Int32

    private init(path: String, descriptor: Int32) {
        self.path = path
        self.descriptor = descriptor
    }

    /// What `acquire` found.
    enum Attempt {
        case acquired(RunLock)
        /// Another live process holds the lock (its pid, when it wrote one).
        case busy(pid: Int32?)
    }

    /// Takes the lock of run `id` in `folder` without waiting.
    /// - Throws: `RunError.cannotWrite` when the lock file cannot be created (a read-only folder).
    static func acquire(id: String, in folder: URL) throws -> Attempt {
        let path = folder.appendingPathComponent(RunFiles.lock(id)).path
        while true {
            let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw RunError.cannotWrite(path: path, reason: String(cString: strerror(errno))) }
            if flock(fd, LOCK_EX | LOCK_NB) != 0 {
                let holder = readPID(fd)
                close(fd)
                return .busy(pid: holder)
            }
            // The holder before us may have removed the file after we opened it: lock the file that is there now.
            var opened = stat(), current = stat()
            guard fstat(fd, &opened) == 0, stat(path, &current) == 0, opened.st_ino == current.st_ino,
                  opened.st_dev == current.st_dev else {
                close(fd)
                continue
            }
            let pid = "\(getpid())\n"
            _ = ftruncate(fd, 0)
            _ = pid.withCString { pwrite(fd, $0, strlen($0), 0) }
            return .acquired(RunLock(path: path, descriptor: fd))
        }
    }

    /// Removes the lock file and drops the lock (in that order, so a waiter that opened the old file retries).
    func release() {
        guard descriptor >= 0 else { return }
        unlink(path)
        close(descriptor)
        descriptor = -1
    }

    deinit { release() }

    private static func readPID(_ fd: Int32) -> Int32? {
        var buffer = [CChar](repeating: 0, count: 32)
        let n = pread(fd, &buffer, 31, 0)
        guard n > 0 else { return nil }
        return Int32(String(cString: buffer).trimmingCharacters(in: .whitespacesAndNewlines))
    }
}
