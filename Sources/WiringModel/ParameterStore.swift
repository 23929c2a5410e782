// Named parameters and buffers of a network, keyed by the reference's PyTorch state_dict names
// (fixtures README section 3), so that weights can be exchanged with the reference both ways.
import WiringEngine

/// The trainable tensors (theta) and the normalisation running statistics of a network.
public struct ParameterStore<T: TensorElement> {
    /// Parameter names in creation order (the order the initialiser drew them, and optimisers visit them).
    public private(set) var names: [String] = []
    public private(set) var values: [String: Tensor<T>] = [:]
    /// Running statistics of batch norms, keyed by the module prefix (`stem.1`); their state_dict
    /// names are `<prefix>.running_mean` and `<prefix>.running_var`.
    public var runningStatistics: [String: RunningStatistics<T>] = [:]
    /// Module prefixes of the running statistics, in creation order.
    public private(set) var statisticsNames: [String] = []

    public init() {}

    /// Adds a parameter. - Precondition: the name is new.
    public mutating func add(_ name: String, _ value: Tensor<T>) {
        precondition(values[name] == nil, "ParameterStore: duplicate parameter \(name)")
        names.append(name)
        values[name] = value
    }

    /// Adds the running statistics of a batch norm (mean 0, variance 1).
    public mutating func addStatistics(_ prefix: String, channels: Int) {
        precondition(runningStatistics[prefix] == nil, "ParameterStore: duplicate buffer \(prefix)")
        statisticsNames.append(prefix)
        runningStatistics[prefix] = RunningStatistics(channels: channels)
    }

    public subscript(name: String) -> Tensor<T>? {
        get { values[name] }
        set {
            precondition(values[name] != nil && newValue != nil && newValue!.shape == values[name]!.shape,
                         "ParameterStore: cannot replace \(name) with a tensor of another shape")
            values[name] = newValue
        }
    }

    /// Every buffer under its state_dict name (`…running_mean`, `…running_var`).
    public var buffers: [String: Tensor<T>] {
        var result: [String: Tensor<T>] = [:]
        for (prefix, stats) in runningStatistics {
            result[prefix + ".running_mean"] = stats.mean
            result[prefix + ".running_var"] = stats.variance
        }
        return result
    }

    /// Sets a buffer by its state_dict name. Returns false when the name is unknown.
    @discardableResult
    public mutating func setBuffer(_ name: String, _ value: Tensor<T>) -> Bool {
        for (suffix, isMean) in [(".running_mean", true), (".running_var", false)] where name.hasSuffix(suffix) {
            let prefix = String(name.dropLast(suffix.count))
            guard var stats = runningStatistics[prefix], stats.mean.shape == value.shape else { return false }
            if isMean { stats.mean = value } else { stats.variance = value }
            runningStatistics[prefix] = stats
            return true
        }
        return false
    }

    /// Total number of scalars in the parameters.
    public var parameterCount: Int { values.values.reduce(0) { $0 + $1.count } }
}
