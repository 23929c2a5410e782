// Replays every trajectory fixture (Tests/Fixtures/trajectory/README.md) through WiringLab's own
// training and search code: a `search` file through `DSNAS.step(net:tape:train:choices:sgd:lr:)` (the
// runner's search phase, with the recorded samples forced), a `theta` file through
// `Supernet.trainThetaStep` (the runner's train phase). After every step it compares the loss, the
// per-sample losses (from the recorded logits), the learning rate, the edge costs, the alpha gradient,
// both gradient norms, every parameter, alpha and every batch-norm buffer, in Float against /float32
// and in Double against /float64. Every setting comes from the file's `config`; a setting the code
// cannot replay is reported as unsupported, naming it. Like the one-step replay it prints one line per
// quantity and step, lists every mismatch in step order (the first names where the trajectory first
// diverged) and fails once at the end. Run alone with `swift test --filter TrajectoryReplay`;
// WIRINGLAB_TRAJECTORIES points it at another folder.
import Foundation
import Testing
import WiringEngine
import WiringModel
import WiringResults
@testable import WiringSearch

/// The trajectory folder: `WIRINGLAB_TRAJECTORIES`, else the copy shipped in Tests/Fixtures/trajectory.
func trajectoriesFolder() -> String {
    if let env = ProcessInfo.processInfo.environment["WIRINGLAB_TRAJECTORIES"], !env.isEmpty { return env }
    return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/trajectory").path
}

struct UnsupportedTrajectory: Error, CustomStringConvertible {
    var description: String
}

/// One trajectory file: its settings, turned into WiringLab's config types.
struct TrajectoryFixture {
    enum Mode: String { case search, theta }

    let file: HDF5File
    let label: String
    let mode: Mode
    let network: NetworkConfig
    let recordedSteps: Int
    let epochs: Int
    let sgd: SGDConfig
    let search: SearchConfig

    /// Attributes that only describe the run (never change a number).
    static let descriptive: Set<String> = ["case", "semantics", "reference_commit", "reference_argv", "seed",
                                           "batch_size", "description", "note"]
    /// Command-line flags of the reference that the replay reproduces (or that cannot change a number
    /// with recorded inputs, forced samples and K steps inside epoch 0). Any other flag (fix_*, del_*,
    /// resample_layer, child_reward_stat, auxiliary, snas, ...) is reported as unsupported.
    static let knownFlags: Set<String> = ["dsnas", "epochs", "batch_size", "layers", "init_channels", "seed", "nsample",
                                          "order", "drop_path_prob", "gen_max_child", "edge_reward", "steps",
                                          "multiplier", "random_sample", "learning_rate", "learning_rate_min",
                                          "momentum", "weight_decay", "grad_clip", "arch_learning_rate",
                                          "arch_weight_decay", "report_freq", "gpu", "data", "save", "remark",
                                          "workers", "train_portion", "cutout", "cutout_length",
                                          // inferred from the parameters present and cross-checked:
                                          "bn_affine"]

