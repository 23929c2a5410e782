// The running program: what a sweep starts its children with, what Slurm tasks run, and what the code version
// hashes when the sources are not there.
import Foundation

/// The running program, for starting children (`/proc/self/exe`: right however it was started, from PATH too).
package func currentExecutable() -> URL {
    let link = "/proc/self/exe"
    if let target = try? FileManager.default.destinationOfSymbolicLink(atPath: link) { return URL(fileURLWithPath: target) }
    return URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL
}
