// WiringLab: presentation only (not part of the code version)
// A rough upper estimate of a run's memory, from the configuration alone, so that validation can refuse
// a manifest whose network could never be allocated (one line naming the key) instead of aborting in
// the allocator half way through a sweep.
import WiringModel

/// Memory a run needs, in bytes.
struct MemoryEstimate {
    /// The largest activation of a step: the batch through the widest layer (stem output or cell output).
    var largestTensor: Double
    /// The parameters, with their gradient and momentum.
    var parameters: Double
    /// Learnable values of the network.
    var parameterCount: Double

    init(_ config: RunConfig) {
        let n = config.network
        let bytes = config.precision == .float32 ? 4.0 : 8.0
        let pixels = Double(config.data.imageSize * config.data.imageSize)
        let batch = Double(config.data.batchSize)
        let widest = Double(max(n.stemMultiplier, n.multiplier) * n.channels)
        largestTensor = batch * widest * pixels * bytes
        // Checked before NetworkLayout is built: the channel and cell bounds keep these products small.
        let layout = NetworkLayout(config: n)
        parameterCount = Double(layout.parameterCount)
        parameters = 3 * parameterCount * bytes
    }
}
