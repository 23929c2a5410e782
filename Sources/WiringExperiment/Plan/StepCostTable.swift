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
        Row(block: "sep_conv_3x3", threads: 1, forward: 0.0516, forwardBackward: 0.1610),
        Row(block: "sep_conv_3x3", threads: 2, forward: 0.0377, forwardBackward: 0.1263),
        Row(block: "sep_conv_5x5", threads: 1, forward: 0.0838, forwardBackward: 0.2574),
        Row(block: "sep_conv_5x5", threads: 2, forward: 0.0414, forwardBackward: 0.1328),
        Row(block: "dil_conv_3x3", threads: 1, forward: 0.0254, forwardBackward: 0.0803),
        Row(block: "dil_conv_3x3", threads: 2, forward: 0.0174, forwardBackward: 0.0614),
        Row(block: "dil_conv_5x5", threads: 1, forward: 0.0310, forwardBackward: 0.1079),
        Row(block: "dil_conv_5x5", threads: 2, forward: 0.0185, forwardBackward: 0.0709),
        Row(block: "max_pool_3x3", threads: 1, forward: 0.0218, forwardBackward: 0.0396),
        Row(block: "max_pool_3x3", threads: 2, forward: 0.0108, forwardBackward: 0.0230),
        Row(block: "avg_pool_3x3", threads: 1, forward: 0.0119, forwardBackward: 0.0382),
        Row(block: "avg_pool_3x3", threads: 2, forward: 0.0058, forwardBackward: 0.0252),
        Row(block: "stem", threads: 1, forward: 0.0491, forwardBackward: 0.1752),
        Row(block: "stem", threads: 2, forward: 0.0268, forwardBackward: 0.1245),
        Row(block: "preprocess", threads: 1, forward: 0.0302, forwardBackward: 0.1121),
        Row(block: "preprocess", threads: 2, forward: 0.0159, forwardBackward: 0.0638),
        Row(block: "classifier", threads: 1, forward: 0.0068, forwardBackward: 0.0105),
        Row(block: "classifier", threads: 2, forward: 0.0037, forwardBackward: 0.0054),
        Row(block: "step:dsnas_minimal", threads: 1, forward: 0.0000, forwardBackward: 0.9088),
        Row(block: "step:dsnas_minimal", threads: 2, forward: 0.0000, forwardBackward: 0.4904),
        Row(block: "run:probe", threads: 1, forward: 0.0000, forwardBackward: 0.8898),
        Row(block: "run:probe", threads: 2, forward: 0.0000, forwardBackward: 0.5263),
        Row(block: "run:train", threads: 1, forward: 0.0000, forwardBackward: 0.8972),
        Row(block: "run:train", threads: 2, forward: 0.0000, forwardBackward: 0.5271),
        Row(block: "run:train_refresh", threads: 1, forward: 0.0000, forwardBackward: 2.2260),
        Row(block: "run:train_refresh", threads: 2, forward: 0.0000, forwardBackward: 1.2513),
    ], source: "make bench on the 2-core development VM (AMD EPYC, KVM; nothing else of ours running), 2026-12-02")
}
