// The `wiringlab` command: describe an experiment in a YAML manifest, check it, plan it, run it.
// Each subcommand lives in its own file and stays thin; the work is in WiringExperiment.
// Exit codes: 0 success, 1 a run failed, 2 invalid input (a bad manifest or bad arguments).

import ArgumentParser
import Foundation
import WiringEngine
import WiringExperiment

@main
struct WiringLab: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wiringlab",
        abstract: "Measure why differentiable NAS picks the wiring it picks.",
        discussion: """
            Experiments are YAML manifests (see docs/manifest.md). Exit codes: 0 success, 1 a run failed, \
            2 invalid input.
            """,
        version: "0.1.0",
        // Adding a subcommand is one entry here plus its file.
        subcommands: [Run.self, Plan.self, Validate.self, List.self, Show.self, Verify.self, Collect.self, Compare.self, Export.self,
                      Clean.self,
                      Submit.self,  // Slurm (issue 13)
                      Schema.self])

    /// Runs the command, mapping every kind of invalid input to exit code 2: an `InvalidInput` error (a
    /// manifest, data set, result or checkpoint problem) prints its one line on stderr, and
    /// argument-parser's usage errors (which would exit 64) print as usual.
    static func main() {
        HeapTuning.retainFreedMemory()
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let error as InvalidInput {
            printError("\(error)")
            Foundation.exit(ExitCodes.invalidInput)
        } catch {
            let code = exitCode(for: error)
            let message = fullMessage(for: error)
            if code == .success {
                if !message.isEmpty { print(message) }
                Foundation.exit(0)
            }
            if !message.isEmpty { printError(message) }
            Foundation.exit(code == .validationFailure ? ExitCodes.invalidInput : code.rawValue)
        }
    }
}

/// The exit codes `wiringlab` uses besides 0.
enum ExitCodes {
    /// At least one run failed.
    static let runFailed: Int32 = 1
    /// The manifest or the arguments are invalid.
    static let invalidInput: Int32 = 2
}

/// Writes one line to stderr.
func printError(_ text: String) {
    FileHandle.standardError.write(Data((text.hasSuffix("\n") ? text : text + "\n").utf8))
}
