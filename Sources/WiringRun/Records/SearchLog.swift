// What a run's search phases record: alpha, its softmax, the most likely wiring and each edge's
// probability of none at the end of every epoch, and the search-batch measurements of a bi-level
// search. Columns in `SearchLog.columns`, like the step log's.
import WiringModel
import WiringSearch

/// Alpha per epoch and the search-batch measurements of a run's search phases.
package struct SearchLog: Equatable {
    package var epochPhase: [Int] = []
    package var epochIndex: [Int] = []
    var alpha: [Double] = []
    var probability: [Double] = []
    var topology: [Int] = []
    var topologyWithoutNone: [Int] = []
    var noneProbability: [Double] = []
    var temperature: [Double] = []
    var searchStep: [Int] = []
    var searchEdgeCost: [Double] = []
    var searchOpCost: [Double] = []
    var searchLoss: [Double] = []
    var searchEntropy: [Double] = []
    var searchCostZ: [Double] = []
    /// Per search batch: sums of L, H, C and the count over its correct, wrong and all samples.
    var searchSplitSums: [Double] = []
    /// Per search epoch: search batches recorded by its end (the epoch's rows follow the previous end).
    var epochSearchBatches: [Int] = []
    /// Per search epoch: means of L, H, C (and the count) over the epoch's search-batch samples.
    var searchSplitMean: [Double] = []
    /// Per search epoch, when a search phase has `diagnostics` (NaN / −1 rows where none ran): the
    /// mixture's loss and dL/dW on the diagnostic batches, the Hessian's dominant eigenvalue and its
    /// power-iteration residual, the matrix and its spectrum (when recorded), op strength.
    var diagnosticLoss: [Double] = []
    var diagnosticOpCost: [Double] = []
    var hessianEigenvalue: [Double] = []
    var hessianResidual: [Double] = []
    var hessianMatrix: [Double] = []
    var hessianSpectrum: [Double] = []
    var strengthBaseLoss: [Double] = []
    var strengthBaseAccuracy: [Double] = []
    var strengthLoss: [Double] = []
    var strengthAccuracy: [Double] = []
    var strengthPick: [Int] = []

    /// Search-epoch records, then search-batch records, in file order.
    package static let columns: [RecordColumn<SearchLog>] = [
        RecordColumn(path: "search/phase", dimensions: ["search_epoch"], element: .int32, units: "",
                     doc: "phase index the row was taken at (into `/phases`)", values: .ints(\.epochPhase), isStored: \.hasEpochs),
        RecordColumn(path: "search/epoch", dimensions: ["search_epoch"], element: .int32, units: "",
                     doc: "epoch within the phase, from 0; the values after the epoch's last step", values: .ints(\.epochIndex),
                     isStored: \.hasEpochs),
        RecordColumn(path: "search/alpha", dimensions: ["search_epoch", "edges", "ops"], element: .float64, units: "1",
                     doc: "raw alpha of the normal cell, shared by all cells", values: .doubles(\.alpha), isStored: \.hasEpochs),
        RecordColumn(path: "search/prob", dimensions: ["search_epoch", "edges", "ops"], element: .float64, units: "1",
                     doc: "softmax(alpha) over each edge's allowed ops (0 for ops its constraints exclude; a deleted edge has all zeros)",
                     values: .doubles(\.probability), isStored: \.hasEpochs),
        RecordColumn(path: "search/topology", dimensions: ["search_epoch", "edges"], element: .int32, units: "",
                     doc: "most likely op per edge (none included), −1 for a deleted edge", values: .ints(\.topology),
                     isStored: \.hasEpochs),
        RecordColumn(path: "search/topology_without_none", dimensions: ["search_epoch", "edges"], element: .int32,
                     units: "", doc: "most likely op per edge among the ops other than none",
                     values: .ints(\.topologyWithoutNone), isStored: \.hasEpochs),
        RecordColumn(path: "search/none_prob", dimensions: ["search_epoch", "edges"], element: .float64, units: "1",
                     doc: "each edge's probability of none (the paper's \"edge dropped\" read-out)", values: .doubles(\.noneProbability),
                     isStored: \.hasEpochs),
        RecordColumn(path: "search/temperature", dimensions: ["search_epoch"], element: .float64, units: "1",
                     doc: "the Gumbel-softmax temperature (SNAS); NaN for algorithms without one",
                     values: .doubles(\.temperature), isStored: \.hasEpochs),
        RecordColumn(path: "search/epoch_batches", dimensions: ["search_epoch"], element: .int32, units: "",
                     doc: "search batches recorded by the end of the epoch (`search_batch` rows from the previous row's value up to this one belong to it)",
                     values: .ints(\.epochSearchBatches), isStored: \.hasEpochs),
        RecordColumn(path: "search/split_mean", dimensions: ["search_epoch", "subset", "quantity"], element: .float64,
                     units: "nats", doc: "bi-level search: mean L_b, H_b, C_b and the sample count over the correctly classified, wrong and all samples of the epoch's search batches (the \"search\" rows of Fig 10b / 22-26; the \"train\" rows are `summary/split_mean`); NaN where a subset is empty or the phase has no search batches",
                     values: .doubles(\.searchSplitMean), isStored: \.hasEpochs),
        RecordColumn(path: "search/diagnostic_loss", dimensions: ["search_epoch"], element: .float64, units: "nats",
                     doc: "`diagnostics`: mean cross-entropy of the softmax mixture on the epoch's diagnostic batches (NaN where none ran)",
                     values: .doubles(\.diagnosticLoss), isStored: \.hasDiagnostics),
        RecordColumn(path: "search/diagnostic_op_cost", dimensions: ["search_epoch", "cells", "edges", "ops"], element: .float64,
                     units: "nats", doc: "`diagnostics`: ∂L/∂W of each op under the softmax mixture, mean over the diagnostic batches (the cost the Hessian and strength columns sit beside)",
                     values: .doubles(\.diagnosticOpCost), isStored: \.hasDiagnostics),
        RecordColumn(path: "search/hessian_eigenvalue", dimensions: ["search_epoch"], element: .float64, units: "nats",
                     doc: "`diagnostics.hessian`: the dominant (largest-magnitude) eigenvalue of ∂²L/∂α² of the mixture's loss on the diagnostic batches, by power iteration (RobustDARTS's collapse indicator)",
                     values: .doubles(\.hessianEigenvalue), isStored: \.hasDiagnostics),
        RecordColumn(path: "search/hessian_residual", dimensions: ["search_epoch"], element: .float64, units: "1",
                     doc: "`diagnostics.hessian`: \\|Hv − λv\\| / \\|λ\\| at power iteration's last iterate (small when it converged)",
                     values: .doubles(\.hessianResidual), isStored: \.hasDiagnostics),
        RecordColumn(path: "search/hessian", dimensions: ["search_epoch", "alpha_i", "alpha_j"], element: .float64, units: "nats",
                     doc: "`diagnostics.hessian` with edges × ops ≤ `full_matrix_limit`: ∂²L/∂α_i∂α_j, i = edge · ops + op (row-major like `alpha`), column j by central differences of the tape's alpha gradient (not symmetrised; 0 off the allowed ops)",
                     values: .doubles(\.hessianMatrix), isStored: \.hasHessianMatrix),
        RecordColumn(path: "search/hessian_eigenvalues", dimensions: ["search_epoch", "alpha_i"], element: .float64, units: "nats",
                     doc: "the eigenvalues of the symmetric part of `hessian`, ascending (cyclic Jacobi)",
                     values: .doubles(\.hessianSpectrum), isStored: \.hasHessianMatrix),
        RecordColumn(path: "search/strength_base_loss", dimensions: ["search_epoch"], element: .float64, units: "nats",
                     doc: "`diagnostics.strength`: mean cross-entropy on the diagnostic batches of the unperturbed supernet (DARTS, SNAS: the softmax mixture; DSNAS, ProxylessNAS: the most likely subnet)",
                     values: .doubles(\.strengthBaseLoss), isStored: \.hasDiagnostics),
        RecordColumn(path: "search/strength_base_accuracy", dimensions: ["search_epoch"], element: .float64, units: "1",
                     doc: "`diagnostics.strength`: its accuracy", values: .doubles(\.strengthBaseAccuracy), isStored: \.hasDiagnostics),
        RecordColumn(path: "search/strength_loss", dimensions: ["search_epoch", "edges", "ops"], element: .float64, units: "nats",
                     doc: "`diagnostics.strength`: the loss with the op dropped from the edge's mixture (DARTS, SNAS; the others' weights unchanged, as DARTS-PT) or put on the edge of the most likely subnet (DSNAS, ProxylessNAS); NaN off the allowed ops",
                     values: .doubles(\.strengthLoss), isStored: \.hasDiagnostics),
        RecordColumn(path: "search/strength_accuracy", dimensions: ["search_epoch", "edges", "ops"], element: .float64, units: "1",
                     doc: "`diagnostics.strength`: the accuracy of the same perturbation", values: .doubles(\.strengthAccuracy),
                     isStored: \.hasDiagnostics),
        RecordColumn(path: "search/strength_pick", dimensions: ["search_epoch", "edges"], element: .int32, units: "",
                     doc: "`diagnostics.strength`: the op each edge's strength picks (the removal that costs most accuracy; the replacement that gains most), beside alpha's `topology`; −1 for a deleted edge or an epoch without diagnostics",
                     values: .ints(\.strengthPick), isStored: \.hasDiagnostics),
        RecordColumn(path: "search/batch_step", dimensions: ["search_batch"], element: .int32, units: "",
                     doc: "bi-level search: the `/steps` index of the search step whose alpha update used the batch", values: .ints(\.searchStep),
                     isStored: \.hasSearchBatches),
        RecordColumn(path: "search/batch_edge_cost", dimensions: ["search_batch", "cells", "edges"], element: .float64,
                     units: "nats", doc: "the edge cost on the search batch: Σ_op W·C of a mixed edge (with one-hot gates, the active op's cost)", values: .doubles(\.searchEdgeCost),
                     isStored: \.hasSearchBatches),
        RecordColumn(path: "search/batch_op_cost", dimensions: ["search_batch", "cells", "edges", "ops"],
                     element: .float64, units: "nats", doc: "∂L/∂W of each op on the search batch, W the mixture weights or the one-hot gates (the Fig 10a quantity)",
                     values: .doubles(\.searchOpCost), isStored: \.hasSearchBatches),
        RecordColumn(path: "search/batch_loss", dimensions: ["search_batch"], element: .float64, units: "nats",
                     doc: "batch-mean cross-entropy of the search batch", values: .doubles(\.searchLoss),
                     isStored: \.hasSearchBatches),
        RecordColumn(path: "search/batch_entropy", dimensions: ["search_batch"], element: .float64, units: "nats",
                     doc: "batch mean of H_b on the search batch", values: .doubles(\.searchEntropy),
                     isStored: \.hasSearchBatches),
        RecordColumn(path: "search/batch_cost_Z", dimensions: ["search_batch"], element: .float64, units: "nats",
                     doc: "batch mean of C_b = L_b − H_b on the search batch", values: .doubles(\.searchCostZ),
                     isStored: \.hasSearchBatches),
        RecordColumn(path: "search/batch_split_sum", dimensions: ["search_batch", "subset", "quantity"], element: .float64,
                     units: "nats", doc: "sums of L_b, H_b, C_b and the count over the correct, wrong and all samples of the search batch",
                     values: .doubles(\.searchSplitSums), isStored: \.hasSearchBatches),
    ]

    package var epochs: Int { epochPhase.count }
    var hasEpochs: Bool { epochs > 0 }
    var hasSearchBatches: Bool { !searchStep.isEmpty }
    var hasDiagnostics: Bool { !diagnosticLoss.isEmpty }
    var hasHessianMatrix: Bool { !hessianMatrix.isEmpty }

    /// The length of each dimension of the columns (the network's from the step log).
    package func sizes(network: [String: Int]) -> [String: Int] {
        let alpha = (network["edges"] ?? 0) * (network["ops"] ?? 0)
        return network.merging(["search_epoch": epochs, "search_batch": searchStep.count, "subset": 3, "quantity": 4,
                                "alpha_i": alpha, "alpha_j": alpha]) { $1 }
    }

    mutating func appendEpoch(phase: Int, epoch: Int, alpha a: ArchitectureParameters, temperature t: Double?,
                              noneIndex: Int?) {
        epochPhase.append(phase)
        epochIndex.append(epoch)
        alpha += a.flattened
        let p = a.probabilities
        probability += p.flatMap { $0 }
        topology += a.mostLikely().map { $0 ?? -1 }
        topologyWithoutNone += a.mostLikely(excluding: noneIndex).map { $0 ?? -1 }
        noneProbability += p.map { row in noneIndex.map { row[$0] } ?? 0 }
        temperature.append(t ?? .nan)
        // The epoch's search batches: those after the previous epoch row's end (only search phases
        // record search batches, and each of their epochs ends with a row).
        let start = epochSearchBatches.last ?? 0
        var sums = Array(repeating: 0.0, count: 12)
        for b in start..<searchStep.count {
            for i in 0..<12 { sums[i] += searchSplitSums[b * 12 + i] }
        }
        for subset in 0..<3 {
            let n = sums[subset * 4 + 3]
            searchSplitMean += (0..<3).map { n > 0 ? sums[subset * 4 + $0] / n : .nan } + [n]
        }
        epochSearchBatches.append(searchStep.count)
    }

    /// The diagnostics row of the epoch just appended: `measured` when they ran, NaN / −1 otherwise.
    /// `layout` is nil for runs without diagnostics (no rows at all).
    mutating func appendDiagnostics(_ measured: EpochDiagnostics?, layout: DiagnosticsLayout?) {
        guard let layout else { return }
        let cells = layout.cells, edges = layout.edges, ops = layout.ops, n = edges * ops
        func row(_ values: [Double]?, _ count: Int) -> [Double] { values ?? Array(repeating: .nan, count: count) }
        diagnosticLoss.append(measured?.loss ?? .nan)
        diagnosticOpCost += row(measured?.opCost, cells * n)
        hessianEigenvalue.append(measured?.curvature?.eigenvalue ?? .nan)
        hessianResidual.append(measured?.curvature?.residual ?? .nan)
        if layout.recordsMatrix {
            hessianMatrix += row(measured?.curvature?.matrix?.flatMap { $0 }, n * n)
            hessianSpectrum += row(measured?.curvature?.eigenvalues, n)
        }
        let strength = measured?.strength
        strengthBaseLoss.append(strength?.baseLoss ?? .nan)
        strengthBaseAccuracy.append(strength?.baseAccuracy ?? .nan)
        strengthLoss += row(strength?.loss.flatMap { $0 }, n)
        strengthAccuracy += row(strength?.accuracy.flatMap { $0 }, n)
        strengthPick += strength?.pick.map { $0 ?? -1 } ?? Array(repeating: -1, count: edges)
    }


    mutating func appendSearchBatch(step: Int, probe: StepProbe) {
        searchStep.append(step)
        searchEdgeCost += probe.edgeCost.flatMap { $0 }
        searchOpCost += probe.opCost.flatMap { $0.flatMap { $0 } }
        searchLoss.append(probe.loss)
        searchEntropy.append(probe.meanEntropy)
        searchCostZ.append(probe.costZ)
        var sums = Array(repeating: 0.0, count: 12)
        let s = probe.samples
        for b in s.loss.indices {
            for subset in [s.correct[b] ? 0 : 1, 2] {
                sums[subset * 4] += s.loss[b]
                sums[subset * 4 + 1] += s.entropy[b]
                sums[subset * 4 + 2] += s.cost[b]
                sums[subset * 4 + 3] += 1
            }
        }
        searchSplitSums += sums
    }
}
