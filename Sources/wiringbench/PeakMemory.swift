// Peak memory of one step, ours and the peer's, each measured in a fresh process: a process's peak
// resident size only grows, so one process per step is the only way to see each step's own peak.
// The figure is the peak after three steps minus what was resident before the first (the network,
// its parameters and optimiser state, the batches): the memory the step itself needs.
import Foundation
import WiringEngine

enum PeakMemory {
    /// Resident megabytes now (/proc/self/statm).
    static func residentMB() -> Double {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8),
              let pages = text.split(separator: " ").dropFirst().first.flatMap({ Double($0) })
        else { return .nan }
        return pages * Double(sysconf(Int32(_SC_PAGESIZE))) / 1_048_576
    }

    /// The process's peak resident megabytes so far: VmHWM of /proc/self/status, the high-water mark of
    /// this address space. (getrusage's ru_maxrss would not do: Linux carries it over fork and exec, so a
    /// child would start at its parent's peak.)
    static func peakMB() -> Double {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
              let kilobytes = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).dropFirst().first.flatMap({ Double($0) })
        else { return .nan }
        return kilobytes / 1024
    }

    /// In the child: what `step` needs over what was resident before it first ran.
    static func measure(_ step: () -> Void) -> (baseline: Double, peak: Double) {
        let baseline = residentMB()
        for _ in 0..<3 { step() }
        return (baseline, peakMB())
    }

    /// `wiringbench memory <name> <threads>` in a fresh process: (resident before, peak) in MB.
    static func ours(step name: String, threads: Int) -> (baseline: Double, peak: Double)? {
        let output = run(executable: URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path,
                         arguments: ["memory", name, "\(threads)"], environment: [:])
        guard let line = output?.split(separator: "\n").last(where: { $0.hasPrefix("MEMORY_RESULT") }) else { return nil }
        let numbers = line.split(separator: " ").dropFirst().compactMap { Double($0) }
        return numbers.count == 2 ? (numbers[0], numbers[1]) : nil
    }

    /// The peer's step in a fresh `/usr/bin/python3 tools/bench_torch.py memory ...`: (resident before, peak) in MB.
    static func peer(packageRoot: URL, request: String, batch: Int, threads: Int) -> (baseline: Double, peak: Double)? {
        let script = packageRoot.appendingPathComponent("tools/bench_torch.py").path
        let environment = ["GLIBC_TUNABLES": "glibc.malloc.mmap_threshold=4294967295:glibc.malloc.trim_threshold=4294967295"]
        let python = ProcessInfo.processInfo.environment["WIRINGBENCH_PEER_PYTHON"] ?? "/usr/bin/python3"
        guard let output = run(executable: python, arguments: [script, "memory", request, "\(batch)", "\(threads)"],
                               environment: environment),
              let line = output.split(separator: "\n").last,
              let reply = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Double],
              let baseline = reply["baseline_mb"], let peak = reply["peak_mb"]
        else { return nil }
        return (baseline, peak)
    }

    private static func run(executable: String, arguments: [String], environment: [String: String]) -> String? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return nil }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return process.terminationStatus == 0 ? String(decoding: data, as: UTF8.self) : nil
    }
}
