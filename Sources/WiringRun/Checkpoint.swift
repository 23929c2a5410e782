// The complete state of a run between two steps, and its checkpoint file. A checkpoint holds
// theta, the running statistics, the optimiser's momentum, every RNG state, the data position and
// step counters, and the step log so far, so a resumed run continues bitwise as if never stopped.
// Tensors and logs are HDF5 datasets (exact); the small state is one JSON attribute (integers and
// RNG words only, which JSON round-trips exactly).
import Foundation
import WiringData
import WiringEngine
import WiringModel
import WiringResults
import WiringSearch
import WiringSpec

/// Counters and random states of a run (everything but tensors and logs).
struct RunCursor: Codable, Equatable {
    /// The run id the checkpoint belongs to (a checkpoint of another configuration is refused).
    var runID: String
    var phaseIndex = 0
    var stepInPhase = 0
    var sampleRNG: RNG
    /// The loader position inside the current phase (nil at a phase start).
    var loader: LoaderPosition?
    /// The search-half loader of a bi-level search phase.
    var searchLoader: LoaderPosition?
    /// The search algorithm's own state (alpha, Adam moments, temperature), JSON-encoded by WiringSearch.
    var searchState: Data?
    /// Wall seconds spent running before this checkpoint, summed over invocations (nil in older checkpoints).
    var computeSeconds: Double?
    /// The most worker threads any step used so far, over invocations (nil in older checkpoints).
    var threadsUsed: Int?
}

/// Writes and reads `<out>/<id>.ckpt`, keeping the one before as `<out>/<id>.ckpt.prev`: a checkpoint that turns out
/// damaged when the run resumes is moved aside (DamagedFiles) and the run resumes from the one before, or from the
/// start when that one is unusable too.
enum Checkpoint {
    /// The layout version; a checkpoint of another layout is refused (start the run afresh).
    static let checkpointFormat = 3  // 3: the eval log

    /// Where the checkpoint before the last one is kept.
    static func previous(of path: String) -> String { path + RunFiles.previousSuffix }

    /// Keeps the current checkpoint (if any) as the previous one, before a new one is written under `path`. A rename:
    /// atomic, so a crash leaves either both files or the previous one alone, never neither.
    static func keepAsPrevious(_ path: String) throws {
        guard FileManager.default.fileExists(atPath: path) else { return }
        guard rename(path, previous(of: path)) == 0 else {
            throw RunError.cannotWrite(path: previous(of: path), reason: String(cString: strerror(errno)))
        }
    }

    static func write<T: TensorElement>(to path: String, cursor: RunCursor, parameters: ParameterStore<T>,
                                        momentum: [String: Tensor<T>], log: StepLog, splits: SplitSums,
                                        searchLog: SearchLog, evalLog: EvalLog, probeLog: ProbeLog) throws {
        try HDF5File.write(to: path) { root in
            try root.setAttribute("cursor", String(decoding: try JSONEncoder().encode(cursor), as: UTF8.self))
            try root.setAttribute("precision", T.precisionName)
            try root.setAttribute("checkpoint_format", Int64(checkpointFormat))
            for name in parameters.names { try root.write("params/" + name, parameters[name]!.scalars.map(Double.init), shape: parameters[name]!.shape) }
            for (name, value) in parameters.buffers { try root.write("buffers/" + name, value.scalars.map(Double.init)) }
            for (name, value) in momentum { try root.write("momentum/" + name, value.scalars.map(Double.init), shape: value.shape) }
            // Every column of the logs, exactly, under the names the result file uses.
            let logGroup = try root.createGroup("log")
            for column in StepLog.columns { try column.writeCheckpoint(log, to: logGroup) }
            for column in SearchLog.columns { try column.writeCheckpoint(searchLog, to: logGroup) }
            for column in EvalLog.columns { try column.writeCheckpoint(evalLog, to: logGroup) }
            for column in ProbeLog.columns { try column.writeCheckpoint(probeLog, to: logGroup) }
            try root.write("splits/keys", splits.keys.flatMap { $0 }, shape: [splits.keys.count, 2])
            try root.write("splits/rows", splits.rows.flatMap { $0 }, shape: [splits.rows.count, 8])
        }
    }

    /// Restores a checkpoint into the given state. - Throws: `ResultsError` for an unreadable file,
    /// `RunError.checkpointMismatch` when it belongs to another run or precision.
    static func read<T: TensorElement>(from path: String, runID: String, parameters: inout ParameterStore<T>,
                                       momentum: inout [String: Tensor<T>], log: inout StepLog,
                                       splits: inout SplitSums, searchLog: inout SearchLog,
                                       evalLog: inout EvalLog, probeLog: inout ProbeLog) throws -> RunCursor {
        let file = try HDF5File(reading: path)
        defer { file.close() }
        guard case .intact = file.seal else { throw RunError.unusableCheckpoint(reason: DamagedFiles.unsealed) }
        let root = file.root
        let cursor = try JSONDecoder().decode(RunCursor.self, from: Data(try root.stringAttribute("cursor").utf8))
        let format = try root.hasAttribute("checkpoint_format") ? try root.attribute("checkpoint_format", as: Int64.self) : 1
        guard format == checkpointFormat, cursor.runID == runID,
              try root.stringAttribute("precision") == T.precisionName else {
            throw RunError.checkpointMismatch(path: path)
        }
        for name in parameters.names {
            let values = try root.dataset("params/" + name).read(Double.self)
            parameters[name] = Tensor(shape: values.shape, scalars: values.values.map { T($0) })
        }
        for name in try root.group("buffers").datasetNames() {
            let values = try root.dataset("buffers/" + name).read(Double.self).values
            parameters.setBuffer(name, Tensor(shape: [values.count], scalars: values.map { T($0) }))
        }
        momentum = [:]
        if try root.contains("momentum") {
            for name in try root.group("momentum").datasetNames() {
                let values = try root.dataset("momentum/" + name).read(Double.self)
                momentum[name] = Tensor(shape: values.shape, scalars: values.values.map { T($0) })
            }
        }
        let logGroup = try root.group("log")
        for column in StepLog.columns { try column.readCheckpoint(&log, from: logGroup) }
        for column in SearchLog.columns { try column.readCheckpoint(&searchLog, from: logGroup) }
        for column in EvalLog.columns { try column.readCheckpoint(&evalLog, from: logGroup) }
        for column in ProbeLog.columns { try column.readCheckpoint(&probeLog, from: logGroup) }
        let keys = try root.dataset("splits/keys").read(Int.self).values
        let rows = try root.dataset("splits/rows").read(Double.self).values
        splits.keys = stride(from: 0, to: keys.count, by: 2).map { Array(keys[$0..<($0 + 2)]) }
        splits.rows = stride(from: 0, to: rows.count, by: 8).map { Array(rows[$0..<($0 + 8)]) }
        return cursor
    }
}

