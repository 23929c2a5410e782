// Operation strength by perturbation (DARTS-PT, "Rethinking architecture selection in differentiable
// NAS"): how much the held-out loss and accuracy of the supernet depend on one op of one edge.
//   mixtures (DARTS, SNAS)   the mixture softmax(alpha) with op o's term dropped from edge e's sum
//                            (the other weights are not renormalised, as DARTS-PT's mask does; so
//                            dropping none, whose term is 0, leaves the forward unchanged).
//                            The strength pick of an edge: the op whose removal costs most accuracy.
//   samplers (DSNAS, ProxylessNAS)  the most likely subnet (argmax alpha per edge) with edge e's op
//                            replaced by o (o = the argmax gives the unperturbed subnet). The pick:
//                            the op with the best accuracy in that slot.
// Ties go to the larger loss change. Training-mode batch norm as the search passes use, running
// statistics restored, theta untouched; the batches are the caller's held-out ones.
import WiringEngine
import WiringModel

/// How an algorithm's supernet is perturbed to measure an op's strength.
public enum StrengthPerturbation: String, Hashable, Sendable {
    /// Drop the op's term from the edge's softmax mixture.
    case removeFromMixture
    /// Put the op on the edge of the most likely subnet.
    case replaceInLikeliestSubnet
}

/// Held-out loss and accuracy with each (edge, op) perturbed, beside the unperturbed values.
public struct OperationStrength: Equatable, Sendable {
    /// The unperturbed mixture's (or most likely subnet's) mean cross-entropy and accuracy.
    public var baseLoss: Double
    public var baseAccuracy: Double
    /// [edge][op]; NaN for deleted edges and ops the edge does not allow.
    public var loss: [[Double]]
    public var accuracy: [[Double]]
    /// Per edge: the op the strength criterion picks (nil for a deleted edge).
    public var pick: [Int?]
}

extension AlphaLossSurface {
    /// Mean cross-entropy and accuracy over the batches with `architecture` (forward only).
    public func lossAndAccuracy(_ architecture: Architecture) -> (loss: Double, accuracy: Double) {
        var loss = 0.0, correct = 0, count = 0
        for batch in batches {
            tape.reset()
            let statistics = net.parameters.runningStatistics
            let trace = net.forward(tape: tape, images: batch.images, architecture: architecture, training: true,
                                    probes: false)
            net.parameters.runningStatistics = statistics
            let samples = sampleStatistics(logits: tape.value(trace.logits), labels: batch.labels)
            loss += samples.loss.reduce(0, +)
            correct += samples.correct.filter { $0 }.count
            count += samples.loss.count
        }
        return (loss / Double(count), Double(correct) / Double(count))
    }

    /// The strength of every allowed (edge, op) at `alpha` (see the file header).
    public func operationStrength(at alpha: [[Double]], perturbation: StrengthPerturbation) -> OperationStrength {
        let parameters = ArchitectureParameters(values: alpha, domains: domains)
        let cells = net.config.cells, ops = alpha.first?.count ?? 0
        let p = parameters.probabilities
        let likeliest = parameters.mostLikely()
        func architecture(perturbing edge: Int?, op: Int) -> Architecture {
            let choices: [EdgeChoice] = domains.indices.map { e in
                if domains[e].deleted { return .deleted }
                switch perturbation {
                case .removeFromMixture:
                    var active = Array(repeating: false, count: ops)
                    for o in domains[e].allowed where !(e == edge && o == op) { active[o] = true }
                    return .mixture(Mixture(weights: p[e], active: active))
                case .replaceInLikeliestSubnet:
                    return .op(e == edge ? op : likeliest[e]!)
                }
            }
            return .shared(choices, cells: cells)
        }
        let base = lossAndAccuracy(architecture(perturbing: nil, op: 0))
        var strength = OperationStrength(baseLoss: base.loss, baseAccuracy: base.accuracy,
                                         loss: alpha.map { $0.map { _ in .nan } },
                                         accuracy: alpha.map { $0.map { _ in .nan } },
                                         pick: Array(repeating: nil, count: alpha.count))
        for e in domains.indices where !domains[e].deleted {
            var best: (op: Int, score: (Double, Double))?
            for o in domains[e].allowed {
                let measured = perturbation == .replaceInLikeliestSubnet && o == likeliest[e]
                    ? base : lossAndAccuracy(architecture(perturbing: e, op: o))
                strength.loss[e][o] = measured.loss
                strength.accuracy[e][o] = measured.accuracy
                // Larger score = stronger op: a removal that hurts, a replacement that helps.
                let score = perturbation == .removeFromMixture
                    ? (base.accuracy - measured.accuracy, measured.loss - base.loss)
                    : (measured.accuracy - base.accuracy, base.loss - measured.loss)
                if best == nil || score > best!.score { best = (o, score) }
            }
            strength.pick[e] = best?.op
        }
        return strength
    }
}

extension SearchConfig {
    /// How the algorithm's supernet is perturbed to measure op strength.
    public var strengthPerturbation: StrengthPerturbation { algorithm.strategy.strengthPerturbation }
}
