// The curvature of the search loss in alpha (RobustDARTS's diagnostic): L(alpha) is the mean
// cross-entropy of held-out batches under the softmax mixture W_e = softmax(alpha_e) of every allowed
// op (DARTS's relaxation, also the loss SNAS's and the gradient-based algorithms' mixtures approach),
// training-mode batch norm as the search passes use, theta fixed. The tape gives dL/dalpha; a
// Hessian-vector product is the central difference of that gradient along v:
//     H v ~ (g(alpha + eps v) - g(alpha - eps v)) / (2 eps),   |v| = 1,
// with eps = cbrt(ulp(1) of the run's precision): the truncation error grows as eps^2 and the
// rounding error of the gradients (computed in T) as ulp / eps, so u^(1/3) balances them (6e-6 in
// Double, 5e-3 in Float). Note the parentheses: several public copies of RobustDARTS's
// finite-difference Hessian divide by `2.*eps`, which Python reads as (x / 2) * eps.
// Gradients are accumulated over the batches in Double. The full matrix is one product per allowed
// (edge, op) when alpha is small; the dominant eigenvalue comes from power iteration, on the
// recorded matrix when there is one (cheap), on Hessian-vector products otherwise, and the
// matrix's spectrum from the cyclic Jacobi method on its symmetric part.
import Foundation
import WiringEngine
import WiringModel

/// The search loss of fixed batches as a function of alpha, with its gradient and curvature.
public struct AlphaLossSurface<T: TensorElement> {
    public let net: Supernet<T>
    public let tape: Tape<T>
    public let batches: [(images: Tensor<T>, labels: [Int])]
    public let domains: [EdgeDomain]

    public init(net: Supernet<T>, tape: Tape<T>, batches: [(images: Tensor<T>, labels: [Int])], domains: [EdgeDomain]) {
        precondition(!batches.isEmpty, "AlphaLossSurface: no batches")
        self.net = net
        self.tape = tape
        self.batches = batches
        self.domains = domains
    }

    /// The central-difference step for unit directions (see the file header).
    public static var step: Double { Foundation.cbrt(Double(T.ulpOfOne)) }

    /// Mean over the batches of the loss, dL/dalpha [edge][op] (0 off the allowed ops) and the
    /// probes (their `opCost` summed over cells is dL/dW), at `alpha`. Theta and the running
    /// statistics are left exactly as they were.
    public func evaluate(_ alpha: [[Double]]) -> (loss: Double, gradient: [[Double]], probes: [StepProbe]) {
        let p = ArchitectureParameters(values: alpha, domains: domains).probabilities
        let architecture = mixtureArchitecture(p, domains: domains, cells: net.config.cells)
        var gradient = alpha.map { $0.map { _ in 0.0 } }, loss = 0.0, probes: [StepProbe] = []
        for batch in batches {
            let (_, probe) = net.trainingPass(tape: tape, batch: batch, architecture: architecture, keepStatistics: true)
            let dW = mixtureGradient(probe)
            for e in domains.indices where !domains[e].deleted {
                let g = softmaxBackward(weights: p[e], upstream: dW[e], over: domains[e].allowed)
                for o in g.indices { gradient[e][o] += g[o] / Double(batches.count) }
            }
            loss += probe.loss / Double(batches.count)
            probes.append(probe)
        }
        return (loss, gradient, probes)
    }

    /// The flat indices e * ops + o of the allowed entries of alpha (the Hessian's support).
    public func allowedEntries(ops: Int) -> [Int] {
        domains.indices.filter { !domains[$0].deleted }.flatMap { e in domains[e].allowed.map { e * ops + $0 } }
    }

    /// H v by central differences of the gradient (flat vectors, row-major edge then op).
    public func hessianVectorProduct(at alpha: [[Double]], _ v: [Double]) -> [Double] {
        centralDifferenceHessianVector(at: alpha, v, step: Self.step) { evaluate($0).gradient }
    }

