// A tiny network and batches for the search tests (B = 4, C = 4, 8x8 images, Double), and the
// oracles they share: the loss of a batch under an architecture, a softmax written out from its
// definition, and a central finite-difference gradient over alpha.
import Foundation
import WiringEngine
import WiringModel
@testable import WiringSearch

typealias Batch = (images: Tensor<Double>, labels: [Int])

/// The minimal cell with C = 4; `ops` defaults to a four-op list (none, skip, a pool, a conv) that
/// exercises every kind of op while keeping finite differences cheap in debug builds.
func tinyNetwork(cells: Int = 1, ops: [OpKind] = [.none, .skipConnect, .avgPool3x3, .sepConv3x3],
                 constraints: [EdgeConstraint] = []) -> NetworkConfig {
    var config = NetworkConfig()
    config.cells = cells
    config.channels = 4
    config.ops = ops
    config.constraints = constraints
    return config
}

func randomBatch(_ rng: inout RNG, labels: [Int]) -> Batch {
    (Tensor<Double>.normal(shape: [labels.count, 3, 8, 8], rng: &rng), labels)
}

/// Mean cross-entropy of `batch` under `architecture`, training-mode batch norm, on a fresh tape.
func loss(_ net: Supernet<Double>, _ batch: Batch, _ architecture: Architecture) -> Double {
    let tape = Tape<Double>()
    let trace = net.forward(tape: tape, images: batch.images, architecture: architecture, training: true, probes: false)
    return tape.value(tape.crossEntropy(trace.logits, labels: batch.labels)).scalar
}

/// exp(z_i) / sum_{k in allowed} exp(z_k) on `allowed`, 0 elsewhere, straight from the definition.
func referenceSoftmax(_ z: [Double], allowed: [Int]) -> [Double] {
    let total = allowed.reduce(0.0) { $0 + Foundation.exp(z[$1]) }
    return z.indices.map { allowed.contains($0) ? Foundation.exp(z[$0]) / total : 0 }
}

/// The same mixture on every cell, with every allowed op active.
func mixture(_ weights: [[Double]], domains: [EdgeDomain], cells: Int) -> Architecture {
    .shared(domains.indices.map { e in
        domains[e].deleted ? .deleted
            : .mixture(Mixture(weights: weights[e], active: weights[e].indices.map { domains[e].allowed.contains($0) }))
    }, cells: cells)
}

/// Central differences of `f` at every allowed (edge, op) of `alpha`; 0 elsewhere.
func finiteDifferenceGradient(_ alpha: [[Double]], domains: [EdgeDomain], h: Double,
                              _ f: ([[Double]]) -> Double) -> [[Double]] {
    var gradient = alpha.map { $0.map { _ in 0.0 } }
    for e in alpha.indices where !domains[e].deleted {
        for o in domains[e].allowed {
            var a = alpha
            a[e][o] = alpha[e][o] + h
            let plus = f(a)
            a[e][o] = alpha[e][o] - h
            gradient[e][o] = (plus - f(a)) / (2 * h)
        }
    }
    return gradient
}

/// max |a - b| / max |b| over all entries.
func relativeError(_ a: [[Double]], _ b: [[Double]]) -> Double {
    let scale = b.joined().map(abs).max() ?? 0
    let diff = zip(a.joined(), b.joined()).map { abs($0 - $1) }.max() ?? 0
    return diff / max(scale, 1e-300)
}
