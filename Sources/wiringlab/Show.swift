import ArgumentParser
import Foundation
import WiringExperiment

extension WiringLab {
    /// `wiringlab show`: print a result file's configuration, cost matrices and identity residuals.
    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a result file: its run, the mean-cost matrix of each phase with standard errors, "
                + "the C/L/H split and the identity residuals.")

        @Argument(help: ArgumentHelp("A result file written by `wiringlab run`.", valueName: "file.h5"))
        var file: String

        @Flag(help: "Colour positive costs red and negative blue (default: when stdout is a terminal).")
        var color = false

        func run() throws {
            print(try describeResults(at: file, color: color || isatty(STDOUT_FILENO) != 0), terminator: "")
        }
    }
}
