import ArgumentParser
import Foundation
import WiringExperiment

extension WiringLab {
    /// `wiringlab plan`: list the runs of a manifest with their ids, status and estimated cost.
    struct Plan: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the runs a manifest expands to, their status and estimated cost, running nothing.",
            discussion: """
                A run is done when <out>/<id>.h5 exists, running while another process holds its lock, partial when \
                a checkpoint exists; old-code when the same settings were run by another code version. Run ids \
                hash the resolved settings, the result format and the code that computes results (not docs, \
                manifests or tests). For runs not done, the keys that differ from the nearest done run are listed.
                """)

        @OptionGroup var manifest: ManifestOptions
        @OptionGroup var results: ResultsOptions
        @OptionGroup var version: CodeVersionOptions
        @Flag(help: ArgumentHelp("Estimate times from the cost table as measured, without timing this machine first.",
                                 discussion: "By default a \(HostSpeed.planBudget) s speed probe scales the table to this machine."))
        var noSpeedProbe = false
        @Option(help: ArgumentHelp("A pilot result file: estimate how long each probe phase with until_sign_known runs.",
                                   valueName: "FILE.h5"))
        var pilot: String?

        func run() throws {
            let plan = try manifest.load().plan(codeVersion: version.resolved)
            let factor = noSpeedProbe ? 1 : HostSpeed.factor(measured: HostSpeed.probe(budget: HostSpeed.planBudget), table: .measured)
            print(plan.table(resultsFolder: results.folder(for: plan), costModel: CostModel(hostFactor: factor),
                             width: Terminal.width()), terminator: "")
            if let pilot {
                for estimate in try SignKnownEstimate.estimates(plan: plan, pilot: pilot) { print(estimate.line) }
            }
        }
    }
}