    init(path: String) throws {
        file = try HDF5File(reading: path)
        let name = URL(fileURLWithPath: path).lastPathComponent
        label = name
        func unsupported(_ what: String) -> UnsupportedTrajectory {
            UnsupportedTrajectory(description: "\(name): unsupported trajectory: \(what)")
        }
        guard try file.root.contains("config") else { throw unsupported("no /config group") }
        let attrs = try file.root.group("config")
        func has(_ key: String) throws -> Bool { try attrs.hasAttribute(key) }
        func double(_ key: String) throws -> Double { try attrs.attribute(key, as: Double.self) }
        func int(_ key: String) throws -> Int { try attrs.attribute(key, as: Int.self) }
        func flag(_ key: String) throws -> Bool { try int(key) != 0 }
        var used = TrajectoryFixture.descriptive

        // Mode.
        used.insert("mode")
        let modeName = try attrs.stringAttribute("mode")
        guard let mode = Mode(rawValue: modeName) else { throw unsupported("mode '\(modeName)' (search or theta)") }
        self.mode = mode

        // Network: cells, cell size, op order; norms and the stem width from the parameters themselves.
        var network = NetworkConfig()
        network.cells = try int("layers")
        network.steps = try int("steps")
        network.multiplier = try int("multiplier")
        network.channels = try int("channels")
        network.numClasses = try int("num_classes")
        used.formUnion(["layers", "steps", "multiplier", "channels", "num_classes", "op_names"])
        network.ops = try attrs.stringsAttribute("op_names").map { op in
            guard let kind = OpKind(rawValue: op) else { throw unsupported("op '\(op)'") }
            return kind
        }
        let initial = try file.root.group("float32").group("initial")
        let paramNames = Set(try initial.group("params").datasetNames())
        guard let stem = try? initial.group("params").dataset("stem.0.weight").shape else {
            throw unsupported("no stem.0.weight parameter")
        }
        guard stem[0] % network.channels == 0 else { throw unsupported("stem width \(stem[0])") }
        network.stemMultiplier = stem[0] / network.channels
        network.inputChannels = stem[1]
        let eps = try has("bn_eps") ? double("bn_eps") : 1e-5
        let momentum = try has("bn_momentum") ? double("bn_momentum") : 0.1
        used.formUnion(["bn_eps", "bn_momentum"])
        let opsAffine = paramNames.contains { $0.contains("._ops.") && $0.hasSuffix(".bias") }
        let preprocessAffine = paramNames.contains { $0.contains(".preprocess") && $0.hasSuffix(".bias") }
        network.opNorm = NormConfig(kind: .batch, affine: opsAffine, eps: eps, momentum: momentum)
        network.preprocessNorm = NormConfig(kind: .batch, affine: preprocessAffine, eps: eps, momentum: momentum)
        network.stemNorm = NormConfig(kind: .batch, affine: paramNames.contains("stem.1.weight"), eps: eps,
                                      momentum: momentum)
        network.classifierBias = paramNames.contains("classifier.bias")
        // Declared affine flags (as in the one-step fixtures) must agree with the parameters present.
        let declaredAffine = [("bn_affine", opsAffine && preprocessAffine), ("bn_affine_ops", opsAffine),
                              ("bn_affine_pool_bn", opsAffine), ("bn_affine_preprocess", preprocessAffine),
                              ("bn_affine_stem", network.stemNorm.affine), ("classifier_bias", network.classifierBias)]
        for (key, present) in declaredAffine where try has(key) {
            used.insert(key)
            if try flag(key) != present { throw unsupported("\(key) = \(try int(key)), but the parameters say \(present)") }
        }
        network.naming = .dsnas
        for key in ["reduction_cells", "drop_path_prob", "resample_layer", "child_reward_stat", "auxiliary", "cutout"]
        where try has(key) {
            used.insert(key)
            if try double(key) != 0 { throw unsupported("\(key) = \(try double(key))") }
        }
        self.network = network

        // Length and schedule: K steps inside epoch 0 of `epochs`.
        recordedSteps = try int("steps_recorded")
        epochs = try int("epochs")
        used.formUnion(["steps_recorded", "epochs"])

        // Theta optimiser.
        sgd = SGDConfig(lr: try double("learning_rate"), momentum: try double("momentum"),
                        weightDecay: try double("weight_decay"), lrMin: try double("learning_rate_min"),
                        gradClip: try double("grad_clip"), schedule: .cosine, skipMissingGradients: false)
        used.formUnion(["learning_rate", "momentum", "weight_decay", "learning_rate_min", "grad_clip"])

        // DSNAS search: reward clamp, Adam on alpha with its clipping.
        var search = SearchConfig(algorithm: .dsnas)
        search.rewardClip = try double("reward_clamp")
        let betas = try attrs.attributeArray("arch_betas", as: Double.self).values
        guard betas.count == 2 else { throw unsupported("arch_betas \(betas)") }
        search.alphaOptimizer = AdamConfig(lr: try double("arch_learning_rate"), beta1: betas[0], beta2: betas[1],
                                           eps: try has("arch_eps") ? double("arch_eps") : 1e-8,
                                           weightDecay: try double("arch_weight_decay"),
                                           gradClip: try double("alpha_grad_clip"))
        search.updateAlpha = try flag("alpha_updated")
        search.updateTheta = true
        search.refreshRunningStatistics = true
        used.formUnion(["reward_clamp", "arch_betas", "arch_eps", "arch_learning_rate", "arch_weight_decay",
                        "alpha_grad_clip", "alpha_updated"])
        if mode == .theta && search.updateAlpha {
            throw unsupported("mode theta with alpha_updated = 1 (the train phase never steps alpha)")
        }
        if try has("random_sample") {
            used.insert("random_sample")
            if try flag("random_sample") && search.updateAlpha {
                throw unsupported("random_sample with alpha_updated = 1 (the reference skips the alpha step)")
            }
        }
        if try has("nsample") {
            used.insert("nsample")
            if try int("nsample") != 1 { throw unsupported("nsample = \(try int("nsample"))") }
        }
        self.search = search

        // Anything else in the config, or on the reference's command line, could change the numbers.
        let unknown = try attrs.attributeNames().filter { !used.contains($0) }.sorted()
        if !unknown.isEmpty { throw unsupported("config attribute(s) \(unknown.joined(separator: ", "))") }
        if try has("reference_argv") {
            let argv = try attrs.stringAttribute("reference_argv").split(separator: " ")
            let flags = argv.filter { $0.hasPrefix("--") }.map { String($0.dropFirst(2)) }
            let foreign = flags.filter { !TrajectoryFixture.knownFlags.contains($0) }
            if !foreign.isEmpty { throw unsupported("reference flag(s) --\(foreign.joined(separator: " --"))") }
            if !flags.contains("edge_reward") { throw unsupported("a reward other than the edge cost (no --edge_reward)") }
            if let i = argv.firstIndex(of: "--nsample"), i + 1 < argv.count, argv[i + 1] != "1" {
                throw unsupported("--nsample \(argv[i + 1])")
            }
            if let i = argv.firstIndex(of: "--drop_path_prob"), i + 1 < argv.count, Double(argv[i + 1]) != 0 {
                throw unsupported("--drop_path_prob \(argv[i + 1])")
            }
        }
    }
}

