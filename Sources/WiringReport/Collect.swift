// WiringLab: presentation only (not part of the code version)
// A whole sweep as one dataset: `wiringlab collect` reads every result file of a results folder and
// writes one HDF5 file whose variables carry the sweep's grid point (`setting`) and, with replicates,
// the `seed` as extra leading, labelled dimensions, so that one `xr.open_dataset(...).sel(setting="a")`
// replaces the glue code. `wiringlab compare` tabulates one quantity over the same collection.
//
// Everything is stored as float64 with NaN where a value does not exist (a run that is missing or
// shorter than the longest, an op another run of the sweep does not have), so runs of different
// lengths and op lists line up; integer columns keep their values exactly (they are small).
import Foundation
import WiringResults
import WiringSpec
import WiringRun

/// The sweep file's `format` attribute and version.
public let sweepFormat = "wiringlab-sweep"
public let sweepFormatVersion = 1

/// The finished runs of one experiment, read from their result files.
public struct SweepCollection {
    /// One result file.
    public struct Run {
        public let path: String
        public let id: String
        public let name: String
        public let index: Int
        public let setting: String
        public let seed: Int?
        public let varying: [SweepIndexEntry.Axis]
        let created: String
    }

    /// One variable: its path, dimensions (without setting and seed), and each run's values with their shape.
    struct Variable {
        let path: String
        let dimensions: [String]
        var perRun: [Int: (shape: [Int], values: [Double], labels: [[String]?])] = [:]
    }

    public let experiment: String
    public let folder: String
    /// The runs in sweep order (setting by setting, seeds ascending).
    public let runs: [Run]
    /// The settings in order of their first run in the plan.
    public let settings: [String]
    /// The replicate seeds, empty when the sweep has none.
    public let seeds: [Int]
    /// The grid keys in manifest order.
    public let axisKeys: [String]
    /// Files left out, with why (a newer file of the same setting and seed replaces an older one).
    public let notes: [String]
    var variables: [Variable]
    /// For each label dimension, the union of the runs' labels in order of first appearance.
    var labels: [String: [String]]
    /// Each run's own op and phase names, which its index-valued columns point into.
    var ownLabels: [Int: [String: [String]]] = [:]

    /// Columns whose values are indices into a label dimension (`steps/edge_op` into `ops`): stacked runs
    /// may have different op lists, so these are rewritten to index the collection's union (negative codes stay).
    static let indexColumns: [String: String] = [
        "steps/edge_op": "ops", "search/topology": "ops", "search/topology_without_none": "ops", "search/strength_pick": "ops",
        "steps/phase": "phases", "search/phase": "phases", "summary/split_phase": "phases", "probe/phase": "phases",
    ]

    /// The groups collected: `samples` is left out (per-sample records are too large to stack).
    static let groups = ["summary", "steps", "checks", "search", "probe"]

