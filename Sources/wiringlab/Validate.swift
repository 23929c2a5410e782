import ArgumentParser
import WiringExperiment

extension WiringLab {
    /// `wiringlab validate`: load, merge and check a manifest without running anything.
    struct Validate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check a manifest and print how many runs it expands to.",
            discussion: "Prints 'ok: <n> runs', or one line naming the file, line and key at fault and exits with 2.")

        @OptionGroup var manifest: ManifestOptions

        func run() throws {
            // The code version only changes ids, which validate does not print.
            let plan = try manifest.load().plan(codeVersion: "unknown")
            print("ok: \(plan.runs.count) run\(plan.runs.count == 1 ? "" : "s")")
        }
    }
}
