// WiringLab: presentation only (not part of the code version)
// `wiringlab compare`: one quantity of every setting of a collected sweep, phase by phase, with
// standard errors (over seeds when the sweep has replicates, else the run's own), as a text table
// that fits 100 columns, CSV or JSON.
import Foundation

/// What `compare` tabulates.
public enum CompareQuantity: String, CaseIterable, Sendable {
    /// Mean over cells, edges and sampled ops other than none of `summary/cost_mean` (the paper's mean edge cost).
    case cost
    /// Means over the steps of each phase's last epoch of `steps/<name>`.
    case loss, accuracy, entropy
    case costZ = "cost_Z"

    /// What the values are, and how they are computed (each line well under 100 columns).
    var title: String {
        switch self {
        case .cost: return "mean edge cost (nats)"
        case .loss: return "loss (nats)"
        case .accuracy: return "accuracy"
        case .entropy: return "entropy (nats)"
        case .costZ: return "network cost C_Z (nats)"
        }
    }

    var method: String {
        self == .cost ? "summary/cost_mean averaged over cells, edges and the sampled ops other than none"
            : "mean of steps/\(rawValue) over the steps of the last epoch of each phase"
    }

    var description: String { "\(title): \(method)" }
}

/// One cell of the comparison.
public struct ComparisonEntry: Codable, Equatable, Sendable {
    public let setting: String
    public let phase: String
    /// nil where no run of the setting has the phase.
    public let mean: Double?
    public let sem: Double?
    /// Runs behind the value (seeds).
    public let runs: Int
}

/// A quantity over the settings and phases of a sweep.
public struct SweepComparison: Sendable {
    public let experiment: String
    public let quantity: CompareQuantity
    public let settings: [String]
    public let phases: [String]
    public let entries: [ComparisonEntry]
    public let seeds: Int

    /// Tabulates `quantity` over `collection`.
    public init(_ collection: SweepCollection, quantity: CompareQuantity) {
        experiment = collection.experiment
        self.quantity = quantity
        settings = collection.settings
        phases = collection.labels["phases"] ?? []
        seeds = collection.seeds.count
        var entries: [ComparisonEntry] = []
        for setting in settings {
            let runs = collection.runs.indices.filter { collection.runs[$0].setting == setting }
            for phase in phases {
                let values = runs.compactMap { Self.value(collection, run: $0, phase: phase, quantity: quantity) }
                entries.append(Self.combine(values, setting: setting, phase: phase))
            }
        }
        self.entries = entries
    }

    /// One run's (mean, standard error) of the quantity in `phase`, nil if the run lacks the phase.
    static func value(_ c: SweepCollection, run r: Int, phase: String, quantity: CompareQuantity) -> (Double, Double)? {
        guard let mean = c.values("summary/cost_mean", run: r), let phases = mean.labels[0],
              let p = phases.firstIndex(of: phase) else { return nil }
        if quantity == .cost {
            guard let sem = c.values("summary/cost_sem", run: r), let count = c.values("summary/cost_count", run: r),
                  let ops = mean.labels[3] else { return nil }
            let perPhase = mean.values.count / mean.shape[0], opCount = mean.shape[3]
            var sum = 0.0, variance = 0.0, n = 0
            for i in (p * perPhase)..<((p + 1) * perPhase) where count.values[i] > 0 && ops[i % opCount] != "none" {
                sum += mean.values[i]
                variance += sem.values[i] * sem.values[i]
                n += 1
            }
            return n == 0 ? nil : (sum / Double(n), variance.squareRoot() / Double(n))
        }
        guard let values = c.values("steps/\(quantity.rawValue)", run: r), let stepPhase = c.values("steps/phase", run: r),
              let stepEpoch = c.values("steps/epoch", run: r) else { return nil }
        let inPhase = stepPhase.values.indices.filter { Int(stepPhase.values[$0]) == p }
        guard let last = inPhase.map({ stepEpoch.values[$0] }).max() else { return nil }
        let chosen = inPhase.filter { stepEpoch.values[$0] == last }.map { values.values[$0] }
        return meanAndError(chosen)
    }

