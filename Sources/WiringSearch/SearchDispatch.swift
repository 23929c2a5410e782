// The one place that maps `SearchAlgorithm` to its strategy type: `strategy` (the type, for its facts)
// and `withSearchStrategy` (an instance, as its concrete type). Both switches are exhaustive, so a new
// case is an error here until both name its type. A caller hands in a consumer whose generic
// `consume` receives the concrete strategy, so code built on it (the runner's search phase) is
// specialised for every algorithm alike instead of calling through an existential.
import WiringEngine
import WiringModel

extension SearchAlgorithm {
    /// The strategy type that runs this algorithm and states its facts.
    public var strategy: any SearchStrategy.Type {
        switch self {
        case .dsnas: return DSNAS.self
        case .snas: return SNAS.self
        case .darts: return DARTS.self
        case .proxyless: return ProxylessNAS.self
        }
    }
}

/// Receives the strategy a `SearchConfig` names, as its concrete type.
public protocol SearchStrategyConsumer {
    associatedtype Output
    associatedtype Failure: Error = any Error
    func consume<S: SearchStrategy>(_ strategy: S) throws(Failure) -> Output
}

/// Makes the strategy `config.algorithm` names, with alpha drawn from `rng` per `config.alphaInit`,
/// and passes it to `consumer`.
/// - Parameter domains: the allowed ops of every edge (`network.edgeDomains()`).
public func withSearchStrategy<C: SearchStrategyConsumer>(config: SearchConfig, network: NetworkConfig,
                                                          domains: [EdgeDomain], rng: inout RNG,
                                                          _ consumer: C) throws(C.Failure) -> C.Output {
    let alpha = ArchitectureParameters(domains: domains, ops: network.ops.count, initialisation: config.alphaInit,
                                       rng: &rng)
    // Concrete types, not `config.algorithm.strategy` opened at run time: only a static type lets the
    // compiler specialise the consumer (and the whole step below it) for the element type; an opened
    // existential leaves the tape's kernels generic, hundreds of times slower in a release build.
    switch config.algorithm {
    case .dsnas: return try consumer.consume(DSNAS(config: config, alpha: alpha))
    case .snas: return try consumer.consume(SNAS(config: config, alpha: alpha))
    case .darts: return try consumer.consume(DARTS(config: config, alpha: alpha))
    case .proxyless: return try consumer.consume(ProxylessNAS(config: config, alpha: alpha))
    }
}

/// The strategy as an existential, for callers that do not step it in a hot loop.
private struct Boxing: SearchStrategyConsumer {
    func consume<S: SearchStrategy>(_ strategy: S) throws(Never) -> any SearchStrategy { strategy }
}

/// Makes the strategy `config.algorithm` names, with alpha drawn from `rng` per `config.alphaInit`.
/// - Parameter domains: the allowed ops of every edge (`network.edgeDomains()`).
public func makeSearchStrategy(config: SearchConfig, network: NetworkConfig, domains: [EdgeDomain],
                               rng: inout RNG) -> any SearchStrategy {
    withSearchStrategy(config: config, network: network, domains: domains, rng: &rng, Boxing())
}
