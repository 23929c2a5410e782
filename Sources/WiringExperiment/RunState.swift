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
}

/// Writes and reads `<out>/<id>.ckpt`.
enum Checkpoint {
    static func write<T: TensorElement>(to path: String, cursor: RunCursor, parameters: ParameterStore<T>,
                                        momentum: [String: Tensor<T>], log: StepLog, splits: SplitSums,
                                        searchLog: SearchLog) throws {
        let file = try HDF5File(creating: path)
        do {
            let root = file.root
            try root.setAttribute("cursor", String(decoding: try JSONEncoder().encode(cursor), as: UTF8.self))
            try root.setAttribute("precision", T.precisionName)
            for name in parameters.names { try root.write("params/" + name, parameters[name]!.scalars.map(Double.init), shape: parameters[name]!.shape) }
            for (name, value) in parameters.buffers { try root.write("buffers/" + name, value.scalars.map(Double.init)) }
            for (name, value) in momentum { try root.write("momentum/" + name, value.scalars.map(Double.init), shape: value.shape) }
            try writeLog(log, to: root.createGroup("log"))
            try root.write("splits/keys", splits.keys.flatMap { $0 }, shape: [splits.keys.count, 2])
            try root.write("splits/rows", splits.rows.flatMap { $0 }, shape: [splits.rows.count, 8])
            try searchLog.write(to: root.createGroup("search"))
            try file.commit()
        } catch {
            file.discard()
            throw error
        }
    }

    static func writeLog(_ log: StepLog, to group: HDF5Group) throws {
        let ints: [(String, [Int])] = [("phase", log.phase), ("epoch", log.epoch), ("edge_op", log.edgeOp),
                                       ("sample_step", log.sampleStep), ("sample_correct", log.sampleCorrect)]
        for (name, values) in ints { try group.write(name, values) }
        let doubles: [(String, [Double])] = [
            ("edge_cost", log.edgeCost), ("op_cost", log.opCost), ("node_cost", log.nodeCost),
            ("node_cost_via_edges", log.nodeCostViaEdges), ("loss", log.loss), ("entropy", log.entropy),
            ("cost_Z", log.costZ), ("accuracy", log.accuracy), ("lr", log.lr), ("thm2", log.theorem2Residual),
            ("cor12", log.corollary12Residual), ("sample_loss", log.sampleLoss), ("sample_entropy", log.sampleEntropy),
            ("sample_cost", log.sampleCost),
        ]
        for (name, values) in doubles { try group.write(name, values) }
    }

    static func readLog(_ group: HDF5Group, into log: inout StepLog) throws {
        func ints(_ name: String) throws -> [Int] { try group.dataset(name).read(Int.self).values }
        func doubles(_ name: String) throws -> [Double] { try group.dataset(name).read(Double.self).values }
        log.phase = try ints("phase")
        log.epoch = try ints("epoch")
        log.edgeOp = try ints("edge_op")
        log.sampleStep = try ints("sample_step")
        log.sampleCorrect = try ints("sample_correct")
        log.edgeCost = try doubles("edge_cost")
        log.opCost = try doubles("op_cost")
        log.nodeCost = try doubles("node_cost")
        log.nodeCostViaEdges = try doubles("node_cost_via_edges")
        log.loss = try doubles("loss")
        log.entropy = try doubles("entropy")
        log.costZ = try doubles("cost_Z")
        log.accuracy = try doubles("accuracy")
        log.lr = try doubles("lr")
        log.theorem2Residual = try doubles("thm2")
        log.corollary12Residual = try doubles("cor12")
        log.sampleLoss = try doubles("sample_loss")
        log.sampleEntropy = try doubles("sample_entropy")
        log.sampleCost = try doubles("sample_cost")
    }

    /// Restores a checkpoint into the given state. - Throws: `ResultsError` for an unreadable file,
    /// `RunError.checkpointMismatch` when it belongs to another run or precision.
    static func read<T: TensorElement>(from path: String, runID: String, parameters: inout ParameterStore<T>,
                                       momentum: inout [String: Tensor<T>], log: inout StepLog,
                                       splits: inout SplitSums, searchLog: inout SearchLog) throws -> RunCursor {
        let file = try HDF5File(reading: path)
        defer { file.close() }
        let root = file.root
        let cursor = try JSONDecoder().decode(RunCursor.self, from: Data(try root.stringAttribute("cursor").utf8))
        guard cursor.runID == runID, try root.stringAttribute("precision") == T.precisionName else {
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
        try readLog(root.group("log"), into: &log)
        let keys = try root.dataset("splits/keys").read(Int.self).values
        let rows = try root.dataset("splits/rows").read(Double.self).values
        splits.keys = stride(from: 0, to: keys.count, by: 2).map { Array(keys[$0..<($0 + 2)]) }
        splits.rows = stride(from: 0, to: rows.count, by: 8).map { Array(rows[$0..<($0 + 8)]) }
        try searchLog.read(from: root.group("search"))
        return cursor
    }
}

/// Why a run failed.
public enum RunError: Error, CustomStringConvertible {
    case checkpointMismatch(path: String)
    case unsupported(run: String, what: String)

    public var description: String {
        switch self {
        case let .checkpointMismatch(path):
            return "\(path): checkpoint of another configuration or precision; delete it to start the run afresh"
        case let .unsupported(run, what):
            return "run \(run): \(what)"
        }
    }
}
