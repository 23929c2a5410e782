import ArgumentParser
import Foundation
import WiringExperiment

extension WiringLab {
    /// `wiringlab clean`: the files of a results folder that the manifest no longer produces.
    struct Clean: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the results (and checkpoints) in a manifest's results folder that its runs no longer "
                + "produce; remove them with --yes.",
            discussion: "Runs held by a live process (their lock) are never touched. The sweep index is kept.")

        @OptionGroup var manifest: ManifestOptions
        @OptionGroup var results: ResultsOptions
        @OptionGroup var version: CodeVersionOptions

        @Flag(help: "Remove the listed files.")
        var yes = false

        func run() throws {
            let plan = try manifest.load().plan(codeVersion: version.resolved)
            let folder = results.folder(for: plan)
            let stale = staleFiles(of: plan, in: folder)
            if stale.isEmpty {
                print("nothing to clean in \(folder.path)")
                return
            }
            for file in stale { print((yes ? "removed " : "") + file) }
            if yes {
                for file in stale { try? FileManager.default.removeItem(atPath: folder.appendingPathComponent(file).path) }
            } else {
                print("\(stale.count) files no run of \(plan.name) produces; run again with --yes to remove them")
            }
        }
    }
}
