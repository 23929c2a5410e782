import ArgumentParser
import Foundation
import WiringExperiment

extension WiringLab {
    /// `wiringlab plan`: list the runs of a manifest with their ids, status and estimated cost.
    struct Plan: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the runs a manifest expands to, their status and estimated cost, running nothing.",
            discussion: """
                A run is done when <out>/<id>.h5 exists and partial when <out>/<id>.h5.partial or <out>/<id>.ckpt \
                does. Run ids include the code version from git describe.
                """)

        @OptionGroup var manifest: ManifestOptions
        @OptionGroup var results: ResultsOptions
        @OptionGroup var version: CodeVersionOptions

        func run() throws {
            let plan = try manifest.load().plan(codeVersion: version.resolved)
            print(plan.table(resultsFolder: results.folder(for: plan)), terminator: "")
        }
    }
}