    /// Reads the results of `folder` (every `*.h5` result file, or only those of `experiment`).
    /// - Throws: `CollectError` for an empty or mixed folder, `ResultsError` for an unreadable file.
    public init(folder: URL, experiment wanted: String? = nil) throws {
        let fm = FileManager.default
        var isFolder: ObjCBool = false
        guard fm.fileExists(atPath: folder.path, isDirectory: &isFolder), isFolder.boolValue else {
            throw CollectError(message: "\(folder.path): no such results folder")
        }
        let names = try fm.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".h5") }.sorted()
        var found: [Run] = []
        var experiments: Set<String> = []
        for name in names {
            let path = folder.appendingPathComponent(name).path
            let file = try HDF5File(reading: path)
            defer { file.close() }
            let root = file.root
            guard try root.hasAttribute("format"), try root.stringAttribute("format") == "wiringlab-results" else { continue }
            let experiment = try root.stringAttribute("experiment")
            if let wanted, experiment != wanted { continue }
            experiments.insert(experiment)
            let runName = try root.stringAttribute("run_name")
            var varying: [SweepIndexEntry.Axis] = []
            if try root.hasAttribute("varying") {
                varying = try JSONDecoder().decode([SweepIndexEntry.Axis].self,
                                                   from: Data(try root.stringAttribute("varying").utf8))
            }
            let seed = varying.first { $0.key == "seed" }.flatMap { axis -> Int? in
                if case let .int(s) = axis.value { return s } else { return nil }
            }
            // Format 1 files do not say what varies: each is its own setting, named by its run name.
            let setting = try root.hasAttribute("varying")
                ? settingName(varying.map { ($0.key, $0.label ?? $0.value.plain) }, experiment: experiment) : runName
            let index = try root.hasAttribute("run_index") ? try root.attribute("run_index", as: Int.self) : found.count
            found.append(Run(path: path, id: try root.stringAttribute("run_id"), name: runName, index: index,
                             setting: setting, seed: seed, varying: varying,
                             created: (try? root.stringAttribute("created")) ?? ""))
        }
        guard !found.isEmpty else {
            throw CollectError(message: "\(folder.path): no result files\(wanted.map { " of experiment '\($0)'" } ?? "") "
                + "(run the sweep with `wiringlab run` first)")
        }
        guard experiments.count == 1, let experiment = experiments.first else {
            throw CollectError(message: "\(folder.path): result files of several experiments (\(experiments.sorted().joined(separator: ", "))); "
                + "collect a manifest instead, which picks its own")
        }

        // One file per (setting, seed): a newer file (a rerun with another code version) replaces an older one.
        var chosen: [String: Run] = [:]
        var notes: [String] = []
        for run in found {
            let key = "\(run.setting)\u{0}\(run.seed.map(String.init) ?? "")"
            if let other = chosen[key] {
                let (keep, drop) = other.created >= run.created ? (other, run) : (run, other)
                chosen[key] = keep
                notes.append("\(drop.id) (\(drop.name)) left out: \(keep.id) is a newer result of the same setting")
            } else {
                chosen[key] = run
            }
        }
        let runs = chosen.values.sorted { ($0.index, $0.seed ?? 0, $0.id) < ($1.index, $1.seed ?? 0, $1.id) }
        var settings: [String] = []
        for run in runs where !settings.contains(run.setting) { settings.append(run.setting) }
        self.experiment = experiment
        self.folder = folder.path
        self.settings = settings
        self.runs = runs.sorted {
            (settings.firstIndex(of: $0.setting)!, $0.seed ?? 0) < (settings.firstIndex(of: $1.setting)!, $1.seed ?? 0)
        }
        self.seeds = Array(Set(runs.compactMap(\.seed))).sorted()
        var keys: [String] = []
        for run in runs { for axis in run.varying where axis.key != "seed" && !keys.contains(axis.key) { keys.append(axis.key) } }
        self.axisKeys = keys
        self.notes = notes
        (variables, labels) = try Self.readVariables(self.runs)
        for (r, run) in self.runs.enumerated() {
            let file = try HDF5File(reading: run.path)
            defer { file.close() }
            var own: [String: [String]] = [:]
            for name in ["ops", "phases"] where try file.root.contains(name) {
                own[name] = try file.root.dataset(name).readStrings().values
            }
            ownLabels[r] = own
        }
    }

    /// Reads every dataset of the collected groups of every run.
    private static func readVariables(_ runs: [Run]) throws -> ([Variable], [String: [String]]) {
        var variables: [Variable] = []
        var labels: [String: [String]] = [:]
        for (r, run) in runs.enumerated() {
            let file = try HDF5File(reading: run.path)
            defer { file.close() }
            for groupName in groups where try file.root.contains(groupName) {
                let group = try file.root.group(groupName)
                for name in try group.datasetNames() {
                    let dataset = try group.dataset(name)
                    if try dataset.isDimensionScale { continue }
                    let dims = try dataset.dimensionLabels()
                    let shape = try dataset.shape
                    // Label dimensions: a string scale of that name in the group or (format 1) at the root.
                    let axisLabels: [[String]?] = try dims.map { dim in
                        for home in [group, file.root] where try home.contains(dim) {
                            let scale = try home.dataset(dim)
                            if case .string = try scale.storedType { return try scale.readStrings().values }
                        }
                        return nil
                    }
                    for (dim, values) in zip(dims, axisLabels) {
                        guard let values else { continue }
                        var union = labels[dim] ?? []
                        for v in values where !union.contains(v) { union.append(v) }
                        labels[dim] = union
                    }
                    let path = "\(groupName)/\(name)"
                    var index = variables.firstIndex { $0.path == path }
                    if index == nil {
                        variables.append(Variable(path: path, dimensions: dims))
                        index = variables.count - 1
                    }
                    guard variables[index!].dimensions == dims else {
                        throw CollectError(message: "\(run.path): /\(path) has dimensions \(dims), other runs \(variables[index!].dimensions)")
                    }
                    variables[index!].perRun[r] = (shape, try dataset.read(Double.self).values, axisLabels)
                }
            }
        }
        return (variables, labels)
    }

    /// The position of `run` along (setting, seed).
    func position(of run: Run) -> (setting: Int, seed: Int?) {
        (settings.firstIndex(of: run.setting)!, run.seed.flatMap { seeds.firstIndex(of: $0) })
    }

    /// The length of each dimension of `variable` in the collection: the union of labels, or the longest run.
    func extent(_ variable: Variable) -> [Int] {
        variable.dimensions.enumerated().map { axis, dim in
            labels[dim]?.count ?? variable.perRun.values.map { $0.shape[axis] }.max() ?? 0
        }
    }

    /// `variable` stacked over (setting, [seed,] dims...), NaN where a run has no value.
    func stacked(_ variable: Variable) -> (shape: [Int], values: [Double]) {
        let inner = extent(variable)
        let outer = seeds.isEmpty ? [settings.count] : [settings.count, seeds.count]
        let innerCount = inner.reduce(1, *)
        var values = [Double](repeating: .nan, count: outer.reduce(1, *) * innerCount)
        for (r, run) in runs.enumerated() {
            guard let own = variable.perRun[r] else { continue }
            let (s, seed) = position(of: run)
            let base = (seeds.isEmpty ? s : s * seeds.count + (seed ?? 0)) * innerCount
            // Each axis maps the run's index to the collection's: by label, or unchanged (a prefix).
            let maps: [[Int]] = variable.dimensions.enumerated().map { axis, dim in
                if let own = own.labels[axis], let union = labels[dim] { return own.map { union.firstIndex(of: $0)! } }
                return Array(0..<own.shape[axis])
            }
            // Index-valued columns: the run's index -> the union's index.
            let indexMap: [Int]? = Self.indexColumns[variable.path].flatMap { dim in
                guard let mine = ownLabels[r]?[dim], let union = labels[dim] else { return nil }
                return mine.map { union.firstIndex(of: $0) ?? -9 }
            }
            for flat in 0..<own.values.count {
                var rest = flat, target = 0, scale = 1
                for axis in stride(from: inner.count - 1, through: 0, by: -1) {
                    let i = rest % own.shape[axis]
                    rest /= own.shape[axis]
                    target += maps[axis][i] * scale
                    scale *= inner[axis]
                }
                var value = own.values[flat]
                if let indexMap, value >= 0, Int(value) < indexMap.count { value = Double(indexMap[Int(value)]) }
                values[base + target] = value
            }
        }
        return (outer + inner, values)
    }

    /// The values of `path` for one run, with its own shape, or nil when the run lacks it.
    func values(_ path: String, run r: Int) -> (shape: [Int], values: [Double], labels: [[String]?])? {
        variables.first { $0.path == path }?.perRun[r]
    }
}

