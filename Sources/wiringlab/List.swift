import ArgumentParser
import Foundation
import WiringExperiment

extension WiringLab {
    /// `wiringlab list`: the manifests in the experiments folder with their descriptions.
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the experiment manifests and their descriptions.")

        @Option(name: .long, help: ArgumentHelp("The folder of manifests.", valueName: "dir"))
        var directory = "experiments"

        func run() throws {
            let entries: [CatalogEntry]
            do {
                entries = try experimentCatalog(in: URL(fileURLWithPath: directory, isDirectory: true))
            } catch {
                printError("cannot list '\(directory)': \(error.localizedDescription)")
                throw ExitCode(ExitCodes.invalidInput)
            }
            let width = entries.map(\.file.count).max() ?? 0
            for entry in entries {
                let file = entry.file.padding(toLength: width, withPad: " ", startingAt: 0)
                print(entry.description.isEmpty ? entry.file : file + "  " + entry.description)
            }
        }
    }
}
