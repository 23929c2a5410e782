// The paper's identities on random networks (reference-spec section 10), for every normalisation kind
// and stacking order where they apply, and asserted to fail where they must (skip on an intermediate
// edge, eval-mode batch norm). Tolerances are the spec's: "rel" is relative to sum_e |C[c, e]|.
import Foundation
import Testing
import WiringEngine
import WiringTestSupport
@testable import WiringModel

/// A small random network and batch: B = 4, C = 4, 8x8 images, 3 input channels.
func smallConfig(cells: Int = 1, steps: Int = 2, multiplier: Int = 2, norm: NormKind = .batch, affine: Bool = false,
                 eps: Double = 1e-5, stacking: StackingOrder = .reluConvNorm) -> NetworkConfig {
    var config = NetworkConfig()
    config.cells = cells
    config.steps = steps
    config.multiplier = multiplier
    config.channels = 4
    config.opNorm = NormConfig(kind: norm, affine: affine, eps: eps)
    config.preprocessNorm = NormConfig(kind: norm, affine: affine, eps: eps)
    config.stacking = stacking
    return config
}

func runStep<T: TensorElement>(_ type: T.Type, _ config: NetworkConfig, ops: [OpKind], training: Bool = true,
                               seed: UInt64 = 1) -> StepProbe {
    var rng = RNG(seed: seed)
    let net = Supernet<T>(config: config, rng: &rng)
    let images = Tensor<T>.normal(shape: [4, 3, 8, 8], rng: &rng)
    let labels = [3, 1, 2, 0]
    let choices = ops.map { EdgeChoice.op(config.ops.firstIndex(of: $0)!) }
    let tape = Tape<T>()
    return net.step(tape: tape, images: images, labels: labels,
                    architecture: .shared(choices, cells: config.cells), training: training).probe
}

/// |sum of last-cell edge costs (minus the given edges' costs) - C_Z| relative to sum |C|.
func theorem2Residual(_ p: StepProbe, subtracting skipEdges: [Int] = []) -> Double {
    let last = p.edgeCost.count - 1
    let total = p.cellEdgeCostSum(last) - skipEdges.reduce(0) { $0 + p.edgeCost[last][$1] }
    let scale = p.edgeCost[last].reduce(0) { $0 + abs($1) }
    return abs(total - p.costZ) / scale
}

/// The spec's form of the Theorem 2 check: |sum C - C_Z| <= rel * sum |C| + abs. The absolute part
/// matters where every cost is ~0 (instance norm makes node outputs spatially zero-mean, so the
/// pooled features and logits vanish and the relative residual is noise over noise).
func theorem2Holds(_ p: StepProbe, rel: Double, abs absTolerance: Double, label: String = "") -> Bool {
    let last = p.edgeCost.count - 1
    let scale = p.edgeCost[last].reduce(0) { $0 + abs($1) }
    let residual = abs(p.cellEdgeCostSum(last) - p.costZ)
    print(String(format: "RESIDUAL theorem2 %@ abs %.3e rel %.3e", label, residual, residual / max(scale, 1e-300)))
    return residual <= rel * scale + absTolerance
}

let noSkipArch: [OpKind] = [.sepConv3x3, .dilConv5x5, .maxPool3x3, .avgPool3x3, .sepConv5x5]
let skipOnE4: [OpKind] = [.skipConnect, .none, .dilConv3x3, .sepConv3x3, .skipConnect]

@Suite struct IdentityTests {
    @Test func noneEdgesCostExactlyZero() {
        let p = runStep(Float.self, smallConfig(), ops: [.none, .sepConv5x5, .none, .skipConnect, .dilConv3x3])
        #expect(p.edgeCost[0][0] == 0 && p.edgeCost[0][2] == 0)
        #expect(p.opCost[0][0].allSatisfy { $0 == 0 })
        #expect(p.edgeCost[0][1] != 0)
    }