/// Comparisons and mismatches of one trajectory in one precision, plus the worst figure per quantity.
struct TrajectoryReport {
    var lines: [String] = []
    var failures: [String] = []
    /// quantity -> (worst relative figure, its step, its bound)
    var worst: [String: (value: Double, step: Int, bound: Double)] = [:]
    var order: [String] = []

    mutating func note(_ quantity: String, step: Int, _ value: Double, bound: Double) {
        if worst[quantity] == nil { order.append(quantity) }
        if value.isNaN || value > (worst[quantity]?.value ?? -1) { worst[quantity] = (value, step, bound) }
    }

    /// Element-wise: max |a - b| <= atol + rtol * scale, scale defaulting to max |b|. The figure noted
    /// is max |a - b| / scale.
    mutating func compare(_ quantity: String, step: Int, _ ours: [Double], _ reference: [Double], rtol: Double,
                          atol: Double = 0, scale: Double? = nil) {
        let label = "step \(step) \(quantity)"
        guard ours.count == reference.count else {
            failures.append("\(label): \(ours.count) values, reference has \(reference.count)")
            return
        }
        let refScale = scale ?? reference.map(abs).max() ?? 0
        var worstDiff = 0.0
        for (a, b) in zip(ours, reference) { worstDiff = max(worstDiff, abs(a - b)) }
        if ours.contains(where: { !$0.isFinite }) { worstDiff = .nan }
        let bound = atol + rtol * refScale
        let ok = worstDiff <= bound
        let rel = refScale > 0 ? worstDiff / refScale : worstDiff
        note(quantity, step: step, rel, bound: rtol)
        lines.append(String(format: "%@ %-40@ max|d| %.3e  rel %.3e  bound %.1e", ok ? "ok " : "BAD",
                            label as NSString, worstDiff, rel, bound))
        if !ok { failures.append(String(format: "%@: max|d| %.3e > %.1e (rel %.3e)", label, worstDiff, bound, rel)) }
    }

    /// Per named tensor: ||a - b|| / ||b|| <= rtol (an all-zero reference: ||a - b|| <= rtol), or
    /// ||a - b|| / scales[name] where given. One line with the worst tensor; a mismatch line per
    /// failing tensor.
    mutating func compareTensors(_ quantity: String, step: Int, _ pairs: [(name: String, ours: [Double], reference: [Double])],
                                 rtol: Double, scales: [String: Double] = [:]) {
        let label = "step \(step) \(quantity)"
        var worstRel = 0.0, worstName = "", bad = 0
        for (name, ours, reference) in pairs {
            guard ours.count == reference.count else {
                failures.append("\(label) \(name): \(ours.count) values, reference has \(reference.count)")
                bad += 1
                continue
            }
            let norm = scales[name] ?? reference.reduce(0) { $0 + $1 * $1 }.squareRoot()
            let diff = zip(ours, reference).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }.squareRoot()
            let rel = norm > 0 ? diff / norm : diff
            if rel > worstRel || rel.isNaN { (worstRel, worstName) = (rel, name) }
            if !(rel <= rtol) {
                bad += 1
                failures.append(String(format: "%@ %@: ||d||/||ref|| %.3e > %.1e", label, name, rel, rtol))
            }
        }
        note(quantity, step: step, worstRel, bound: rtol)
        lines.append(String(format: "%@ %-40@ worst ||d||/||ref|| %.3e  bound %.1e  (%d tensors, worst %@)",
                            bad == 0 ? "ok " : "BAD", label as NSString, worstRel, rtol, pairs.count,
                            worstName as NSString))
    }

    mutating func fail(_ message: String) { failures.append(message) }
}

