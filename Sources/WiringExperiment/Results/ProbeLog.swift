// What a run's probe phases record besides their steps: with `exact_cost`, the exact expectation the
// Monte Carlo probe estimates (every subnet of the cell enumerated, weighted by p(Z)), one row per
// such phase. Columns in `ProbeLog.columns`, like the other logs'.

/// One row per probe phase with `exact_cost`.
struct ProbeLog: Equatable {
    var phase: [Int] = []
    /// [row][cell][edge][op] flattened: E[C_{cell,edge} | Z_edge = op].
    var exactCost: [Double] = []
    /// E_Z[C_Z] of the batch-mean C_b = L_b − H_b.
    var exactCostZ: [Double] = []
    var subnets: [Int] = []
    var batches: [Int] = []

    static let columns: [RecordColumn<ProbeLog>] = [
        RecordColumn(path: "probe/phase", dimensions: ["probe_row"], element: .int32, units: "",
                     doc: "`exact_cost`: the probe phase the row belongs to (into `/phases`), measured at its end",
                     values: .ints(\.phase), isStored: \.hasRows),
        RecordColumn(path: "probe/exact_cost", dimensions: ["probe_row", "cells", "edges", "ops"], element: .float64,
                     units: "nats", doc: "`exact_cost`: E[C | Z_e = op] exactly, every subnet Z of the cell (one op per edge, shared by the cells) enumerated with p(Z) = Π_e 1/\\|allowed_e\\| on the row's fixed batches (theta fixed, running statistics restored); what `summary/cost_mean` estimates by Monte Carlo (over the phase's training batches); NaN for deleted edges and excluded ops",
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

    func sizes(network: [String: Int]) -> [String: Int] { network.merging(["probe_row": count]) { $1 } }
}
