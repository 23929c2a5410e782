import ArgumentParser
import Foundation
import WiringExperiment

/// The sweep to read: a results folder or a manifest.
struct SweepSourceOptions: ParsableArguments {
    @Argument(help: ArgumentHelp("A results folder, or a manifest whose results folder to read.",
                                 valueName: "folder-or-manifest"))
    var source: String

    @Option(name: .long, help: ArgumentHelp("The results folder of a manifest (default: results/<experiment name>/).",
                                            valueName: "dir"))
    var results: String?

    func load() throws -> SweepCollection { try SweepCollection(source: source, resultsFolder: results) }
}

extension WiringLab {
    /// `wiringlab collect`: a whole sweep as one HDF5 file with `setting` (and `seed`) dimensions.
    struct Collect: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write the finished runs of a sweep into one file, with the grid setting (and the seed) as "
                + "extra labelled dimensions of every variable.",
            discussion: """
                xarray: xr.open_dataset(FILE, group="summary")["cost_mean"].sel(setting="a"). Values a run does \
                not have are NaN. Layout: docs/results-format.md, section 7.
                """)

        @OptionGroup var sweep: SweepSourceOptions

        @Option(name: .shortAndLong, help: ArgumentHelp("The file to write (default: <results folder>-sweep.h5).",
                                                        valueName: "file.h5"))
        var output: String?

        func run() throws {
            let collection = try sweep.load()
            let path = output ?? collection.defaultOutputPath
            try collection.write(to: path)
            print(collection.listing + "wrote \(path)")
        }
    }

    /// `wiringlab compare`: one quantity over the settings of a sweep.
    struct Compare: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print one quantity of every setting of a sweep, phase by phase, with standard errors.")

        @OptionGroup var sweep: SweepSourceOptions

        @Option(name: .shortAndLong, help: ArgumentHelp(
            "cost (mean edge cost over sampled ops other than none), loss, accuracy, entropy or cost_Z.",
            valueName: "quantity"))
        var quantity: String = "cost"

        @Flag(help: "Print CSV: setting,phase,mean,sem,runs.") var csv = false
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            guard let chosen = CompareQuantity(rawValue: quantity) else {
                throw CollectError(message: "--quantity '\(quantity)': expected one of "
                    + CompareQuantity.allCases.map(\.rawValue).joined(separator: ", "))
            }
            guard !(csv && json) else { throw CollectError(message: "give --csv or --json, not both") }
            let comparison = SweepComparison(try sweep.load(), quantity: chosen)
            print(csv ? comparison.csv : json ? try comparison.json() : comparison.text(), terminator: "")
        }
    }
}
