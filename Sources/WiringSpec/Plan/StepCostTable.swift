// WiringLab: presentation only (not part of the code version)
// The measured speed `wiringlab plan` estimates from: milliseconds per image of each block of the
// supernet (an op, the stem, a cell's preprocessing, the classifier) at 16 channels and 32x32, forward
// and forward + backward, at 1 and 2 threads, as `make bench` prints them (its `COST` lines), and the
// runner's own steps (`run:` rows: probe, train, train with the batch-norm refresh, timed through
// `executeRun` by `wiringbench runner`), whose ratio to the sum of their blocks is what a run pays on
// top of the bare supernet (data pipeline, the probes' node split, the log), and `host_probe`, the speed
// probe's time on the same machine (HostSpeed: `plan` scales every row by this machine's probe over it).
// Regenerate the rows from a quiet `make bench` run when the kernels change; docs/cli.md shows the table.
import WiringModel

/// Milliseconds per image of the supernet's blocks, measured by `make bench`.
public struct StepCostTable: Sendable {
    /// One `COST` line of the bench.
    public struct Row: Sendable {
        /// `sep_conv_3x3` ... (an op's raw value), `stem`, `preprocess`, `classifier`, `step:dsnas_minimal` (the
        /// bare step), `run:probe`, `run:train`, `run:train_refresh` (runner steps; ms per image, forward 0), or
        /// `host_probe` (HostSpeed.probe; one thread, ms per image, forward 0).
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
        Row(block: "sep_conv_3x3", threads: 1, forward: 0.0822, forwardBackward: 0.2898),
        Row(block: "sep_conv_3x3", threads: 2, forward: 0.0454, forwardBackward: 0.1509),
        Row(block: "sep_conv_5x5", threads: 1, forward: 0.1085, forwardBackward: 0.3699),
        Row(block: "sep_conv_5x5", threads: 2, forward: 0.0484, forwardBackward: 0.2001),
        Row(block: "dil_conv_3x3", threads: 1, forward: 0.0353, forwardBackward: 0.1410),
        Row(block: "dil_conv_3x3", threads: 2, forward: 0.0210, forwardBackward: 0.0650),
        Row(block: "dil_conv_5x5", threads: 1, forward: 0.0426, forwardBackward: 0.1798),
        Row(block: "dil_conv_5x5", threads: 2, forward: 0.0231, forwardBackward: 0.0981),
        Row(block: "max_pool_3x3", threads: 1, forward: 0.0426, forwardBackward: 0.0937),
        Row(block: "max_pool_3x3", threads: 2, forward: 0.0284, forwardBackward: 0.0564),
        Row(block: "avg_pool_3x3", threads: 1, forward: 0.0242, forwardBackward: 0.0890),
        Row(block: "avg_pool_3x3", threads: 2, forward: 0.0124, forwardBackward: 0.0439),
        Row(block: "stem", threads: 1, forward: 0.1136, forwardBackward: 0.4450),
        Row(block: "stem", threads: 2, forward: 0.0579, forwardBackward: 0.2190),
        Row(block: "preprocess", threads: 1, forward: 0.0508, forwardBackward: 0.1992),
        Row(block: "preprocess", threads: 2, forward: 0.0258, forwardBackward: 0.1082),
        Row(block: "classifier", threads: 1, forward: 0.0097, forwardBackward: 0.0211),
        Row(block: "classifier", threads: 2, forward: 0.0084, forwardBackward: 0.0142),
        Row(block: "step:dsnas_minimal", threads: 1, forward: 0.0000, forwardBackward: 1.9026),
        Row(block: "step:dsnas_minimal", threads: 2, forward: 0.0000, forwardBackward: 0.9164),
        Row(block: "run:probe", threads: 1, forward: 0.0000, forwardBackward: 1.8075),
        Row(block: "run:probe", threads: 2, forward: 0.0000, forwardBackward: 0.9376),
        Row(block: "run:train", threads: 1, forward: 0.0000, forwardBackward: 1.9101),
        Row(block: "run:train", threads: 2, forward: 0.0000, forwardBackward: 1.1274),
        Row(block: "run:train_refresh", threads: 1, forward: 0.0000, forwardBackward: 4.4975),
        Row(block: "run:train_refresh", threads: 2, forward: 0.0000, forwardBackward: 2.5279),
        Row(block: "host_probe", threads: 1, forward: 0.0000, forwardBackward: 0.1655),
    ], source: "make bench on the 2-core development VM (Intel Xeon with AVX-512, KVM; nothing else of ours running), 2026-12-04, code ef87f33")
}
