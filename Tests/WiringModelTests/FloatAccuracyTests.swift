// Float against Double on a deep network (issue item 6): the case-C layout of the fixtures README
// (8 original cells, steps 4, multiplier 4, C = 16, B = 4, 32x32 inputs), one seeded set of Float
// parameters and inputs that the Double network receives converted exactly. The Double run is the
// truth to ~1e-15, so the difference is the Float path's own.
//
// What limits Float here (`wiringbench precision 20`, 20 seeds): the forward error of the cell outputs
// grows about 1.7x per cell (each cell reads the two before it), to ~2e-5 relative L2 in the last
// cell. With case C's architecture, on most seeds some ReLU or max-pool window of an intermediate edge
// of the last cell reads a node value within that error of its kink, flips, and moves the gradient of
// that node pixel by O(1). The node's total cost hardly moves (its value is ~0 there), but its incoming
// edges share it differently: last-cell edge costs off by 5e-6 to 8e-4 of max_e |C| (median 1e-4),
// before and after the batch-norm fixes alike. No Float implementation avoids such flips.
// The test therefore puts kink-free ops (avg_pool) on the intermediate edges, the only ones whose
// ops read the last cell's nodes, and keeps case C's ops elsewhere: that measures the continuous
// error, 3.5e-7 to 5.3e-6 over the 20 seeds (median 1.2e-6).
import Foundation
import Testing
import WiringEngine
@testable import WiringModel

/// Case C's architecture (fixtures README section 1) with avg_pool on the intermediate edges e4, e7,
/// e11, e12, e13 (e8 stays none), shared by all cells.
let caseCWithSmoothIntermediateEdges: [OpKind] = [.none, .sepConv5x5, .sepConv3x3, .maxPool3x3, .avgPool3x3,
                                                  .avgPool3x3, .sepConv3x3, .avgPool3x3, .none, .maxPool3x3,
                                                  .avgPool3x3, .avgPool3x3, .avgPool3x3, .avgPool3x3]

/// One step of a deep original-cell network in Float and in Double from the same Float parameters.
func deepOriginalPair(seed: UInt64, batch: Int = 4, cells: Int = 8, size: Int = 32)
    -> (float: StepProbe, double: StepProbe) {
    var config = NetworkConfig(cell: .original)
    config.cells = cells
    var rng = RNG(seed: seed)
    let floatNet = Supernet<Float>(config: config, rng: &rng)
    let images = Tensor<Float>.normal(shape: [batch, 3, size, size], rng: &rng)
    let labels = (0..<batch).map { _ in rng.index(below: 10) }
    let doubleNet = Supernet<Double>(config: config, rng: &rng)
    for name in floatNet.parameters.names { doubleNet.parameters[name] = floatNet.parameters[name]!.converted() }
    let architecture = Architecture.shared(caseCWithSmoothIntermediateEdges.map { .op(config.ops.firstIndex(of: $0)!) }, cells: cells)
    let float = floatNet.step(tape: Tape<Float>(), images: images, labels: labels, architecture: architecture).probe
    let double = doubleNet.step(tape: Tape<Double>(), images: images.converted(), labels: labels,
                                architecture: architecture).probe
    return (float, double)
}

/// max_i |a_i - b_i| / scale.
func maxRelativeDifference(_ a: [Double], _ b: [Double], scale: Double) -> Double {
    zip(a, b).map { abs($0 - $1) }.max()! / scale
}

@Suite struct FloatAccuracyTests {
    @Test func deepOriginalCellsLastCellCostsMatchDouble() {
        let (float, double) = deepOriginalPair(seed: 1)
        let last = double.edgeCost.count - 1
        let scale = double.edgeCost[last].map(abs).max()!
        let perCell = (0...last).map { c in
            maxRelativeDifference(float.edgeCost[c], double.edgeCost[c], scale: double.edgeCost[c].map(abs).max()!)
        }
        let edgeError = perCell[last]
        let nodeError = maxRelativeDifference(float.nodeCost[last], double.nodeCost[last], scale: scale)
        print("ACCURACY float-vs-double edge cost per cell (max|d| / max|C|):",
              perCell.map { String(format: "%.2e", $0) }.joined(separator: " "),
              String(format: "| last-cell node costs %.2e", nodeError))
        #expect(edgeError <= 1e-5, "last-cell edge costs: \(edgeError)")
        #expect(nodeError <= 1e-5, "last-cell node costs: \(nodeError)")
        // The last cell has real costs (not a cancelling sum), so the bound is not vacuous.
        #expect(scale > 1e-3)
    }
}
