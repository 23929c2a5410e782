// The PyTorch side of the benchmark: tools/bench_torch.py as a co-process that times the same blocks
// and steps on request, so that both are measured in one invocation, interleaved, under the same load.
import Foundation

/// A running `tools/bench_torch.py`, or nil when Debian's python3-torch is not installed.
final class TorchPeer {
    let process = Process()
    let input = Pipe()
    let output = Pipe()
    var buffer = Data()

    init?(packageRoot: URL) {
        let python = "/usr/bin/python3"
        let script = packageRoot.appendingPathComponent("tools/bench_torch.py").path
        guard FileManager.default.isExecutableFile(atPath: python), FileManager.default.fileExists(atPath: script) else {
            return nil
        }
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [script]
        var environment = ProcessInfo.processInfo.environment
        // Keep freed memory, as a long-running trainer's allocator would (the engine issue's setting).
        environment["GLIBC_TUNABLES"] = "glibc.malloc.mmap_threshold=4294967295:glibc.malloc.trim_threshold=4294967295"
        process.environment = environment
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return nil }
        guard let hello = readLine(), hello["ready"] as? Bool == true else {
            process.terminate()
            return nil
        }
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

    /// Median milliseconds of `kind` ("block" or "step") `name` at batch `batch` with `threads` threads.
    func time(kind: String, name: String, batch: Int, threads: Int, repetitions: Int) -> [String: Double]? {
        input.fileHandleForWriting.write(Data("\(kind) \(name) \(batch) \(threads) \(repetitions)\n".utf8))
        guard let reply = readLine(), reply["error"] == nil else { return nil }
        return reply.compactMapValues { $0 as? Double }
    }

    deinit {
        input.fileHandleForWriting.write(Data("quit\n".utf8))
        process.waitUntilExit()
    }
}
