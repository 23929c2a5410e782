// What the experiment layer needs to know about a search configuration, answered by its strategy
// type (`SearchAlgorithm.strategy`): whether a step reads a search batch, which level and order
// combinations it runs, and the network passes a step costs. The manifest checks, the runner and the
// planner ask these instead of testing which algorithm they have.
import WiringModel

/// One network pass of a search step, as the planner prices it.
public enum SearchPass: Hashable, Sendable {
    /// Forward and backward of one op per edge (a sampled child).
    case child
    /// Forward and backward of every allowed op of every edge (a mixture, or binary gates over all ops).
    case mixture
    /// A training-mode forward of every op of every edge that only sets the batch-norm running statistics.
    case statisticsRefresh
}

/// A setting that does not fit the algorithm, for the manifest to report at `key`.
public struct SearchSettingMisfit: Hashable, Sendable {
    /// The phase key (`level`, `order`).
    public var key: String
    /// What would fit, as "expected ...".
    public var expected: String
    /// The value given.
    public var got: String
}

extension SearchAlgorithm {
    /// The algorithms that run `level`, in declaration order.
    public static func running(_ level: SearchLevel) -> [SearchAlgorithm] {
        allCases.filter { $0.strategy.levels.contains(level) }
    }
}

extension SearchConfig {
    /// Whether a step reads a batch of the search half as well as the train batch.
    public var usesSearchBatch: Bool { level == .bi }

    /// The network passes one step computes.
    public var passesPerStep: [SearchPass] { algorithm.strategy.passes(self) }

    /// The first of `level` and `order` that the algorithm does not run, or nil when both fit.
    public var misfit: SearchSettingMisfit? {
        let strategy = algorithm.strategy
        if !strategy.levels.contains(level) {
            let runners = SearchAlgorithm.running(level).map(\.rawValue).joined(separator: " and ")
            let fitting = strategy.levels.map(\.rawValue).joined(separator: " or ")
            return SearchSettingMisfit(key: "level", expected: "expected \(fitting) for \(algorithm.rawValue) "
                                           + "(only \(runners) run \(level == .bi ? "bi" : "single")-level)",
                                       got: "'\(level.rawValue)'")
        }
        if order != .first && level != .bi {
            return SearchSettingMisfit(key: "order", expected: "expected first for a single-level search",
                                       got: "'\(order.rawValue)'")
        }
        if !strategy.orders.contains(order) {
            return SearchSettingMisfit(key: "order", expected: "expected first for \(algorithm.rawValue)",
                                       got: "'\(order.rawValue)'")
        }
        return nil
    }
}
