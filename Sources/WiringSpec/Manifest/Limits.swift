// The bounds of every number a manifest feeds into arithmetic or allocation. Each is far above any
// experiment of the paper and low enough that nothing computed from them overflows an Int or asks the
// machine for more memory than it can have, so no manifest can trap or abort: it gets one line instead.

enum Limits {
    /// Seeds, so that seed + replicates stays exact in JSON (2^53).
    static let seed = 1 << 53
    /// Replicates of one grid point.
    static let replicates = 10_000
    /// Runs one manifest may expand to.
    static let runs = 100_000
    /// Images of a data set or subset.
    static let images = 10_000_000
    static let batchSize = 65_536
    static let imageSize = 1024
    static let imageChannels = 64
    static let classes = 100_000
    static let cells = 64
    static let channels = 4096
    static let stemMultiplier = 64
    static let epochs = 1_000_000
    static let batches = 1_000_000_000
    /// Characters of the manifest's `description`.
    static let descriptionLength = 10_000
    /// Values (scalars, lists and mappings) of one manifest file, after YAML aliases are expanded.
    static let manifestValues = 100_000
    /// Nesting depth of one manifest file.
    static let manifestDepth = 64
    /// Bytes of the largest tensor of a step (one activation of the batch).
    static let tensorBytes = 8 << 30
    /// Parameters of the network.
    static let parameters = 1 << 31
    /// Values of the per-step log (steps x cells x edges), ~8 bytes each in memory.
    static let stepLogValues = 1 << 31
}
