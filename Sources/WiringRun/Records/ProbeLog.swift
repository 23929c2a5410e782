// What a run's probe phases record besides their steps: with `exact_cost`, the exact expectation the
// Monte Carlo probe estimates (every subnet of the cell enumerated, weighted by p(Z)), one row per
// such phase. Columns in `ProbeLog.columns`, like the other logs'.

/// One row per probe phase with `exact_cost`.
package struct ProbeLog: Equatable {
    var phase: [Int] = []
    /// [row][cell][edge][op] flattened: E[C_{cell,edge} | Z_edge = op].
    var exactCost: [Double] = []
    /// E_Z[C_Z] of the batch-mean C_b = L_b − H_b.
    var exactCostZ: [Double] = []
    var subnets: [Int] = []
    var batches: [Int] = []
    /// [row][cell][edge][op] flattened: `until_sign_known`'s samples needed, −1 unknown or not asked for.
    var signSamples: [Int] = []
    /// Steps the phase took.
    var steps: [Int] = []

    package static let columns: [RecordColumn<ProbeLog>] = [
        RecordColumn(path: "probe/phase", dimensions: ["probe_row"], element: .int32, units: "",
                     doc: "the probe phase (with `exact_cost` or `until_sign_known`) the row belongs to (into `/phases`), measured at its end",
                     values: .ints(\.phase), isStored: \.hasRows),
        RecordColumn(path: "probe/steps", dimensions: ["probe_row"], element: .int32, units: "",
                     doc: "steps the phase took (fewer than its length when `until_sign_known` stopped it)",
                     values: .ints(\.steps), isStored: \.hasRows),
        RecordColumn(path: "probe/sign_samples", dimensions: ["probe_row", "cells", "edges", "ops"], element: .int32, units: "",
                     doc: "`until_sign_known`: the draws of the (edge, op) from which its mean cost interval excluded 0 to the phase's end; −1 where it did not, for none, deleted edges, excluded ops and phases without the option",
                     values: .ints(\.signSamples), isStored: \.hasRows),
        RecordColumn(path: "probe/exact_cost", dimensions: ["probe_row", "cells", "edges", "ops"], element: .float64,
                     units: "nats", doc: "`exact_cost` (NaN in rows without): E[C | Z_e = op] exactly, every subnet Z of the cell (one op per edge, shared by the cells) enumerated with p(Z) = Π_e 1/\\|allowed_e\\| on the row's fixed batches (theta fixed, running statistics restored); what `summary/cost_mean` estimates by Monte Carlo (over the phase's training batches); NaN for deleted edges and excluded ops",
                     values: .doubles(\.exactCost), isStored: \.hasRows),
        RecordColumn(path: "probe/exact_cost_Z", dimensions: ["probe_row"], element: .float64, units: "nats",
                     doc: "`exact_cost`: E_Z[C_Z], the expected batch mean of C_b = L_b − H_b", values: .doubles(\.exactCostZ),
                     isStored: \.hasRows),
        RecordColumn(path: "probe/exact_subnets", dimensions: ["probe_row"], element: .int32, units: "",
                     doc: "`exact_cost`: subnets enumerated", values: .ints(\.subnets), isStored: \.hasRows),
        RecordColumn(path: "probe/exact_batches", dimensions: ["probe_row"], element: .int32, units: "",
                     doc: "`exact_cost`: batches each subnet ran", values: .ints(\.batches), isStored: \.hasRows),
    ]

    var count: Int { phase.count }
    var hasRows: Bool { !phase.isEmpty }

    package func sizes(network: [String: Int]) -> [String: Int] { network.merging(["probe_row": count]) { $1 } }
}