    /// The full Hessian (see `centralDifferenceHessian`).
    public func hessian(at alpha: [[Double]]) -> [[Double]] {
        centralDifferenceHessian(at: alpha, support: allowedEntries(ops: alpha.first?.count ?? 0), step: Self.step) {
            evaluate($0).gradient
        }
    }

    /// The curvature at `alpha` (see `alphaCurvature`).
    public func curvature(at alpha: [[Double]], fullMatrixLimit: Int, iterations: Int, rng: inout RNG) -> AlphaCurvature {
        alphaCurvature(at: alpha, support: allowedEntries(ops: alpha.first?.count ?? 0), step: Self.step,
                       fullMatrixLimit: fullMatrixLimit, iterations: iterations, rng: &rng) { evaluate($0).gradient }
    }
}

/// H v by central differences of `gradient` along v (flat, row-major edge then op), a step of
/// `step` in alpha's L2 norm.
public func centralDifferenceHessianVector(at alpha: [[Double]], _ v: [Double], step: Double,
                                           gradient: ([[Double]]) -> [[Double]]) -> [Double] {
    let ops = alpha.first?.count ?? 0
    let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
    guard norm > 0 else { return v.map { _ in 0 } }
    let eps = step / norm
    func shifted(_ sign: Double) -> [[Double]] {
        alpha.indices.map { e in alpha[e].indices.map { o in alpha[e][o] + sign * eps * v[e * ops + o] } }
    }
    let plus = gradient(shifted(1)).flatMap { $0 }, minus = gradient(shifted(-1)).flatMap { $0 }
    // (g+ - g-) / (2 eps): the divisor in parentheses (RobustDARTS's `/ 2.*eps` multiplies by eps instead).
    return zip(plus, minus).map { ($0 - $1) / (2 * eps) }
}

/// The full Hessian [i][j] = d2L / (dalpha_i dalpha_j) over the flat alpha, column j the product with
/// the unit vector e_j for j in `support`; the other rows and columns are 0. Not symmetrised.
public func centralDifferenceHessian(at alpha: [[Double]], support: [Int], step: Double,
                                     gradient: ([[Double]]) -> [[Double]]) -> [[Double]] {
    let n = alpha.count * (alpha.first?.count ?? 0)
    var matrix = Array(repeating: Array(repeating: 0.0, count: n), count: n)
    for j in support {
        var unit = Array(repeating: 0.0, count: n)
        unit[j] = 1
        let column = centralDifferenceHessianVector(at: alpha, unit, step: step, gradient: gradient)
        for i in support { matrix[i][j] = column[i] }
    }
    return matrix
}

/// The curvature at `alpha`: the full matrix when alpha has at most `fullMatrixLimit` entries, and the
/// dominant eigenvalue by power iteration (at most `iterations` Hessian-vector products when there is
/// no matrix; on the matrix's symmetric part, until the Rayleigh quotient settles to 1e-12).
/// - Parameter rng: draws the starting vector (on `support`).
public func alphaCurvature(at alpha: [[Double]], support: [Int], step: Double, fullMatrixLimit: Int, iterations: Int,
                           rng: inout RNG, gradient: ([[Double]]) -> [[Double]]) -> AlphaCurvature {
    let n = alpha.count * (alpha.first?.count ?? 0)
    var start = Array(repeating: 0.0, count: n)
    for i in support { start[i] = rng.normal() }
    if n <= fullMatrixLimit {
        let matrix = centralDifferenceHessian(at: alpha, support: support, step: step, gradient: gradient)
        let symmetric = (0..<n).map { i in (0..<n).map { j in (matrix[i][j] + matrix[j][i]) / 2 } }
        let power = powerIteration(start: start, maxIterations: 10_000, tolerance: 1e-12) { v in
            (0..<n).map { i in zip(symmetric[i], v).reduce(0) { $0 + $1.0 * $1.1 } }
        }
        return AlphaCurvature(eigenvalue: power.eigenvalue, residual: power.residual, iterations: power.iterations,
                              matrix: matrix, eigenvalues: symmetricEigenvalues(symmetric))
    }
    let power = powerIteration(start: start, maxIterations: iterations, tolerance: 1e-6) {
        centralDifferenceHessianVector(at: alpha, $0, step: step, gradient: gradient)
    }
    return AlphaCurvature(eigenvalue: power.eigenvalue, residual: power.residual, iterations: power.iterations)
}

