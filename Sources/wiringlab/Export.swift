import ArgumentParser
import Foundation
import WiringExperiment

extension WiringLab {
    /// `wiringlab export`: finished runs as TensorBoard event folders and/or one tidy CSV table.
    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write finished runs as TensorBoard event files and/or one tidy CSV table.",
            discussion: """
                TensorBoard: one folder per run, <dir>/<setting>-<id>/, as `run --tensorboard` writes live; then \
                `tensorboard --logdir <dir>`. CSV: columns run_id, one per grid key, seed, phase, epoch, step, cell, \
                edge, op, quantity (the result file's dataset path), value, stderr; read it with \
                pandas.read_csv, R's read.csv or Julia's CSV.read as it is. Layout: docs/results-format.md, section 9.
                """)

        @Argument(help: ArgumentHelp("Result files (.h5), or folders whose result files to read.", valueName: "file-or-folder"))
        var sources: [String]

        @Option(help: ArgumentHelp("Write TensorBoard event folders under this folder.", valueName: "dir"))
        var tensorboard: String?

        @Option(help: ArgumentHelp("Write one tidy CSV table to this file.", valueName: "file.csv"))
        var csv: String?

        func validate() throws {
            guard !sources.isEmpty else { throw ValidationError("Give at least one result file or results folder.") }
            guard tensorboard != nil || csv != nil else { throw ValidationError("Give --tensorboard DIR, --csv FILE or both.") }
        }

        func run() throws {
            let export = try RunExport(sources: sources)
            if let tensorboard {
                let folders = try export.writeTensorBoard(to: tensorboard)
                print("wrote \(folders.count) TensorBoard run folder\(folders.count == 1 ? "" : "s") under \(tensorboard) "
                      + "(tensorboard --logdir \(tensorboard))")
            }
            if let csv {
                let rows = try export.writeCSV(to: csv)
                print("wrote \(rows) rows of \(export.runs.count) run\(export.runs.count == 1 ? "" : "s") to \(csv)")
            }
        }
    }
}
