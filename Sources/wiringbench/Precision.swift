// wiringbench precision [seeds [cells]] [smooth] [edges]: Float against Double on the fixtures' deep
// layout (case C: original cells, C = 16, B = 4, 32x32, case C's architecture), the Double network
// loaded with the Float parameters and inputs, so the difference is the Float path's own rounding.
// Per seed: every cell's edge-cost error max|d| / max_e|C|, the last cell's node-cost error (on the
// same scale), and the relative L2 error of each cell output and of its gradient (where it enters).
//   smooth  avg_pool on the intermediate edges (the ones reading the cell's nodes): no ReLU or max
//           pool can then flip a last-cell gradient, which leaves the continuous error alone
//   edges   per last-cell edge: both costs, sum|g h| / |C|, and the L2 errors of h and of dL/dh
import Foundation
import WiringEngine
import WiringModel

func runPrecision(seeds: Int, cells: Int, smooth: Bool, perEdge: Bool) {
    var config = NetworkConfig(cell: .original)
    config.cells = cells
    let caseC: [OpKind] = [.none, .sepConv5x5, .sepConv3x3, .maxPool3x3, .maxPool3x3, .avgPool3x3, .sepConv3x3,
                           .sepConv5x5, .none, .maxPool3x3, .avgPool3x3, .sepConv5x5, .sepConv5x5, .dilConv3x3]
    let intermediate = Set(CellTopology(steps: config.steps, multiplier: config.multiplier).edges
        .filter(\.isIntermediate).map(\.index))
    let ops = caseC.enumerated().map { e, op in smooth && intermediate.contains(e) && op != .none ? .avgPool3x3 : op }
    let architecture = Architecture.shared(ops.map { .op(config.ops.firstIndex(of: $0)!) }, cells: cells)
    func relativeL2<U: TensorElement>(_ a: Tensor<U>?, _ b: Tensor<Double>?) -> Double {
        guard let a, let b else { return .nan }
        var diff = 0.0, norm = 0.0
        for (x, y) in zip(a.scalars, b.scalars) { diff += (Double(x) - y) * (Double(x) - y); norm += y * y }
        return (diff / norm).squareRoot()
    }
    func worst(_ a: [Double], _ b: [Double], scale: Double) -> Double { zip(a, b).map { abs($0 - $1) }.max()! / scale }
    var lastEdge: [Double] = [], lastNode: [Double] = []
    for seed in 1...UInt64(seeds) {
        var rng = RNG(seed: seed)
        let floatNet = Supernet<Float>(config: config, rng: &rng)
        let images = Tensor<Float>.normal(shape: [4, 3, 32, 32], rng: &rng)
        let labels = (0..<4).map { _ in rng.index(below: 10) }
        let doubleNet = Supernet<Double>(config: config, rng: &rng)
        for name in floatNet.parameters.names { doubleNet.parameters[name] = floatNet.parameters[name]!.converted() }
        let floatTape = Tape<Float>(), doubleTape = Tape<Double>()
        let (ft, fp) = floatNet.step(tape: floatTape, images: images, labels: labels, architecture: architecture)
        let (dt, dp) = doubleNet.step(tape: doubleTape, images: images.converted(), labels: labels,
                                      architecture: architecture)
        var costs: [String] = [], forward: [String] = [], backward: [String] = []
        for c in 0..<cells {
            costs.append(String(format: "%.1e", worst(fp.edgeCost[c], dp.edgeCost[c],
                                                      scale: dp.edgeCost[c].map(abs).max()!)))
            forward.append(String(format: "%.1e", relativeL2(floatTape.value(ft.cellOutputs[c]),
                                                             doubleTape.value(dt.cellOutputs[c]))))
            backward.append(String(format: "%.1e", relativeL2(floatTape.gradient(ft.cellOutputs[c]),
                                                              doubleTape.gradient(dt.cellOutputs[c]))))
        }
        let last = cells - 1, scale = dp.edgeCost[last].map(abs).max()!
        lastEdge.append(worst(fp.edgeCost[last], dp.edgeCost[last], scale: scale))
        lastNode.append(worst(fp.nodeCost[last], dp.nodeCost[last], scale: scale))
        print("PRECISION seed=\(seed) edge-cost " + costs.joined(separator: " ")
              + String(format: " last-cell node-cost %.1e", lastNode.last!))
        print("  cell-output L2 " + forward.joined(separator: " ") + " | gradient L2 " + backward.joined(separator: " "))
        guard perEdge else { continue }
        for e in 0..<fp.edgeCost[last].count {
            guard let fo = ft.edgeOutputs[last][e], let dO = dt.edgeOutputs[last][e] else { continue }
            let g = doubleTape.gradient(dO)!.scalars, h = doubleTape.value(dO).scalars
            let absSum = zip(g, h).reduce(0) { $0 + abs($1.0 * $1.1) }
            print(String(format: "    e%d float %.9e double %.9e d %.2e  sum|gh|/|C| %.1f  h L2 %.1e  dL/dh L2 %.1e",
                         e, fp.edgeCost[last][e], dp.edgeCost[last][e], fp.edgeCost[last][e] - dp.edgeCost[last][e],
                         absSum / abs(dp.edgeCost[last][e]), relativeL2(floatTape.value(fo), doubleTape.value(dO)),
                         relativeL2(floatTape.gradient(fo), doubleTape.gradient(dO))))
        }
    }
    lastEdge.sort()
    lastNode.sort()
    print(String(format: "PRECISION last cell over %d seeds: edge costs median %.2e max %.2e; node costs median %.2e max %.2e",
                 seeds, lastEdge[seeds / 2], lastEdge.last!, lastNode[seeds / 2], lastNode.last!))
}
