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
        Row(block: "sep_conv_3x3", threads: 1, forward: 0.0958, forwardBackward: 0.2969),
        Row(block: "sep_conv_3x3", threads: 2, forward: 0.0423, forwardBackward: 0.1428),
        Row(block: "sep_conv_5x5", threads: 1, forward: 0.1161, forwardBackward: 0.3503),
        Row(block: "sep_conv_5x5", threads: 2, forward: 0.0665, forwardBackward: 0.2527),
        Row(block: "dil_conv_3x3", threads: 1, forward: 0.0371, forwardBackward: 0.1352),
        Row(block: "dil_conv_3x3", threads: 2, forward: 0.0278, forwardBackward: 0.1064),
        Row(block: "dil_conv_5x5", threads: 1, forward: 0.0690, forwardBackward: 0.2243),
        Row(block: "dil_conv_5x5", threads: 2, forward: 0.0358, forwardBackward: 0.1286),
        Row(block: "max_pool_3x3", threads: 1, forward: 0.0430, forwardBackward: 0.0869),
        Row(block: "max_pool_3x3", threads: 2, forward: 0.0238, forwardBackward: 0.0525),
        Row(block: "avg_pool_3x3", threads: 1, forward: 0.0354, forwardBackward: 0.1017),
        Row(block: "avg_pool_3x3", threads: 2, forward: 0.0219, forwardBackward: 0.0607),
        Row(block: "stem", threads: 1, forward: 0.1136, forwardBackward: 0.3900),
        Row(block: "stem", threads: 2, forward: 0.0569, forwardBackward: 0.2067),
        Row(block: "preprocess", threads: 1, forward: 0.0444, forwardBackward: 0.1953),
        Row(block: "preprocess", threads: 2, forward: 0.0300, forwardBackward: 0.1060),
        Row(block: "classifier", threads: 1, forward: 0.0154, forwardBackward: 0.0216),
        Row(block: "classifier", threads: 2, forward: 0.0092, forwardBackward: 0.0151),
        Row(block: "step:dsnas_minimal", threads: 1, forward: 0.0000, forwardBackward: 1.6837),
        Row(block: "step:dsnas_minimal", threads: 2, forward: 0.0000, forwardBackward: 1.0330),
        Row(block: "run:probe", threads: 1, forward: 0.0000, forwardBackward: 2.0208),
        Row(block: "run:probe", threads: 2, forward: 0.0000, forwardBackward: 1.2752),
        Row(block: "run:train", threads: 1, forward: 0.0000, forwardBackward: 2.0766),
        Row(block: "run:train", threads: 2, forward: 0.0000, forwardBackward: 1.3379),
        Row(block: "run:train_refresh", threads: 1, forward: 0.0000, forwardBackward: 4.5774),
        Row(block: "run:train_refresh", threads: 2, forward: 0.0000, forwardBackward: 2.8046),
    ], source: "make bench on the 2-core development VM (no other work of ours running), 2026-12-02")
}
