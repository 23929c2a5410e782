// Reads one golden fixture group written by the authors' PyTorch code (fixtures README section 2)
// and turns its `config` attributes into a NetworkConfig. Nothing about a particular case is
// hard-coded: cells, steps, multiplier, channels, op order, norms and the architecture all come
// from the file. Anything the supernet cannot express is reported as unsupported, never skipped.
import Foundation
import WiringEngine
import WiringModel
import WiringResults

/// The fixtures folder: `WIRINGLAB_FIXTURES`, else the copy shipped in Tests/Fixtures/reference.
func fixturesFolder() -> String {
    if let env = ProcessInfo.processInfo.environment["WIRINGLAB_FIXTURES"], !env.isEmpty { return env }
    return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/reference").path
}

struct UnsupportedFixture: Error, CustomStringConvertible {
    var description: String
}

/// One fixture group (`/` or `/archN`) of a fixture file.
struct ReferenceFixture {
    let file: HDF5File
    let group: HDF5Group
    let label: String
    let config: NetworkConfig
    let isMixture: Bool
    let batch: Int

    /// Every fixture group in `path`: the root when it has `config`, otherwise each subgroup that has one.
    static func groups(in path: String) throws -> [ReferenceFixture] {
        let file = try HDF5File(reading: path)
        let name = URL(fileURLWithPath: path).lastPathComponent
        if try file.root.contains("config") { return [try ReferenceFixture(file: file, group: file.root, label: name)] }
        let groups = try file.root.groupNames().filter { try file.root.group($0).contains("config") }.sorted()
        guard !groups.isEmpty else { throw UnsupportedFixture(description: "\(name): no group with a `config`") }
        return try groups.map { try ReferenceFixture(file: file, group: file.root.group($0), label: "\(name)/\($0)") }
    }

    init(file: HDF5File, group: HDF5Group, label: String) throws {
        self.file = file
        self.group = group
        self.label = label
        let attrs = try group.group("config")
        func int(_ key: String) throws -> Int { try attrs.attribute(key, as: Int.self) }
        func flag(_ key: String) throws -> Bool { try int(key) != 0 }
        func unsupported(_ what: String) -> UnsupportedFixture {
            UnsupportedFixture(description: "\(label): unsupported fixture: \(what)")
        }

        if try attrs.hasAttribute("reduction_cells"), try int("reduction_cells") != 0 {
            throw unsupported("reduction_cells = \(try int("reduction_cells"))")
        }
        if try attrs.hasAttribute("drop_path_prob"), try attrs.attribute("drop_path_prob", as: Double.self) != 0 {
            throw unsupported("drop_path_prob != 0")
        }
        if try attrs.hasAttribute("bn_mode"), !(try attrs.stringAttribute("bn_mode")).hasPrefix("training") {
            throw unsupported("bn_mode '\(try attrs.stringAttribute("bn_mode"))'")
        }
        var config = NetworkConfig()
        config.cells = try int("cells")
        config.steps = try int("steps")
        config.multiplier = try int("multiplier")
        config.channels = try int("C")
        config.numClasses = try int("num_classes")
        let stemChannels = try int("stem_channels")
        guard stemChannels % config.channels == 0 else { throw unsupported("stem_channels \(stemChannels)") }
        config.stemMultiplier = stemChannels / config.channels
        config.inputChannels = try group.dataset("input").shape[1]
        let opNames = try attrs.stringsAttribute("op_names")
        config.ops = try opNames.map { name in
            guard let op = OpKind(rawValue: name) else { throw unsupported("op '\(name)'") }
            return op
        }
        let eps = try attrs.attribute("bn_eps", as: Double.self)
        let momentum = try attrs.attribute("bn_momentum", as: Double.self)
        config.opNorm = NormConfig(kind: .batch, affine: try flag("bn_affine_ops"), eps: eps, momentum: momentum)
        if try attrs.hasAttribute("bn_affine_pool_bn"), try flag("bn_affine_pool_bn") != config.opNorm.affine {
            throw unsupported("pool norm affine differs from the ops' norm")
        }
        config.preprocessNorm = NormConfig(kind: .batch, affine: try flag("bn_affine_preprocess"), eps: eps,
                                           momentum: momentum)
        config.stemNorm = NormConfig(kind: .batch, affine: try flag("bn_affine_stem"), eps: eps, momentum: momentum)
        config.classifierBias = try flag("classifier_bias")
        let arch = try group.dataset("arch_ops").read(Int.self).values
        isMixture = arch.allSatisfy { $0 < 0 }
        // DARTS spells pool norms `._ops.<o>.1`; its files are the mixture ones (method attribute says which).
        let method = (try? attrs.stringAttribute("method")) ?? ""
        config.naming = method.uppercased().hasPrefix("DARTS") || isMixture ? .darts : .dsnas
        self.config = config
        batch = try group.dataset("input").shape[0]
    }

    // MARK: - Reading

    func tensor<T: TensorElement>(_ path: String, as: T.Type = T.self) throws -> Tensor<T> {
        let array = try group.dataset(path).read(Double.self)
        return Tensor(shape: array.shape, scalars: array.values.map { T($0) })
    }

    func doubles(_ path: String) throws -> HDF5Array<Double> { try group.dataset(path).read(Double.self) }

    func has(_ path: String) -> Bool {
        let parts = path.split(separator: "/").map(String.init)
        var g = group
        for (i, p) in parts.enumerated() {
            guard (try? g.contains(p)) == true else { return false }
            if i < parts.count - 1 { guard let next = try? g.group(p) else { return false }; g = next }
        }
        return true
    }

    func names(in subgroup: String) throws -> [String] { try group.group(subgroup).datasetNames().sorted() }

    func labels() throws -> [Int] { try group.dataset("labels").read(Int.self).values }

    /// The architecture stored in the file: one-hot op indices shared by all cells, or the mixing weights.
    func architecture() throws -> Architecture {
        let edges = config.edgeCount
        if isMixture {
            let w = try has("outputs/mixing_weights") ? doubles("outputs/mixing_weights") : doubles("arch")
            let perCell = w.shape.count == 3
            let attrs = try group.group("config")
            let noSkipOnE4 = try attrs.hasAttribute("fix_edge4_noskip") && attrs.attribute("fix_edge4_noskip", as: Int.self) != 0
            let ops = config.ops.count
            return Architecture(choices: (0..<config.cells).map { c in
                (0..<edges).map { e in
                    let base = (perCell ? c * edges * ops : 0) + e * ops
                    let weights = Array(w.values[base..<(base + ops)])
                    var active = Array(repeating: true, count: ops)
                    if noSkipOnE4 && e == 4, let skip = config.ops.firstIndex(of: .skipConnect) { active[skip] = false }
                    return .mixture(Mixture(weights: weights, active: active))
                }
            })
        }
        let ops = try group.dataset("arch_ops").read(Int.self)
        let choices = ops.values.map { EdgeChoice.op($0) }
        if ops.shape.count == 2 {
            return Architecture(choices: (0..<config.cells).map { Array(choices[($0 * edges)..<(($0 + 1) * edges)]) })
        }
        return .shared(choices, cells: config.cells)
    }
}
