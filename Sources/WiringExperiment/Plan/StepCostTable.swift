// The measured speed `wiringlab plan` estimates from: milliseconds per image of each block of the
// supernet (an op, the stem, a cell's preprocessing, the classifier) at 16 channels and 32x32, forward
// and forward + backward, at 1 and 2 threads, as `make bench` prints them (its `COST` lines), and the
// measured DSNAS step, whose ratio to the sum of its blocks is the per-step glue (optimiser, cost
// read-outs, sampling) the blocks do not see. Regenerate the rows from a quiet `make bench` run when
// the kernels change; docs/cli.md shows the table.
import WiringModel

/// Milliseconds per image of the supernet's blocks, measured by `make bench`.
public struct StepCostTable: Sendable {
    /// One `COST` line of the bench.
    public struct Row: Sendable {
        /// `sep_conv_3x3` ... (an op's raw value), `stem`, `preprocess`, `classifier`, or `step:dsnas_minimal`.
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
        Row(block: "sep_conv_3x3", threads: 1, forward: 0.1372, forwardBackward: 0.2376),
        Row(block: "sep_conv_3x3", threads: 2, forward: 0.0768, forwardBackward: 0.2707),
        Row(block: "sep_conv_5x5", threads: 1, forward: 0.1153, forwardBackward: 0.2660),
        Row(block: "sep_conv_5x5", threads: 2, forward: 0.1138, forwardBackward: 0.2707),
        Row(block: "dil_conv_3x3", threads: 1, forward: 0.0407, forwardBackward: 0.1403),
        Row(block: "dil_conv_3x3", threads: 2, forward: 0.0522, forwardBackward: 0.1316),
        Row(block: "dil_conv_5x5", threads: 1, forward: 0.0559, forwardBackward: 0.1704),
        Row(block: "dil_conv_5x5", threads: 2, forward: 0.0444, forwardBackward: 0.1650),
        Row(block: "max_pool_3x3", threads: 1, forward: 0.0461, forwardBackward: 0.0857),
        Row(block: "max_pool_3x3", threads: 2, forward: 0.0359, forwardBackward: 0.0789),
        Row(block: "avg_pool_3x3", threads: 1, forward: 0.0286, forwardBackward: 0.0715),
        Row(block: "avg_pool_3x3", threads: 2, forward: 0.0223, forwardBackward: 0.0933),
        Row(block: "stem", threads: 1, forward: 0.1014, forwardBackward: 0.2715),
        Row(block: "stem", threads: 2, forward: 0.0865, forwardBackward: 0.2872),
        Row(block: "preprocess", threads: 1, forward: 0.0485, forwardBackward: 0.1590),
        Row(block: "preprocess", threads: 2, forward: 0.0461, forwardBackward: 0.1614),
        Row(block: "classifier", threads: 1, forward: 0.0099, forwardBackward: 0.0193),
        Row(block: "classifier", threads: 2, forward: 0.0105, forwardBackward: 0.0204),
        Row(block: "step:dsnas_minimal", threads: 1, forward: 0, forwardBackward: 1.3840),
        Row(block: "step:dsnas_minimal", threads: 2, forward: 0, forwardBackward: 1.2521),
    ], source: "make bench, 2-core VM, 2026-12-01")
}