/// The README's tolerances. Float: 1e-6 relative on losses, 1e-5 (per tensor, ||d|| / ||p||) on
/// parameters, alpha and buffers (a running mean against ||sqrt(running_var)|| of its norm); gradient-level quantities (edge costs, alpha gradient, norms) get
/// the one-step replay's float bounds (1e-4 of the largest value; early cells of nets deeper than two
/// cells 5e-2, where PyTorch does not reproduce its own float32 costs). Double: 1e-10 on the state
/// and losses, 1e-8 on gradient-level quantities.
struct TrajectoryTolerances {
    let loss: Double, state: Double, gradient: Double, earlyCellCost: Double, norm: Double, costFloor: Double

    init<T: TensorElement>(_ type: T.Type, cells: Int) {
        if T.self == Double.self {
            loss = 1e-10; state = 1e-10; gradient = 1e-8; earlyCellCost = 1e-8; norm = 1e-9; costFloor = 1e-15
        } else {
            loss = 1e-6; state = 1e-5; gradient = 1e-4; earlyCellCost = cells > 2 ? 5e-2 : 1e-4; norm = 1e-4
            costFloor = 1e-7
        }
    }
}

/// -log softmax(logits)[label] per row, in Double, from the reference's logits.
func crossEntropyPerSample(logits: [Double], classes: Int, labels: [Int]) -> [Double] {
    labels.indices.map { b in
        let row = logits[(b * classes)..<((b + 1) * classes)]
        let top = row.max()!
        let logSum = Foundation.log(row.reduce(0) { $0 + Foundation.exp($1 - top) }) + top
        return logSum - row[row.startIndex + labels[b]]
    }
}

