// The one place that maps `SearchAlgorithm` to its strategy type. A caller hands in a consumer whose
// generic `consume` receives the concrete strategy, so code built on it (the runner's search phase)
// is specialised for every algorithm alike instead of calling through an existential.
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
    func make<S: SearchStrategy>(_ type: S.Type) throws(C.Failure) -> C.Output {
        try consumer.consume(S(config: config, alpha: alpha))
    }
    return try make(config.algorithm.strategy)
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