/// A problem with what `collect` or `compare` was given (one line, exit 2).
public struct CollectError: Error, InvalidInput {
    public let message: String
    public init(message: String) { self.message = message }
    public var description: String { message }
}

extension JSONValue {
    /// The value as a run name shows it: strings bare, everything else as JSON.
    var plain: String {
        if case let .string(s) = self { return s }
        return jsonText
    }
}

// MARK: - Writing the sweep file

extension SweepCollection {
    /// The coordinate variables naming each setting's value of each grid key, e.g. `norm_kind`; a name that
    /// clashes with a dimension of the file gets `_value` appended.
    var axisCoordinateNames: [String: String] {
        let short = Manifest.shortNames(axisKeys)
        let taken = Set(variables.flatMap(\.dimensions) + ["setting", "seed", "run_id", "run_name"])
        var result: [String: String] = [:]
        for key in axisKeys {
            var name = (short[key] ?? key).replacingOccurrences(of: ".", with: "_")
            if taken.contains(name) { name += "_value" }
            result[key] = name
        }
        return result
    }

    /// Each setting's shown value of `key` ("" where the setting does not vary it).
    func axisValues(_ key: String) -> [String] {
        settings.map { setting in
            guard let run = runs.first(where: { $0.setting == setting }),
                  let axis = run.varying.first(where: { $0.key == key }) else { return "" }
            return axis.label ?? axis.value.plain
        }
    }