    @Test(arguments: [NormKind.batch, .instance, .layer], [false, true])
    func theorem2HoldsForScaleInvariantNorms(norm: NormKind, affine: Bool) {
        // Double, tiny eps: the identity is exact up to eps / (var + eps) and rounding.
        let p = runStep(Double.self, smallConfig(norm: norm, affine: affine, eps: 1e-10), ops: noSkipArch)
        #expect(theorem2Holds(p, rel: 1e-7, abs: 1e-12, label: "double \(norm) affine=\(affine)"),
                "norm \(norm) affine \(affine): \(theorem2Residual(p))")
        // Float with the reference eps: spec tolerance 1e-3 rel + 1e-6.
        let f = runStep(Float.self, smallConfig(norm: norm, affine: affine), ops: noSkipArch)
        #expect(theorem2Holds(f, rel: 1e-3, abs: 1e-6, label: "float \(norm) affine=\(affine)"),
                "float norm \(norm) affine \(affine)")
    }

    @Test(arguments: StackingOrder.allCases)
    func theorem2HoldsForEveryStackingOrder(stacking: StackingOrder) {
        let p = runStep(Double.self, smallConfig(eps: 1e-10, stacking: stacking), ops: noSkipArch)
        #expect(theorem2Residual(p) < 1e-7)
    }

    @Test func originalCellIdentitiesHold() {
        // Steps 4, multiplier 4, two cells; case C's architecture (no skip on an intermediate edge).
        let arch: [OpKind] = [.none, .sepConv5x5, .sepConv3x3, .maxPool3x3, .maxPool3x3, .avgPool3x3, .sepConv3x3,
                              .sepConv5x5, .none, .maxPool3x3, .avgPool3x3, .sepConv5x5, .sepConv5x5, .dilConv3x3]
        let p = runStep(Double.self, smallConfig(cells: 2, steps: 4, multiplier: 4, eps: 1e-10), ops: arch)
        #expect(p.edgeCost[0].count == 14)
        #expect(theorem2Residual(p) < 1e-7)
        #expect(abs(p.cellEdgeCostSum(0)) / p.edgeCost[0].map(abs).reduce(0, +) < 1e-6)
        for i in 0..<4 {
            #expect(abs(p.nodeCost[1][i] - p.nodeCostViaOutput[1][i] - p.nodeCostViaEdges[1][i])
                    <= 1e-12 * p.edgeCost[1].map(abs).reduce(0, +))
        }
    }

    @Test func theorem2IsOffByExactlyTheSkipEdgeCost() {
        let p = runStep(Double.self, smallConfig(eps: 1e-10), ops: skipOnE4)
        #expect(theorem2Residual(p) > 1e-3, "the plain form must fail with skip on e4")
        #expect(theorem2Residual(p, subtracting: [4]) < 1e-7)
    }

    @Test func theorem2FailsWithEvalModeBatchNorm() {
        let p = runStep(Double.self, smallConfig(eps: 1e-10), ops: noSkipArch, training: false)
        #expect(theorem2Residual(p) > 1e-4)
    }

    @Test(arguments: [NormKind.batch, .instance, .layer])
    func corollary12NonLastCellsSumToZero(norm: NormKind) {
        let config = smallConfig(cells: 3, norm: norm, eps: 1e-10)
        let p = runStep(Double.self, config, ops: noSkipArch)
        for c in 0..<2 {
            let scale = p.edgeCost[c].reduce(0) { $0 + abs($1) }
            print(String(format: "RESIDUAL corollary12 double %@ cell %d rel %.3e", "\(norm)", c,
                         abs(p.cellEdgeCostSum(c)) / scale))
            #expect(abs(p.cellEdgeCostSum(c)) <= 1e-6 * scale + 1e-12, "cell \(c)")
            #expect(abs(p.cellOutputCost[c]) <= 1e-6 * scale + 1e-12)
        }
        #expect(theorem2Holds(p, rel: 1e-7, abs: 1e-12))
        // Float, reference eps: spec tolerance 1e-3 rel.
        var fconfig = config
        fconfig.opNorm.eps = 1e-5
        fconfig.preprocessNorm.eps = 1e-5
        let f = runStep(Float.self, fconfig, ops: noSkipArch)
        for c in 0..<2 {
            let scale = f.edgeCost[c].reduce(0) { $0 + abs($1) }
            print(String(format: "RESIDUAL corollary12 float %@ cell %d rel %.3e", "\(norm)", c, abs(f.cellEdgeCostSum(c)) / scale))
            #expect(abs(f.cellEdgeCostSum(c)) <= 1e-3 * scale + 1e-6)
        }
    }

    @Test func corollary12WithSkipOnE4IsOffByThatEdge() {
        let p = runStep(Double.self, smallConfig(cells: 2, eps: 1e-10), ops: skipOnE4)
        let scale = p.edgeCost[0].reduce(0) { $0 + abs($1) }
        #expect(abs(p.cellEdgeCostSum(0) - p.edgeCost[0][4]) / scale < 1e-6)
    }

    @Test func nodeLevelTheorem1() {
        let p = runStep(Double.self, smallConfig(eps: 1e-10), ops: noSkipArch)
        let scale = p.edgeCost[0].reduce(0) { $0 + abs($1) }
        // Node 2 feeds e4 (sep_conv_5x5, ends in BN): the part arriving through e4 vanishes.
        print(String(format: "RESIDUAL theorem1-node double rel %.3e", abs(p.nodeCostViaEdges[0][0]) / scale))
        #expect(abs(p.nodeCostViaEdges[0][0]) / scale < 1e-7)
        for i in 0..<2 {
            // node cost = sum of incoming edge costs = via output + via edges
            let incoming = CellTopology(steps: 2, multiplier: 2).incoming(i + 2).reduce(0) { $0 + p.edgeCost[0][$1.index] }
            #expect(abs(p.nodeCost[0][i] - incoming) / scale < 1e-12)
            #expect(abs(p.nodeCost[0][i] - p.nodeCostViaOutput[0][i] - p.nodeCostViaEdges[0][i]) / scale < 1e-12)
        }
        // With skip on e4, the via-edges part equals the skip edge's cost.
        let s = runStep(Double.self, smallConfig(eps: 1e-10), ops: skipOnE4)
        #expect(abs(s.nodeCostViaEdges[0][0] - s.edgeCost[0][4]) / s.edgeCost[0].reduce(0) { $0 + abs($1) } < 1e-9)
    }

    /// The paper's modified cell: multiplier 1, edges from state 0 deleted, edge 1 fixed.
    func modifiedCell() -> NetworkConfig {
        var config = smallConfig(multiplier: 1, eps: 1e-10)
        config.constraints = [EdgeConstraint(.edge(0), .delete), EdgeConstraint(.edge(2), .delete),
                              EdgeConstraint(.edge(1), .fix(.sepConv5x5))]
        return config
    }

    @Test func modifiedCellEdge1CostVanishes() throws {
        let config = modifiedCell()
        let domains = try config.edgeDomains()
        #expect(domains[0].deleted && domains[2].deleted && domains[1].allowed == [OpKind.orderB.firstIndex(of: .sepConv5x5)!])
        let p = runStep(Double.self, config, ops: [.none, .sepConv5x5, .none, .avgPool3x3, .dilConv3x3])
        let scale = p.edgeCost[0].reduce(0) { $0 + abs($1) }
        print(String(format: "RESIDUAL modified-cell C(e1) double rel %.3e", abs(p.edgeCost[0][1]) / scale))
        #expect(abs(p.edgeCost[0][1]) / scale < 1e-7)
        #expect(abs(p.edgeCost[0][4]) / scale > 1e-3)
        // With skip on e4, C(e1) = C(e4) exactly (up to rounding).
        let s = runStep(Double.self, config, ops: [.none, .sepConv5x5, .none, .avgPool3x3, .skipConnect])
        #expect(abs(s.edgeCost[0][1] - s.edgeCost[0][4]) / s.edgeCost[0].reduce(0) { $0 + abs($1) } < 1e-7)
    }

    @Test func affineFreeInstanceNormEverywhereGivesZeroLogitsAndCosts() {
        var config = smallConfig(norm: .instance)
        config.stemNorm = NormConfig(kind: .batch, affine: true)
        var rng = RNG(seed: 3)
        let net = Supernet<Float>(config: config, rng: &rng)
        let images = Tensor<Float>.normal(shape: [4, 3, 8, 8], rng: &rng)
        let tape = Tape<Float>()
        let (trace, p) = net.step(tape: tape, images: images, labels: [0, 1, 2, 3],
                                  architecture: .shared(noSkipArch.map { .op(OpKind.orderB.firstIndex(of: $0)!) }, cells: 1))
        print(String(format: "RESIDUAL instance-norm max|logit| %.3e max|C| %.3e", maxAbs(tape.value(trace.logits)),
                     p.edgeCost[0].map(abs).max() ?? 0))
        #expect(tape.value(trace.logits).scalars.allSatisfy { abs($0) < 1e-6 })
        #expect(p.edgeCost[0].allSatisfy { abs($0) < 1e-6 })
        #expect(abs(p.meanLoss - Double.log(10)) < 1e-5)
    }

    @Test func residualShrinksWithEps() {
        let residuals = [1e-3, 1e-5, 1e-8].map { eps in
            theorem2Residual(runStep(Double.self, smallConfig(eps: eps), ops: noSkipArch))
        }
        print("RESIDUAL theorem2 vs eps 1e-3/1e-5/1e-8 (double):", residuals)
        #expect(residuals[0] > residuals[1] && residuals[1] > residuals[2], "\(residuals)")
        #expect(residuals[2] < 1e-7)
    }
}
