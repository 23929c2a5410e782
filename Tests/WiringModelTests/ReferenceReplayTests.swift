// Replays every golden fixture (fixtures README) through the Swift supernet and compares logits,
// loss, entropy, C_Z, per-sample L/H/C, edge and op costs, node costs and their split, edge-input and
// cell-output costs, every named parameter gradient and the updated running statistics, in Float
// (against the float32 data) and in Double (against the *_f64 data). Like llm.c's test_gpt2.c it
// prints each label with its max abs / rel diff, lists every mismatch and fails once at the end.
// Run alone with `swift test --filter ReferenceReplay`; WIRINGLAB_FIXTURES points it at another folder.
import Foundation
import Testing
import WiringEngine
@testable import WiringModel
import WiringResults

/// Collects comparisons and mismatches for one fixture group.
struct ReplayReport {
    var lines: [String] = []
    var failures: [String] = []

    /// Checks |a - b| <= atol + rtol * scale element-wise, where scale defaults to max |b|.
    mutating func compare(_ label: String, _ ours: [Double], _ reference: [Double], atol: Double, rtol: Double = 0,
                          scale: Double? = nil) {
        guard ours.count == reference.count else {
            failures.append("\(label): \(ours.count) values, reference has \(reference.count)")
            return
        }
        let refScale = scale ?? reference.map(abs).max() ?? 0
        var worst = 0.0
        for (a, b) in zip(ours, reference) { worst = max(worst, abs(a - b)) }
        let bound = atol + rtol * refScale
        let ok = worst <= bound
        lines.append(String(format: "%@ %-44@ max|d| %.3e  rel %.3e  bound %.1e", ok ? "ok " : "BAD",
                            label as NSString, worst, refScale > 0 ? worst / refScale : 0, bound))
        if !ok { failures.append(String(format: "%@: max|d| %.3e > %.1e", label, worst, bound)) }
    }

    /// Checks that values the reference requires to be exactly zero are bitwise zero (±0).
    mutating func exactZero(_ label: String, _ values: [Double]) {
        if let bad = values.first(where: { $0 != 0 }) {
            failures.append("\(label): must be exactly 0, got \(bad)")
        } else {
            lines.append("ok  \(label) exactly 0")
        }
    }

    mutating func fail(_ message: String) { failures.append(message) }
}

/// Tolerances for a fixture group, from the fixtures README section 5. Deep networks (more than two
/// cells) get the looser bounds the README gives for case C, where even PyTorch does not reproduce
/// its own early-cell float32 costs; the last cell and every float64 number stay tight.
struct ReplayTolerances {
    let logits: Double, scalar: Double, lastCellCost: Double, earlyCellCost: Double, gradRelL2: Double, buffers: Double

    init<T: TensorElement>(_ type: T.Type, cells: Int) {
        if T.self == Double.self {
            logits = 1e-9; scalar = 1e-9; lastCellCost = 1e-8; earlyCellCost = 1e-8; gradRelL2 = 1e-8; buffers = 1e-9
        } else {
            let deep = cells > 2
            logits = deep ? 5e-5 : 1e-5
            scalar = 1e-5
            lastCellCost = 1e-4
            earlyCellCost = deep ? 5e-2 : 1e-4
            gradRelL2 = deep ? 5e-2 : 1e-3
            buffers = 1e-4
        }
    }
}

