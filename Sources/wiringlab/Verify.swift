import ArgumentParser
import WiringExperiment

extension WiringLab {
    /// `wiringlab verify`: read every dataset of result files, so damage is found before a number is trusted.
    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check result files and checkpoints byte for byte against their seals and read every dataset.",
            discussion: """
                Every file WiringLab writes carries a SHA-256 seal of all its bytes (docs/results-format.md). Prints \
                'ok: <file> (<n> datasets, ...)' per file; a damaged or foreign file gives one line and exit 2.
                """)

        @Argument(help: ArgumentHelp("Result files (.h5) or checkpoints (.ckpt) written by `wiringlab run`.",
                                     valueName: "file"))
        var files: [String]

        func run() throws {
            for file in files {
                print("ok: \(file) (\(try verifyResults(at: file).summary))")
            }
        }
    }
}