/// What one curvature measurement found.
public struct AlphaCurvature: Equatable, Sendable {
    /// The dominant eigenvalue (largest in magnitude) of the Hessian, from power iteration.
    public var eigenvalue: Double
    /// |H v - lambda v| / |lambda| at the last iterate (small when power iteration converged).
    public var residual: Double
    /// Power iterations taken.
    public var iterations: Int
    /// The full Hessian (flat alpha x flat alpha), when it was small enough to record.
    public var matrix: [[Double]]?
    /// The eigenvalues of the recorded matrix's symmetric part, ascending.
    public var eigenvalues: [Double]?
}

/// Power iteration for the eigenvalue of largest magnitude of a symmetric operator: v <- A v / |A v|,
/// lambda = v . A v (Rayleigh quotient), until lambda changes by at most `tolerance` |lambda|.
func powerIteration(start: [Double], maxIterations: Int, tolerance: Double,
                    _ apply: ([Double]) -> [Double]) -> (eigenvalue: Double, residual: Double, iterations: Int) {
    func norm(_ x: [Double]) -> Double { x.reduce(0) { $0 + $1 * $1 }.squareRoot() }
    let startNorm = norm(start)
    guard startNorm > 0 else { return (0, 0, 0) }
    var v = start.map { $0 / startNorm }
    var lambda = Double.nan, residual = Double.nan, iterations = 0
    while iterations < max(1, maxIterations) {
        iterations += 1
        let w = apply(v)
        let next = zip(v, w).reduce(0) { $0 + $1.0 * $1.1 }
        residual = norm(zip(w, v).map { $0 - next * $1 }) / max(abs(next), .leastNormalMagnitude)
        let wNorm = norm(w)
        let settled = abs(next - lambda) <= tolerance * abs(next)
        lambda = next
        if wNorm == 0 || settled { break }
        v = w.map { $0 / wNorm }
    }
    return (lambda, residual, iterations)
}

/// The eigenvalues of a symmetric matrix, ascending, by cyclic Jacobi rotations (Golub & Van Loan
/// 8.5), sweeping until the off-diagonal mass is below 1e-14 of the whole (at most 100 sweeps).
func symmetricEigenvalues(_ matrix: [[Double]]) -> [Double] {
    var a = matrix
    let n = a.count
    let total = a.joined().reduce(0) { $0 + $1 * $1 }
    for _ in 0..<100 {
        var off = 0.0
        for p in 0..<n { for q in 0..<n where q != p { off += a[p][q] * a[p][q] } }
        if off <= 1e-28 * total || off == 0 { break }
        for p in 0..<n {
            for q in (p + 1)..<max(p + 1, n) where a[p][q] != 0 {
                // The rotation that zeroes a[p][q]: t = tan(theta), the smaller root.
                let tau = (a[q][q] - a[p][p]) / (2 * a[p][q])
                let t = (tau >= 0 ? 1 : -1) / (abs(tau) + (1 + tau * tau).squareRoot())
                let c = 1 / (1 + t * t).squareRoot(), s = t * c
                for k in 0..<n {  // A <- A J (columns p, q)
                    let akp = a[k][p], akq = a[k][q]
                    a[k][p] = c * akp - s * akq
                    a[k][q] = s * akp + c * akq
                }
                for k in 0..<n {  // A <- J^T A (rows p, q)
                    let apk = a[p][k], aqk = a[q][k]
                    a[p][k] = c * apk - s * aqk
                    a[q][k] = s * apk + c * aqk
                }
            }
        }
    }
    return (0..<n).map { a[$0][$0] }.sorted()
}
