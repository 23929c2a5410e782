// The PyTorch side of the benchmark: tools/bench_torch.py as a co-process that times the same blocks
// and steps on request, so that both are measured in one invocation, interleaved, under the same load.
import Foundation

/// A running `tools/bench_torch.py`, or nil when Debian's python3-torch is not installed.
///
/// The peer may exit at any time (a missing torch, a crash): every write to its pipe tolerates a reader that is gone
/// (SIGPIPE is ignored for the whole benchmark, and a failed write is an answer of nil), so the benchmark goes on
/// with its own figures instead of dying of SIGPIPE.
final class TorchPeer {
    /// Why the last start failed, for the benchmark's first line.
    nonisolated(unsafe) static var unavailableReason = ""

    let process = Process()
    let input = Pipe()
    let output = Pipe()
    var buffer = Data()

    init?(packageRoot: URL) {
        // Debian's torch is for /usr/bin/python3; WIRINGBENCH_PEER_PYTHON names another interpreter.
        let python = ProcessInfo.processInfo.environment["WIRINGBENCH_PEER_PYTHON"] ?? "/usr/bin/python3"
        let script = packageRoot.appendingPathComponent("tools/bench_torch.py").path
        guard FileManager.default.isExecutableFile(atPath: python), FileManager.default.fileExists(atPath: script) else {
            TorchPeer.unavailableReason = "no \(python) or no \(script)"
            return nil
        }
        signal(SIGPIPE, SIG_IGN)
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [script]
        var environment = ProcessInfo.processInfo.environment
        // Keep freed memory, as a long-running trainer's allocator would (the engine issue's setting).
        environment["GLIBC_TUNABLES"] = "glibc.malloc.mmap_threshold=4294967295:glibc.malloc.trim_threshold=4294967295"
        process.environment = environment
        process.standardInput = input
        process.standardOutput = output
        let errors = Pipe()
        process.standardError = errors
        do { try process.run() } catch {
            TorchPeer.unavailableReason = "\(python) did not start: \(error)"
            return nil
        }
        guard let hello = readLine(), hello["ready"] as? Bool == true else {
            if process.isRunning { process.terminate() }
            process.waitUntilExit()
            // The peer's last stderr line says why (e.g. "ModuleNotFoundError: No module named 'torch'").
            let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            TorchPeer.unavailableReason = text.split(separator: "\n").last.map(String.init) ?? "exit \(process.terminationStatus)"
            return nil
        }
        // Nothing more is read from stderr: drain it so that a chatty peer never blocks on a full pipe.
        errors.fileHandleForReading.readabilityHandler = { _ = $0.availableData }
    }

    private func readLine() -> [String: Any]? {
        while true {
            if let newline = buffer.firstIndex(of: 0x0A) {
                let line = buffer[buffer.startIndex..<newline]
                buffer.removeSubrange(buffer.startIndex...newline)
                return (try? JSONSerialization.jsonObject(with: line)) as? [String: Any]
            }
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { return nil }
            buffer.append(chunk)
        }
    }

    /// Median milliseconds of `kind` ("block" or "step") `name` at batch `batch` with `threads` threads,
    /// after `warmup` runs.
    func time(kind: String, name: String, batch: Int, threads: Int, repetitions: Int, warmup: Int = 3) -> [String: Double]? {
        let request = "\(kind) \(name) \(batch) \(threads) \(repetitions) \(warmup)\n"
        guard (try? input.fileHandleForWriting.write(contentsOf: Data(request.utf8))) != nil
        else { return nil }
        guard let reply = readLine(), reply["error"] == nil else { return nil }
        // The peer's OpenMP workers spin for a while after a request; let them sleep before we time ours.
        usleep(500_000)
        return reply.compactMapValues { $0 as? Double }
    }

    deinit {
        // Runs after a failed start too (a failable init that returns nil): write only to a live peer.
        if process.isRunning { try? input.fileHandleForWriting.write(contentsOf: Data("quit\n".utf8)) }
        if process.isRunning || process.processIdentifier != 0 { process.waitUntilExit() }
    }
}
