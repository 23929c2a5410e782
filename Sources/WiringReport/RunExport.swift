// WiringLab: presentation only (not part of the code version)
// `wiringlab export`: finished result files (or the folders holding them) out to other tools: TensorBoard
// event folders, written exactly as a live run writes them (RunEvents), and one tidy CSV table
// (TidyTable). Every `*.h5` result file of a folder is taken; other files there are passed over.
import Foundation
import WiringResults
import WiringSpec
import WiringRun

/// One finished run read for export.
public struct ExportedRun {
    public let path: String
    public let id: String
    public let name: String
    public let experiment: String
    /// The grid point without the seed (`settingName`), the experiment name when nothing varies.
    public let setting: String
    /// The run's seed (root attribute `seed`).
    public let seed: Int
    /// Whether the sweep varies the seed (replicates), which then names the run's event folder.
    let replicateSeed: Int?
    let varying: [SweepIndexEntry.Axis]
    let records: RunRecords
    /// Per (phase, cell, edge, op): `summary/cost_mean`, `cost_sem` and `cost_count`, flattened.
    let costMean: [Double], costSEM: [Double], costCount: [Int]
    let settings: String
    let created: Date

    /// - Throws: `CollectError` when the file is not a WiringLab result file, `ResultsError` when unreadable.
    init(path: String) throws {
        let file = try HDF5File(reading: path)
        defer { file.close() }
        let root = file.root
        guard try root.hasAttribute("format"), try root.stringAttribute("format") == "wiringlab-results" else {
            throw CollectError(message: "\(path): not a WiringLab result file (no format attribute 'wiringlab-results')")
        }
        self.path = path
        id = try root.stringAttribute("run_id")
        name = try root.stringAttribute("run_name")
        experiment = try root.stringAttribute("experiment")
        seed = Int(try root.attribute("seed", as: Int64.self))
        varying = try root.hasAttribute("varying")
            ? try JSONDecoder().decode([SweepIndexEntry.Axis].self, from: Data(try root.stringAttribute("varying").utf8)) : []
        replicateSeed = varying.first { $0.key == "seed" }.flatMap { axis -> Int? in
            if case let .int(s) = axis.value { return s } else { return nil }
        }
        setting = settingName(varying.map { ($0.key, $0.label ?? $0.value.plain) }, experiment: experiment)
        records = try RunRecords(resultFile: root)
        costMean = try root.dataset("summary/cost_mean").read(Double.self).values
        costSEM = try root.dataset("summary/cost_sem").read(Double.self).values
        costCount = try root.dataset("summary/cost_count").read(Int.self).values
        let codeVersion = try root.stringAttribute("code_version")
        let version = try root.hasAttribute("format_version") ? Int(try root.attribute("format_version", as: Int64.self)) : 1
        settings = RunEvents.settingsText(experiment: experiment, runID: id, name: name, codeVersion: codeVersion,
                                          config: StoredConfig.manifestText(configText: try root.stringAttribute("config"),
                                                                            formatVersion: version))
        created = ISO8601DateFormatter().date(from: try root.stringAttribute("created")) ?? Date()
    }

    /// The run's event folder name (as a live run names it).
    var eventFolderName: String { RunEvents.folderName(setting: setting, seed: replicateSeed, runID: id) }
}

/// The runs `wiringlab export` was given.
public struct RunExport {
    public let runs: [ExportedRun]

    /// Reads every result file among `sources` (files, or folders whose `*.h5` result files are read).
    /// - Throws: `CollectError` for a missing path, a file that is no result file or no results at all.
    public init(sources: [String]) throws {
        var runs: [ExportedRun] = []
        for source in sources {
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: source, isDirectory: &isFolder) else {
                throw CollectError(message: "\(source): no such result file or folder")
            }
            if isFolder.boolValue {
                let names = try FileManager.default.contentsOfDirectory(atPath: source).filter { $0.hasSuffix(".h5") }.sorted()
                for name in names {
                    let path = URL(fileURLWithPath: source).appendingPathComponent(name).path
                    // A sweep file (`collect`) or another HDF5 file in the folder is not a run: passed over.
                    if let run = try? ExportedRun(path: path) { runs.append(run) }
                }
            } else {
                runs.append(try ExportedRun(path: source))
            }
        }
        guard !runs.isEmpty else {
            throw CollectError(message: "\(sources.joined(separator: " ")): no result files (run the experiment with `wiringlab run` first)")
        }
        self.runs = runs
    }

    /// Writes each run's event file into `folder/<setting>-<id>/`; returns the folders written.
    public func writeTensorBoard(to folder: String) throws -> [String] {
        try runs.map { run in
            let target = URL(fileURLWithPath: folder, isDirectory: true).appendingPathComponent(run.eventFolderName,
                                                                                                 isDirectory: true)
            let writer = try EventFileWriter(folder: target, wallTime: run.created, flushInterval: .infinity)
            try RunEvents.writeAll(run.records, settings: run.settings, to: writer, wallTime: run.created)
            return target.path
        }
    }
}
