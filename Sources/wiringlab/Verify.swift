import ArgumentParser
import WiringExperiment

extension WiringLab {
    /// `wiringlab verify`: read every dataset of result files, so damage is found before a number is trusted.
    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Read every dataset of result files and check their checksums.",
            discussion: "Prints 'ok: <file> (<n> datasets)' per file; a damaged or foreign file gives one line and exit 2.")

        @Argument(help: ArgumentHelp("Result files written by `wiringlab run`.", valueName: "file.h5"))
        var files: [String]

        func run() throws {
            for file in files {
                let count = try verifyResults(at: file)
                print("ok: \(file) (\(count) datasets)")
            }
        }
    }
}