    /// Across runs: the mean of the run means with their standard error; one run keeps its own error.
    static func combine(_ values: [(Double, Double)], setting: String, phase: String) -> ComparisonEntry {
        switch values.count {
        case 0: return ComparisonEntry(setting: setting, phase: phase, mean: nil, sem: nil, runs: 0)
        case 1: return ComparisonEntry(setting: setting, phase: phase, mean: values[0].0, sem: values[0].1, runs: 1)
        default:
            let (mean, sem) = meanAndError(values.map(\.0))
            return ComparisonEntry(setting: setting, phase: phase, mean: mean, sem: sem, runs: values.count)
        }
    }

    /// The mean and its standard error (sample std / √n; 0 below two values).
    static func meanAndError(_ values: [Double]) -> (Double, Double) {
        let n = Double(values.count)
        let mean = values.reduce(0, +) / n
        guard values.count > 1 else { return (mean, 0) }
        let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (n - 1)
        return (mean, (variance / n).squareRoot())
    }

    func entry(_ setting: String, _ phase: String) -> ComparisonEntry? {
        entries.first { $0.setting == setting && $0.phase == phase }
    }

    /// The table as text, at most `width` columns wide: phases that do not fit go to a further block.
    public func text(width: Int = 100) -> String {
        let cellWidth = 22
        let settingWidth = min(24, max(7, settings.map(\.count).max() ?? 7))
        let perBlock = max(1, (width - settingWidth) / cellWidth)
        func fit(_ s: String, _ n: Int) -> String {
            s.count <= n ? s.padding(toLength: n, withPad: " ", startingAt: 0) : String(s.prefix(n - 1)) + "…"
        }
        func pad(_ s: String, _ n: Int) -> String { String(repeating: " ", count: max(0, n - s.count)) + s }
        var lines = ["\(experiment): \(quantity.title)", quantity.method,
                     seeds > 1 ? "± standard error over \(seeds) seeds" : "± standard error of the run's own estimate"]
        for start in stride(from: 0, to: phases.count, by: perBlock) {
            let block = Array(phases[start..<min(phases.count, start + perBlock)])
            lines.append("")
            lines.append(fit("setting", settingWidth) + block.map { pad(String($0.prefix(cellWidth - 2)), cellWidth) }.joined())
            for setting in settings {
                let cells = block.map { phase -> String in
                    guard let e = entry(setting, phase), let mean = e.mean else { return pad("—", cellWidth) }
                    let text = String(format: "%.3e ± %.1e", ValueFormat.cleaned(mean), e.sem ?? 0)
                    return pad(text, cellWidth)
                }
                lines.append(fit(setting, settingWidth) + cells.joined())
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// One row per (setting, phase): `setting,phase,mean,sem,runs`.
    public var csv: String {
        func quoted(_ s: String) -> String {
            s.contains(",") || s.contains("\"") ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
        }
        let rows = entries.map { e in
            [quoted(e.setting), quoted(e.phase), e.mean.map { "\($0)" } ?? "", e.sem.map { "\($0)" } ?? "", "\(e.runs)"]
                .joined(separator: ",")
        }
        return (["setting,phase,mean,sem,runs"] + rows).joined(separator: "\n") + "\n"
    }

    /// `{"experiment", "quantity", "entries": [...]}`.
    public func json() throws -> String {
        struct Document: Encodable {
            let experiment: String, quantity: String, description: String, entries: [ComparisonEntry]
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(Document(experiment: experiment, quantity: quantity.rawValue,
                                               description: quantity.description, entries: entries))
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}

/// How printed values treat float noise.
enum ValueFormat {
    /// Values this small are float noise around an exact zero (costs are sums of products of O(1) values).
    static let noise = 1e-12

    /// `value`, or 0 when it is within float noise of zero (so `-3.1e-17` prints as `0.000e+00`).
    static func cleaned(_ value: Double) -> Double { abs(value) < noise ? 0 : value }
}