    /// Writes the sweep file to `path` (atomically, like result files).
    public func write(to path: String) throws {
        try HDF5File.write(to: path, fill)
    }

    private func fill(_ root: HDF5Group) throws {
        let outer = seeds.isEmpty ? ["setting"] : ["setting", "seed"]
        let coordinateNames = axisCoordinateNames
        let descriptions = Dictionary(
            StepLog.columns.map { ($0.path, ($0.units, plainText($0.doc))) }
                + SearchLog.columns.map { ($0.path, ($0.units, plainText($0.doc))) }
                + ProbeLog.columns.map { ($0.path, ($0.units, plainText($0.doc))) }
                + SummaryColumns.all.map { ("summary/\($0.name)", ($0.units, $0.longName)) },
            uniquingKeysWith: { a, _ in a })

        // Per group: the sweep's own scales and coordinates, the label scales, then the stacked variables.
        func prepare(_ group: HDF5Group) throws {
            let setting = try group.createDimensionScale("setting", labels: settings)
            try setting.setAttribute("long_name", ScaleNames.longName("setting"))
            if !seeds.isEmpty {
                let seed = try group.createDimensionScale("seed", values: seeds.map(Int64.init))
                try describe(seed, units: "1", longName: ScaleNames.longName("seed"))
            }
            for key in axisKeys {
                let coordinate = try group.write(coordinateNames[key]!, strings: axisValues(key), dimensions: ["setting"])
                try coordinate.setAttribute("long_name", "grid key \(key) (label or value)")
            }
            let ids = runIdentifiers(\.id), names = runIdentifiers(\.name)
            try group.write("run_id", strings: ids, shape: seeds.isEmpty ? [settings.count] : [settings.count, seeds.count],
                            dimensions: outer).setAttribute("long_name", "run id (the result file name), \"\" if missing")
            try group.write("run_name", strings: names, shape: seeds.isEmpty ? [settings.count] : [settings.count, seeds.count],
                            dimensions: outer).setAttribute("long_name", "run name")
        }
        try prepare(root)
        // The root holds every label scale too (`/ops` is the union of the runs' op lists), as in run files.
        for (dim, values) in labels.sorted(by: { $0.key < $1.key }) {
            try root.createDimensionScale(dim, labels: values).setAttribute("long_name", ScaleNames.longName(dim))
        }
        let coordinates = (axisKeys.compactMap { coordinateNames[$0] } + ["run_id", "run_name"]).joined(separator: " ")
        for groupName in Self.groups {
            let members = variables.filter { $0.path.hasPrefix(groupName + "/") }
            guard !members.isEmpty else { continue }
            let group = try root.createGroup(groupName)
            try prepare(group)
            for dim in Set(members.flatMap(\.dimensions)) where labels[dim] != nil {
                try group.createDimensionScale(dim, labels: labels[dim]!).setAttribute("long_name", ScaleNames.longName(dim))
            }
            for variable in members {
                let (shape, values) = stacked(variable)
                let dataset = try root.write(variable.path, values, shape: shape, dimensions: outer + variable.dimensions)
                let (units, longName) = descriptions[variable.path] ?? ("", variable.path)
                try describe(dataset, units: units, longName: longName)
                try dataset.setAttribute("coordinates", coordinates)
            }
        }
        try describeScales(root)
        try root.setAttribute("format", sweepFormat)
        try root.setAttribute("format_version", Int64(sweepFormatVersion))
        try root.setAttribute("experiment", experiment)
        try root.setAttribute("folder", folder)
        if !axisKeys.isEmpty { try root.setAttribute("grid_keys", axisKeys) }
        try root.setAttribute("created", ISO8601DateFormatter().string(from: Date()))
    }

