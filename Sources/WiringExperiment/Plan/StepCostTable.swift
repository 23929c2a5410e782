// The measured speed `wiringlab plan` estimates from: milliseconds per image of each block of the
// supernet (an op, the stem, a cell's preprocessing, the classifier) at 16 channels and 32x32, forward
// and forward + backward, at 1 and 2 threads, as `make bench` prints them (its `COST` lines), and the
// runner's own steps (`run:` rows: probe, train, train with the batch-norm refresh, timed through
// `executeRun` by `wiringbench runner`), whose ratio to the sum of their blocks is what a run pays on
// top of the bare supernet (data pipeline, the probes' node split, the log). Regenerate the rows from a quiet `make bench` run when
// the kernels change; docs/cli.md shows the table.
import WiringModel

/// Milliseconds per image of the supernet's blocks, measured by `make bench`.
public struct StepCostTable: Sendable {
    /// One `COST` line of the bench.
    public struct Row: Sendable {
        /// `sep_conv_3x3` ... (an op's raw value), `stem`, `preprocess`, `classifier`, `step:dsnas_minimal` (the
        /// bare step), or `run:probe`, `run:train`, `run:train_refresh` (runner steps; ms per image, forward 0).
        public var block: String
        public var threads: Int
        /// Forward only (the batch-norm refresh) and forward + backward, ms per image at C = 16, 32x32.
        public var forward: Double
        public var forwardBackward: Double
    }

    public var rows: [Row]
    /// Where the rows were measured (printed by `plan --costs`).
    public var source: String

    /// The row of `block` at `threads` (the 2-thread row for more threads, scaled by 2 / threads).
    public func cost(_ block: String, threads: Int) -> (forward: Double, forwardBackward: Double) {
        let measured = min(max(threads, 1), 2)
        guard let row = rows.first(where: { $0.block == block && $0.threads == measured }) else { return (0, 0) }
        let scale = threads > 2 ? 2 / Double(threads) : 1
        return (row.forward * scale, row.forwardBackward * scale)
    }

    /// `make bench` on the 2-core development VM (see the commit that last changed these rows).
    public static let measured = StepCostTable(rows: [
        Row(block: "sep_conv_3x3", threads: 1, forward: 0.0786, forwardBackward: 0.2098),
        Row(block: "sep_conv_3x3", threads: 2, forward: 0.0341, forwardBackward: 0.1255),
        Row(block: "sep_conv_5x5", threads: 1, forward: 0.0980, forwardBackward: 0.3399),
        Row(block: "sep_conv_5x5", threads: 2, forward: 0.0516, forwardBackward: 0.1612),
        Row(block: "dil_conv_3x3", threads: 1, forward: 0.0387, forwardBackward: 0.1317),
        Row(block: "dil_conv_3x3", threads: 2, forward: 0.0190, forwardBackward: 0.0705),
        Row(block: "dil_conv_5x5", threads: 1, forward: 0.0442, forwardBackward: 0.1529),
        Row(block: "dil_conv_5x5", threads: 2, forward: 0.0228, forwardBackward: 0.0915),
        Row(block: "max_pool_3x3", threads: 1, forward: 0.0259, forwardBackward: 0.0548),
        Row(block: "max_pool_3x3", threads: 2, forward: 0.0237, forwardBackward: 0.0578),
        Row(block: "avg_pool_3x3", threads: 1, forward: 0.0142, forwardBackward: 0.0468),
        Row(block: "avg_pool_3x3", threads: 2, forward: 0.0074, forwardBackward: 0.0276),
        Row(block: "stem", threads: 1, forward: 0.0546, forwardBackward: 0.2069),
        Row(block: "stem", threads: 2, forward: 0.0523, forwardBackward: 0.1729),
        Row(block: "preprocess", threads: 1, forward: 0.0342, forwardBackward: 0.1293),
        Row(block: "preprocess", threads: 2, forward: 0.0178, forwardBackward: 0.0669),
        Row(block: "classifier", threads: 1, forward: 0.0079, forwardBackward: 0.0139),
        Row(block: "classifier", threads: 2, forward: 0.0037, forwardBackward: 0.0067),
        Row(block: "step:dsnas_minimal", threads: 1, forward: 0.0000, forwardBackward: 1.0273),
        Row(block: "step:dsnas_minimal", threads: 2, forward: 0.0000, forwardBackward: 0.6609),
        Row(block: "run:probe", threads: 1, forward: 0.0000, forwardBackward: 1.3295),
        Row(block: "run:probe", threads: 2, forward: 0.0000, forwardBackward: 0.8085),
        Row(block: "run:train", threads: 1, forward: 0.0000, forwardBackward: 1.3108),
        Row(block: "run:train", threads: 2, forward: 0.0000, forwardBackward: 0.6947),
        Row(block: "run:train_refresh", threads: 1, forward: 0.0000, forwardBackward: 2.9516),
        Row(block: "run:train_refresh", threads: 2, forward: 0.0000, forwardBackward: 1.7597),
    ], source: "make bench on the 2-core development VM (AMD EPYC, KVM; nothing else of ours running), 2026-12-03, code 6637319")
}
