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
        Row(block: "sep_conv_3x3", threads: 1, forward: 0.0802, forwardBackward: 0.2602),
        Row(block: "sep_conv_3x3", threads: 2, forward: 0.0511, forwardBackward: 0.1970),
        Row(block: "sep_conv_5x5", threads: 1, forward: 0.1033, forwardBackward: 0.3364),
        Row(block: "sep_conv_5x5", threads: 2, forward: 0.0723, forwardBackward: 0.2256),
        Row(block: "dil_conv_3x3", threads: 1, forward: 0.0469, forwardBackward: 0.1266),
        Row(block: "dil_conv_3x3", threads: 2, forward: 0.0381, forwardBackward: 0.0891),
        Row(block: "dil_conv_5x5", threads: 1, forward: 0.0365, forwardBackward: 0.1222),
        Row(block: "dil_conv_5x5", threads: 2, forward: 0.0329, forwardBackward: 0.1052),
        Row(block: "max_pool_3x3", threads: 1, forward: 0.0439, forwardBackward: 0.0800),
        Row(block: "max_pool_3x3", threads: 2, forward: 0.0251, forwardBackward: 0.0625),
        Row(block: "avg_pool_3x3", threads: 1, forward: 0.0174, forwardBackward: 0.0530),
        Row(block: "avg_pool_3x3", threads: 2, forward: 0.0147, forwardBackward: 0.0501),
        Row(block: "stem", threads: 1, forward: 0.0689, forwardBackward: 0.2942),
        Row(block: "stem", threads: 2, forward: 0.0618, forwardBackward: 0.1787),
        Row(block: "preprocess", threads: 1, forward: 0.0446, forwardBackward: 0.1387),
        Row(block: "preprocess", threads: 2, forward: 0.0246, forwardBackward: 0.0972),
        Row(block: "classifier", threads: 1, forward: 0.0095, forwardBackward: 0.0187),
        Row(block: "classifier", threads: 2, forward: 0.0053, forwardBackward: 0.0129),
        Row(block: "step:dsnas_minimal", threads: 1, forward: 0.0000, forwardBackward: 1.2081),
        Row(block: "step:dsnas_minimal", threads: 2, forward: 0.0000, forwardBackward: 0.8738),
        Row(block: "run:probe", threads: 1, forward: 0.0000, forwardBackward: 1.5563),
        Row(block: "run:probe", threads: 2, forward: 0.0000, forwardBackward: 1.1233),
        Row(block: "run:train", threads: 1, forward: 0.0000, forwardBackward: 1.4936),
        Row(block: "run:train", threads: 2, forward: 0.0000, forwardBackward: 1.1250),
        Row(block: "run:train_refresh", threads: 1, forward: 0.0000, forwardBackward: 3.9718),
        Row(block: "run:train_refresh", threads: 2, forward: 0.0000, forwardBackward: 3.2388),
    ], source: "make bench on the 2-core development VM, quiet, 2026-12-02")
}