    /// `property` of the run at each (setting, seed), "" where none.
    private func runIdentifiers(_ property: KeyPath<Run, String>) -> [String] {
        var result = [String](repeating: "", count: settings.count * max(1, seeds.count))
        for run in runs {
            let (s, seed) = position(of: run)
            result[seeds.isEmpty ? s : s * seeds.count + (seed ?? 0)] = run[keyPath: property]
        }
        return result
    }
}

// MARK: - What to collect

extension SweepCollection {
    /// The runs of `source`: a results folder, or a manifest whose results folder (`resultsFolder`, else
    /// `results/<name>/`) holds them; with a manifest only files of its experiment are read.
    /// - Throws: `CollectError` when `source` is neither, `ManifestError` for a bad manifest.
    public init(source: String, resultsFolder: String? = nil, overrides: [String] = []) throws {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: source, isDirectory: &isFolder) else {
            throw CollectError(message: "\(source): no such results folder or manifest")
        }
        if isFolder.boolValue {
            try self.init(folder: URL(fileURLWithPath: resultsFolder ?? source, isDirectory: true))
            return
        }
        guard source.hasSuffix(".yaml") || source.hasSuffix(".yml") else {
            throw CollectError(message: "\(source): expected a results folder or a manifest (.yaml), got a file")
        }
        // Run ids do not matter here (files are matched by experiment), so no code version is needed.
        let plan = try Manifest.load(contentsOf: source, overrides: overrides).plan(codeVersion: "unknown")
        let folder = resultsFolder.map { URL(fileURLWithPath: $0, isDirectory: true) } ?? plan.defaultResultsFolder
        try self.init(folder: folder, experiment: plan.name)
    }

    /// Where `collect` writes by default: `<folder>-sweep.h5` beside the results folder (not inside it, where
    /// it would be taken for a run).
    public var defaultOutputPath: String {
        let url = URL(fileURLWithPath: folder, isDirectory: true).standardizedFileURL
        return url.deletingLastPathComponent().appendingPathComponent(url.lastPathComponent + "-sweep.h5").path
    }

    /// One line per setting: its runs and seeds.
    public var listing: String {
        let lines = settings.map { setting -> String in
            let own = runs.filter { $0.setting == setting }
            let seeds = own.compactMap(\.seed)
            return "  \(setting): \(own.map(\.id).joined(separator: " "))" + (seeds.isEmpty ? "" : " (seeds \(seeds.map(String.init).joined(separator: ", ")))")
        }
        return (["\(experiment): \(runs.count) runs, \(settings.count) settings" + (seeds.isEmpty ? "" : " x \(seeds.count) seeds")]
                + lines + notes.map { "  note: \($0)" }).joined(separator: "\n") + "\n"
    }
}
