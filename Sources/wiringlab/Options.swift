// Options shared by the subcommands that read a manifest.

import ArgumentParser
import Foundation
import WiringExperiment

/// A manifest and its command-line overrides.
struct ManifestOptions: ParsableArguments {
    @Argument(help: ArgumentHelp("The experiment manifest (a YAML file, see docs/manifest.md).",
                                 valueName: "manifest"))
    var manifest: String

    @Argument(help: ArgumentHelp(
        "Overrides applied after includes, as key.path=value; the value is YAML (seed=3, network.ops=[none,skip_connect]).",
        valueName: "key.path=value"))
    var overrides: [String] = []

    /// Loads and merges the manifest with the overrides.
    func load() throws -> Manifest {
        try Manifest.load(contentsOf: manifest, overrides: overrides)
    }
}

/// Where results go.
struct ResultsOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The results folder (default: results/<experiment name>/).",
                                            valueName: "dir"))
    var out: String?

    /// The folder for `plan`'s results.
    func folder(for plan: ExperimentPlan) -> URL {
        out.map { URL(fileURLWithPath: $0, isDirectory: true) } ?? plan.defaultResultsFolder
    }
}

/// The code version that run ids include.
struct CodeVersionOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "The code version mixed into run ids (default: a hash of the sources that compute results).",
        valueName: "version"))
    var codeVersion: String?

    /// The given version, or the hash of the package's computing sources.
    var resolved: String { codeVersion ?? CodeVersion.current(packageDirectory: packageDirectory) }

    /// `plan` with the git description recorded for provenance.
    func stamped(_ plan: ExperimentPlan) -> ExperimentPlan {
        var plan = plan
        plan.gitDescribe = CodeVersion.describe(directory: packageDirectory)
        return plan
    }
}

/// The package this binary was built from, for `git describe`.
let packageDirectory = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