func replay<T: TensorElement>(_ fixture: ReferenceFixture, as type: T.Type) throws -> ReplayReport {
    var report = ReplayReport()
    let isDouble = T.self == Double.self
    let suffix = isDouble ? "_f64" : ""
    let tol = ReplayTolerances(T.self, cells: fixture.config.cells)
    let config = fixture.config

    // Build, then load every parameter and buffer by name; names must match both ways.
    var rng = RNG(seed: 0)
    let net = Supernet<T>(config: config, rng: &rng)
    let fileParams = try fixture.names(in: "params")
    let ourParams = Set(net.parameters.names)
    for name in fileParams {
        guard ourParams.contains(name) else { report.fail("params/\(name): no such parameter in the Swift supernet"); continue }
        let value: Tensor<T> = try fixture.tensor("params/" + name)
        guard value.shape == net.parameters[name]!.shape else {
            report.fail("params/\(name): shape \(value.shape), ours \(net.parameters[name]!.shape)")
            continue
        }
        net.parameters[name] = value
    }
    for name in ourParams.subtracting(fileParams) { report.fail("params: the file lacks our parameter \(name)") }
    let fileBuffers = try fixture.names(in: "buffers")
    for name in fileBuffers where !net.parameters.setBuffer(name, try fixture.tensor("buffers/" + name)) {
        report.fail("buffers/\(name): no such buffer (or another shape) in the Swift supernet")
    }
    let ourBufferNames = Set(net.parameters.buffers.keys)
    for name in ourBufferNames.subtracting(fileBuffers) { report.fail("buffers: the file lacks our buffer \(name)") }
    let buffersBefore = net.parameters.buffers

    // One training-mode step.
    let images: Tensor<T> = try fixture.tensor("input")
    let labels = try fixture.labels()
    let architecture = try fixture.architecture()
    let tape = Tape<T>()
    let (trace, probe) = net.step(tape: tape, images: images, labels: labels, architecture: architecture)
    let out = "outputs" + suffix

    report.compare("logits", tape.value(trace.logits).scalars.map(Double.init),
                   try fixture.doubles(out + "/logits").values, atol: tol.logits)
    report.compare("loss", [probe.loss], try fixture.doubles(out + "/loss").values, atol: tol.scalar)
    report.compare("entropy", [probe.meanEntropy], try fixture.doubles(out + "/entropy").values, atol: tol.scalar)
    report.compare("cost_Z", [probe.costZ], try fixture.doubles(out + "/cost_Z").values, atol: tol.scalar)
    if !isDouble {
        report.compare("per_sample_loss", probe.samples.loss, try fixture.doubles("outputs/per_sample_loss").values, atol: tol.scalar)
        report.compare("per_sample_entropy", probe.samples.entropy, try fixture.doubles("outputs/per_sample_entropy").values, atol: tol.scalar)
        report.compare("per_sample_cost", probe.samples.cost, try fixture.doubles("outputs/per_sample_cost").values, atol: tol.scalar)
    }

    // Per-cell costs: |d| <= rtol * max_e |C[c, e]| + 1e-7 (README section 5), tight for the last cell.
    // The scale is the reference's largest edge (or op) cost of that cell, for every per-cell quantity.
    let referenceCosts = try fixture.doubles(out + "/edge_cost")
    let costsPerCell = referenceCosts.count / max(1, config.cells)
    let cellScale = (0..<config.cells).map { c in
        referenceCosts.values[(c * costsPerCell)..<((c + 1) * costsPerCell)].map(abs).max() ?? 0
    }
    func perCell(_ label: String, _ ours: [[Double]], _ reference: HDF5Array<Double>) {
        let width = reference.count / max(1, config.cells)
        guard ours.count == config.cells, ours.allSatisfy({ $0.count == width }) else {
            report.fail("\(label): shape \(reference.shape) does not match \(config.cells) cells x \(ours.first?.count ?? 0)")
            return
        }
        for c in 0..<config.cells {
            let ref = Array(reference.values[(c * width)..<((c + 1) * width)])
            let rtol = c == config.cells - 1 ? tol.lastCellCost : tol.earlyCellCost
            report.compare("\(label)[cell \(c)]", ours[c], ref, atol: isDouble ? 1e-15 : 1e-7, rtol: rtol,
                           scale: cellScale[c])
        }
    }
    let noneIndex = config.ops.firstIndex(of: .none)
    if fixture.isMixture {
        perCell("edge_cost (per op)", probe.opCost.map { $0.flatMap { $0 } }, try fixture.doubles(out + "/edge_cost"))
        if !isDouble {
            perCell("edge_cost_mixture", probe.edgeCost, try fixture.doubles("outputs/edge_cost_mixture"))
        }
        if let n = noneIndex { report.exactZero("none column of edge_cost", probe.opCost.flatMap { $0.map { $0[n] } }) }
    } else {
        perCell("edge_cost", probe.edgeCost, try fixture.doubles(out + "/edge_cost"))
        if !isDouble { perCell("Z_grad", probe.opCost.map { $0.flatMap { $0 } }, try fixture.doubles("outputs/Z_grad")) }
        let noneEdges = architecture.choices.enumerated().flatMap { c, row in
            row.enumerated().filter { $0.element.opIndex == noneIndex }.map { probe.edgeCost[c][$0.offset] }
        }
        report.exactZero("edge_cost on none edges", noneEdges)
    }
    let nodeGroup = isDouble ? "outputs_f64/" : ""
    perCell("node_inputs_cost", probe.nodeCost, try fixture.doubles(nodeGroup + "node_inputs_cost"))
    let analysis = isDouble ? "outputs_f64/" : "analysis/"
    perCell("node_cost_via_edges", probe.nodeCostViaEdges, try fixture.doubles(analysis + "node_cost_via_edges"))
    if !isDouble {
        perCell("node_cost_via_output", probe.nodeCostViaOutput, try fixture.doubles("analysis/node_cost_via_output"))
    }
    perCell("edge_input_cost", probe.edgeInputCost, try fixture.doubles(analysis + "edge_input_cost"))
    report.compare("cell_output_cost", probe.cellOutputCost, try fixture.doubles(analysis + "cell_output_cost").values,
                   atol: isDouble ? 1e-15 : 1e-7, rtol: tol.lastCellCost, scale: cellScale.last)

    // Parameter gradients: the reference lists the sampled child's (DSNAS) or all (DARTS) parameters.
    let gradients = net.gradients(trace: trace, tape: tape)
    let gradGroup = "grads" + suffix
    let fileGrads = Set(try fixture.names(in: gradGroup))
    var worstGrad = (name: "", rel: 0.0)
    for name in fileGrads.sorted() {
        let ref = try fixture.doubles(gradGroup + "/" + name).values
        guard let ours = gradients[name]?.scalars.map(Double.init) else {
            report.fail("\(gradGroup)/\(name): the Swift step produced no gradient")
            continue
        }
        let norm = ref.reduce(0) { $0 + $1 * $1 }.squareRoot()
        let diff = zip(ours, ref).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }.squareRoot()
        let rel = norm > 0 ? diff / norm : diff
        if rel > worstGrad.rel { worstGrad = (name, rel) }
        if rel > tol.gradRelL2 { report.fail("\(gradGroup)/\(name): |d|/|g| = \(rel) > \(tol.gradRelL2)") }
    }
    report.lines.append(String(format: "%@ %-44@ worst |d|/|g| %.3e (%@)", worstGrad.rel <= tol.gradRelL2 ? "ok " : "BAD",
                               "\(fileGrads.count) parameter gradients" as NSString, worstGrad.rel, worstGrad.name))
    for (name, g) in gradients where !fileGrads.contains(name) && g.scalars.contains(where: { $0 != 0 }) {
        report.fail("\(gradGroup): we have a nonzero gradient for \(name), the reference has none")
    }

    // Running statistics after the step: listed ones updated, all others unchanged.
    if !isDouble {
        let after = try Set(fixture.names(in: "buffers_after"))
        let ours = net.parameters.buffers
        for name in ours.keys.sorted() {
            let mine = ours[name]!.scalars.map(Double.init)
            if after.contains(name) {
                let ref = try fixture.doubles("buffers_after/" + name).values
                let scale = ref.map(abs).max() ?? 0
                let worst = zip(mine, ref).map { abs($0 - $1) }.max() ?? 0
                if worst > tol.buffers * scale + 1e-6 { report.fail("buffers_after/\(name): max|d| \(worst)") }
            } else if mine != buffersBefore[name]!.scalars.map(Double.init) {
                report.fail("buffers: \(name) changed, but the reference left it unchanged")
            }
        }
        report.lines.append("ok  \(after.count) running statistics compared, \(ours.count - after.count) unchanged")
    }
    return report
}

@Suite struct ReferenceReplay {
    func fixtureFiles() throws -> [String] {
        let folder = fixturesFolder()
        let files = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".h5") }.sorted()
        return files.map { folder + "/" + $0 }
    }

    @Test func fixturesArePresent() throws {
        #expect(try !fixtureFiles().isEmpty, "no *.h5 fixtures in \(fixturesFolder())")
    }

    @Test(arguments: ["float32", "float64"])
    func replayEveryFixture(precision: String) throws {
        let files = try fixtureFiles()
        var failures: [String] = []
        for path in files {
            let groups: [ReferenceFixture]
            do { groups = try ReferenceFixture.groups(in: path) } catch {
                failures.append("\(path): \(error)")
                continue
            }
            for fixture in groups {
                let report = precision == "float32" ? try replay(fixture, as: Float.self) : try replay(fixture, as: Double.self)
                print("== \(fixture.label) [\(precision)]")
                for line in report.lines { print("   " + line) }
                failures += report.failures.map { "\(fixture.label) [\(precision)]: \($0)" }
            }
        }
        for failure in failures { print("MISMATCH " + failure) }
        #expect(failures.isEmpty, "\(failures.count) mismatches; first: \(failures.first ?? "")")
    }
}
