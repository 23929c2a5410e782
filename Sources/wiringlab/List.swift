import ArgumentParser
import Foundation
import WiringExperiment

extension WiringLab {
    /// `wiringlab list`: the manifests in a folder with their descriptions.
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the experiment manifests of a folder and their descriptions.",
            discussion: "Without a folder: ./experiments when it exists, else the experiments shipped with WiringLab.")

        @Argument(help: ArgumentHelp("The folder of manifests.", valueName: "dir"))
        var folder: String?

        @Option(name: .long, help: .hidden)
        var directory: String?

        func run() throws {
            let shipped = packageDirectory.appendingPathComponent("experiments").path
            let chosen = folder ?? directory
                ?? (FileManager.default.fileExists(atPath: "experiments") ? "experiments" : shipped)
            let entries: [CatalogEntry]
            do {
                entries = try experimentCatalog(in: URL(fileURLWithPath: chosen, isDirectory: true))
            } catch {
                printError("\(chosen): cannot list the folder (\(error.localizedDescription)); give a folder of manifests")
                throw ExitCode(ExitCodes.invalidInput)
            }
            let width = min(entries.map(\.file.count).max() ?? 0, 32)
            let columns = Terminal.width()
            for entry in entries {
                let file = entry.file.padding(toLength: max(width, entry.file.count), withPad: " ", startingAt: 0)
                let text = entry.description.isEmpty ? entry.file : file + "  " + entry.description
                print(text.count > columns ? String(text.prefix(columns - 1)) + "…" : text)
            }
        }
    }
}
