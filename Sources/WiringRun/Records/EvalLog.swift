// What the eval passes record: one row per pass over the test images (after an epoch of a train or
// search phase with `eval_every`, or per epoch of an `eval` phase). Batch norm runs in eval mode
// (running statistics), so the cost identities of Theorems 1-2, which rest on batch-statistics
// normalisation, are expected to fail here: the residuals measure by how much (claim 9).
import WiringModel

/// The eval-pass records of a run. Each array is a column of `EvalLog.columns`.
package struct EvalLog: Equatable {
    package var phase: [Int] = []
    package var epoch: [Int] = []
    var images: [Int] = []
    var loss: [Double] = []
    var entropy: [Double] = []
    var costZ: [Double] = []
    var accuracy: [Double] = []
    var edgeCost: [Double] = []
    var theorem2Residual: [Double] = []
    var corollary12Residual: [Double] = []

    package static let columns: [RecordColumn<EvalLog>] = [
        RecordColumn(path: "eval/phase", dimensions: ["eval_epoch"], element: .int32, units: "",
                     doc: "phase index the pass belongs to (into `/phases`)", values: .ints(\.phase), isStored: \.hasRows),
        RecordColumn(path: "eval/epoch", dimensions: ["eval_epoch"], element: .int32, units: "",
                     doc: "epoch of that phase, from 0, after whose last step the pass ran (an `eval` phase: the pass index)",
                     values: .ints(\.epoch), isStored: \.hasRows),
        RecordColumn(path: "eval/images", dimensions: ["eval_epoch"], element: .int32, units: "",
                     doc: "test images of the pass (`data.test_size`)", values: .ints(\.images), isStored: \.hasRows),
        RecordColumn(path: "eval/loss", dimensions: ["eval_epoch"], element: .float64, units: "nats",
                     doc: "mean cross-entropy over the test images, batch norm in eval mode (running statistics)",
                     values: .doubles(\.loss), isStored: \.hasRows),
        RecordColumn(path: "eval/entropy", dimensions: ["eval_epoch"], element: .float64, units: "nats",
                     doc: "mean H_b over the test images", values: .doubles(\.entropy), isStored: \.hasRows),
        RecordColumn(path: "eval/cost_Z", dimensions: ["eval_epoch"], element: .float64, units: "nats",
                     doc: "mean C_b = L_b − H_b over the test images", values: .doubles(\.costZ), isStored: \.hasRows),
        RecordColumn(path: "eval/accuracy", dimensions: ["eval_epoch"], element: .float64, units: "1",
                     doc: "fraction of the test images classified correctly (validation accuracy)",
                     values: .doubles(\.accuracy), isStored: \.hasRows),
        RecordColumn(path: "eval/edge_cost", dimensions: ["eval_epoch", "cells", "edges"], element: .float64, units: "nats",
                     doc: "C(e) of each batch (of its mean loss, as `steps/edge_cost`), averaged over the batches weighted by their images; the op differs between batches when sampled",
                     values: .doubles(\.edgeCost), isStored: \.hasRows),
        RecordColumn(path: "eval/thm2_residual", dimensions: ["eval_epoch"], element: .float64, units: "1",
                     doc: "largest over the pass's batches of `checks/thm2_residual`; far from 0 in eval-mode BN (claim 9)",
                     values: .doubles(\.theorem2Residual), isStored: \.hasRows),
        RecordColumn(path: "eval/cor12_residual", dimensions: ["eval_epoch"], element: .float64, units: "1",
                     doc: "largest over the pass's batches of `checks/cor12_residual`",
                     values: .doubles(\.corollary12Residual), isStored: \.hasRows),
    ]

    package var count: Int { phase.count }
    var hasRows: Bool { count > 0 }

    package func sizes(network: [String: Int]) -> [String: Int] { network.merging(["eval_epoch": count]) { $1 } }
}

/// Sums over the batches of one eval pass, turned into an `EvalLog` row by `finish`.
struct EvalPassSums {
    let cells: Int, edges: Int
    var images = 0
    var loss = 0.0, entropy = 0.0, cost = 0.0, correct = 0
    var edgeCost: [Double]
    var theorem2 = 0.0, corollary12 = 0.0

    init(cells: Int, edges: Int) {
        (self.cells, self.edges) = (cells, edges)
        edgeCost = Array(repeating: 0, count: cells * edges)
    }

    mutating func add(_ probe: StepProbe, theorem2 t2: Double, corollary12 c12: Double) {
        let n = probe.samples.loss.count
        images += n
        loss += probe.samples.loss.reduce(0, +)
        entropy += probe.samples.entropy.reduce(0, +)
        cost += probe.samples.cost.reduce(0, +)
        correct += probe.samples.correct.filter { $0 }.count
        for (i, c) in probe.edgeCost.flatMap({ $0 }).enumerated() { edgeCost[i] += Double(n) * c }
        theorem2 = max(theorem2, t2)
        corollary12 = max(corollary12, c12)
    }

    func append(to log: inout EvalLog, phase: Int, epoch: Int) {
        let n = Double(max(1, images))
        log.phase.append(phase)
        log.epoch.append(epoch)
        log.images.append(images)
        log.loss.append(loss / n)
        log.entropy.append(entropy / n)
        log.costZ.append(cost / n)
        log.accuracy.append(Double(correct) / n)
        log.edgeCost += edgeCost.map { $0 / n }
        log.theorem2Residual.append(theorem2)
        log.corollary12Residual.append(corollary12)
    }
}