func replayTrajectory<T: TensorElement>(_ fixture: TrajectoryFixture, as type: T.Type) throws -> TrajectoryReport {
    var report = TrajectoryReport()
    let isDouble = T.self == Double.self
    let tol = TrajectoryTolerances(T.self, cells: fixture.network.cells)
    let network = fixture.network
    let root = try fixture.file.root.group(isDouble ? "float64" : "float32")
    func doubles(_ path: String) throws -> HDF5Array<Double> { try root.dataset(path).read(Double.self) }
    func tensor(_ path: String) throws -> Tensor<T> {
        let a = try doubles(path)
        return Tensor(shape: a.shape, scalars: a.values.map { T($0) })
    }
    func exists(_ path: String) -> Bool {
        let parts = path.split(separator: "/").map(String.init)
        var g = root
        for (i, p) in parts.enumerated() {
            guard (try? g.contains(p)) == true else { return false }
            if i < parts.count - 1 { guard let next = try? g.group(p) else { return false }; g = next }
        }
        return true
    }

    // Build, then load the initial state by name; names must match both ways.
    var rng = RNG(seed: 0)
    let net = Supernet<T>(config: network, rng: &rng)
    let fileParams = try root.group("initial/params").datasetNames().sorted()
    let ourParams = Set(net.parameters.names)
    for name in fileParams {
        guard ourParams.contains(name) else { report.fail("initial/params/\(name): no such parameter in the Swift supernet"); continue }
        let value = try tensor("initial/params/" + name)
        guard value.shape == net.parameters[name]!.shape else {
            report.fail("initial/params/\(name): shape \(value.shape), ours \(net.parameters[name]!.shape)")
            continue
        }
        net.parameters[name] = value
    }
    for name in ourParams.subtracting(fileParams).sorted() { report.fail("initial/params: the file lacks our parameter \(name)") }
    let fileBuffers = try root.group("initial/buffers").datasetNames().sorted()
    for name in fileBuffers where !net.parameters.setBuffer(name, try tensor("initial/buffers/" + name)) {
        report.fail("initial/buffers/\(name): no such buffer (or another shape) in the Swift supernet")
    }
    for name in Set(net.parameters.buffers.keys).subtracting(fileBuffers).sorted() {
        report.fail("initial/buffers: the file lacks our buffer \(name)")
    }
    guard report.failures.isEmpty else { return report }

    let domains = try network.edgeDomains()
    let initialAlpha = try doubles("initial/alpha")
    guard initialAlpha.shape == [domains.count, network.ops.count] else {
        report.fail("initial/alpha: shape \(initialAlpha.shape), expected [\(domains.count), \(network.ops.count)]")
        return report
    }
    let alpha0 = ArchitectureParameters(values: (0..<domains.count).map {
        Array(initialAlpha.values[($0 * network.ops.count)..<(($0 + 1) * network.ops.count)])
    }, domains: domains)

    // The code paths the runner's phases use.
    var strategy = DSNAS(config: fixture.search, alpha: alpha0)
    var sgd = SGD<T>(config: fixture.sgd)
    let tape = Tape<T>()
    let lr = fixture.sgd.learningRate(epoch: 0, of: fixture.epochs)

    for k in 0..<fixture.recordedSteps {
        let s = "step\(k)/"
        guard exists("step\(k)") else { report.fail("step \(k): the file has no group step\(k)"); break }
        let step = try root.group("step\(k)")
        let images = try tensor(s + "input")
        let labels = try root.dataset(s + "labels").read(Int.self).values
        let archOps = try root.dataset(s + "arch_ops").read(Int.self)
        guard archOps.shape == [network.edgeCount], archOps.values.allSatisfy({ (0..<network.ops.count).contains($0) }) else {
            report.fail("step \(k): unsupported trajectory: arch_ops of shape \(archOps.shape) = \(archOps.values) "
                        + "(expected one op index per edge, shared by all cells)")
            break
        }
        let choices = archOps.values.map { EdgeChoice.op($0) }

        // The step.
        let probe: StepProbe, thetaNorm: Double?, alphaGradient: [[Double]], alphaNorm: Double, alphaAfter: [[Double]]
        switch fixture.mode {
        case .search:
            let record = strategy.step(net: net, tape: tape, train: (images, labels), choices: choices, sgd: &sgd, lr: lr)
            (probe, thetaNorm) = (record.probe, record.thetaGradientNorm)
            (alphaGradient, alphaNorm) = (record.alphaGradient, record.alphaGradientNorm)
            alphaAfter = strategy.alpha.values
        case .theta:
            let record = net.trainThetaStep(tape: tape, batch: (images, labels),
                                            architecture: .shared(choices, cells: network.cells), sgd: &sgd, lr: lr,
                                            refreshRunningStatistics: fixture.search.refreshRunningStatistics)
            (probe, thetaNorm) = (record.probe, record.gradientNorm)
            alphaGradient = DSNAS.alphaGradient(alpha: alpha0, choices: choices, edgeCost: record.probe.edgeCost,
                                                rewardClip: fixture.search.rewardClip,
                                                weighting: fixture.search.rewardWeighting, noneIndex: net.noneIndex)
            alphaNorm = alphaGradient.joined().reduce(0) { $0 + $1 * $1 }.squareRoot()
            alphaAfter = alpha0.values
        }

        // Before the update: learning rate, loss, per-sample losses, edge costs, alpha gradient, norms.
        report.compare("lr", step: k, [lr], [try step.attribute("lr", as: Double.self)], rtol: 1e-12)
        let refLoss = try doubles(s + "loss").values
        report.compare("loss", step: k, [probe.loss], refLoss, rtol: tol.loss)
        let logits = try doubles(s + "logits")
        report.compare("per_sample_loss", step: k, probe.samples.loss,
                       crossEntropyPerSample(logits: logits.values, classes: network.numClasses, labels: labels),
                       rtol: tol.loss, scale: abs(refLoss[0]))
        let refCost = try doubles(s + "edge_cost")
        guard refCost.shape == [network.cells, network.edgeCount] else {
            report.fail("step \(k) edge_cost: shape \(refCost.shape), expected [\(network.cells), \(network.edgeCount)]")
            break
        }
        let edges = network.edgeCount
        let cellScale = (0..<network.cells).map { c in refCost.values[(c * edges)..<((c + 1) * edges)].map(abs).max() ?? 0 }
        for c in 0..<network.cells {
            let last = c == network.cells - 1
            report.compare(network.cells == 1 ? "edge_cost" : "edge_cost[cell \(c)]", step: k, probe.edgeCost[c],
                           Array(refCost.values[(c * edges)..<((c + 1) * edges)]),
                           rtol: last ? tol.gradient : tol.earlyCellCost, atol: tol.costFloor, scale: cellScale[c])
        }
        let alphaTolerance = network.cells > 2 ? tol.earlyCellCost : tol.gradient
        if exists(s + "alpha_grad") {
            report.compare("alpha_grad", step: k, alphaGradient.flatMap { $0 }, try doubles(s + "alpha_grad").values,
                           rtol: alphaTolerance, atol: tol.costFloor)
        } else if fixture.mode == .search {
            report.fail("step \(k): the file has no alpha_grad")
        }
        if try step.hasAttribute("alpha_grad_norm") {
            report.compare("alpha_grad_norm", step: k, [alphaNorm], [try step.attribute("alpha_grad_norm", as: Double.self)],
                           rtol: alphaTolerance, atol: tol.costFloor)
        }
        report.compare("theta_grad_norm", step: k, [thetaNorm ?? .nan],
                       [try step.attribute("theta_grad_norm", as: Double.self)], rtol: tol.norm)

        // After the update: every parameter, alpha, every buffer.
        let afterParams = try root.group(s + "after/params").datasetNames().sorted()
        if Set(afterParams) != ourParams {
            report.fail("step \(k) after/params: names differ from ours: "
                        + "\(Set(afterParams).symmetricDifference(ourParams).sorted().prefix(5))")
        }
        report.compareTensors("params", step: k, try afterParams.compactMap { name -> (name: String, ours: [Double], reference: [Double])? in
            guard let ours = net.parameters[name] else { return nil }
            return (name, ours.scalars.map(Double.init), try doubles(s + "after/params/" + name).values)
        }, rtol: tol.state)
        report.compareTensors("alpha", step: k, [("alpha", alphaAfter.flatMap { $0 }, try doubles(s + "after/alpha").values)],
                              rtol: tol.state)
        let buffers = net.parameters.buffers
        let afterBuffers = try root.group(s + "after/buffers").datasetNames().sorted()
        if Set(afterBuffers) != Set(buffers.keys) {
            report.fail("step \(k) after/buffers: names differ from ours: "
                        + "\(Set(afterBuffers).symmetricDifference(buffers.keys).sorted().prefix(5))")
        }
        let bufferPairs = try afterBuffers.compactMap { name -> (name: String, ours: [Double], reference: [Double])? in
            guard let ours = buffers[name] else { return nil }
            return (name, ours.scalars.map(Double.init), try doubles(s + "after/buffers/" + name).values)
        }
        // A running mean is measured in units of its norm's standard deviation, sqrt(running_var): the
        // mean of a near zero-mean activation has no relative precision of its own in float.
        var bufferScales: [String: Double] = [:]
        for (name, _, reference) in bufferPairs where name.hasSuffix(".running_var") {
            let mean = String(name.dropLast(".running_var".count)) + ".running_mean"
            bufferScales[mean] = reference.reduce(0) { $0 + abs($1) }.squareRoot()
        }
        report.compareTensors("buffers", step: k, bufferPairs, rtol: tol.state, scales: bufferScales)
    }
    return report
}

