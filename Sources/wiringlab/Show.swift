import ArgumentParser
import Foundation
import WiringExperiment

extension WiringLab {
    /// `wiringlab show`: print a result file's configuration, cost matrices and identity residuals.
    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a result file: its run, the mean-cost matrix of each phase, the search's wiring, "
                + "the C/L/H split and the identity residuals, fitted to the terminal (100 columns when piped).")

        @Argument(help: ArgumentHelp("A result file written by `wiringlab run`.", valueName: "file.h5"))
        var file: String

        @Flag(help: "The full matrices: every entry as mean ± standard error, whatever the width.")
        var wide = false

        @Flag(help: "Colour positive costs red and negative blue even when stdout is not a terminal.")
        var color = false

        @Flag(help: "No colours (also when NO_COLOR is set).")
        var noColor = false

        @Option(help: ArgumentHelp("Columns to fit (default: the terminal's, or 100).", valueName: "n"))
        var width: Int?

        func run() throws {
            let colour = !noColor && (color || Terminal.colour())
            print(try describeResults(at: file, color: colour, width: width ?? Terminal.width(), wide: wide),
                  terminator: "")
        }
    }
}