@Suite struct TrajectoryReplay {
    func trajectoryFiles() throws -> [String] {
        let folder = trajectoriesFolder()
        let files = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".h5") }.sorted()
        return files.map { folder + "/" + $0 }
    }

    @Test func trajectoriesArePresent() throws {
        #expect(try !trajectoryFiles().isEmpty, "no *.h5 trajectories in \(trajectoriesFolder())")
    }

    @Test(arguments: ["float32", "float64"])
    func replayEveryTrajectory(precision: String) throws {
        var failures: [String] = []
        for path in try trajectoryFiles() {
            let fixture: TrajectoryFixture
            do { fixture = try TrajectoryFixture(path: path) } catch {
                failures.append("\(error)")
                continue
            }
            let report = precision == "float32" ? try replayTrajectory(fixture, as: Float.self)
                : try replayTrajectory(fixture, as: Double.self)
            print("== \(fixture.label) [\(precision)] mode \(fixture.mode.rawValue), \(fixture.network.cells) cell(s), "
                  + "K = \(fixture.recordedSteps)")
            for line in report.lines { print("   " + line) }
            for quantity in report.order {
                let w = report.worst[quantity]!
                print(String(format: "   worst %-20@ %.3e at step %d (bound %.1e)", quantity as NSString, w.value, w.step,
                             w.bound))
            }
            failures += report.failures.map { "\(fixture.label) [\(precision)]: \($0)" }
        }
        for failure in failures { print("MISMATCH " + failure) }
        #expect(failures.isEmpty, "\(failures.count) mismatches; first: \(failures.first ?? "")")
    }
}
