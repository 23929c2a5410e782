// The Hessian of the search loss in alpha (AlphaHessian.swift), in Double: against second
// differences of the loss itself (not of the gradient the code differentiates), against the closed
// form of a softmax mixture of constants, symmetry to rounding, the Jacobi spectrum against a matrix
// of known eigenvalues, and the recorded dominant eigenvalue against the recorded matrix's spectrum.
import Foundation
import Testing
import WiringEngine
import WiringModel
@testable import WiringSearch

/// A tiny network with 3 ops, edge 4 limited to two: 14 allowed entries of a 5 x 3 alpha.
func hessianSetup(seed: UInt64) throws -> (net: Supernet<Double>, domains: [EdgeDomain], batches: [Batch], alpha: [[Double]]) {
    let network = tinyNetwork(ops: [.none, .skipConnect, .avgPool3x3],
                              constraints: [EdgeConstraint(.edge(4), .exclude([.avgPool3x3]))])
    let domains = try network.edgeDomains()
    var rng = RNG(seed: seed)
    let net = Supernet<Double>(config: network, rng: &rng)
    let batches = [randomBatch(&rng, labels: [3, 1, 2, 0]), randomBatch(&rng, labels: [5, 7, 1, 9])]
    let alpha = (0..<5).map { _ in (0..<3).map { _ in 0.5 * rng.normal() } }
    return (net, domains, batches, alpha)
}

@Suite struct AlphaHessianTests {
    @Test func hessianMatchesSecondDifferencesOfTheLoss() throws {
        let (net, domains, batches, alpha) = try hessianSetup(seed: 11)
        let surface = AlphaLossSurface(net: net, tape: Tape(), batches: batches, domains: domains)
        let hessian = surface.hessian(at: alpha)
        // The loss, on fresh tapes, written with the tests' own softmax.
        func f(_ a: [[Double]]) -> Double {
            batches.reduce(0) { $0 + loss(net, $1, softmaxMixture(a, domains)) } / Double(batches.count)
        }
        // 4-point second differences, h = 1e-4: truncation ~h^2 |f''''|, rounding ~1e-16 / h^2.
        let h = 1e-4, support = surface.allowedEntries(ops: 3)
        #expect(support.count == 14)
        var numeric = hessian.map { $0.map { _ in 0.0 } }
        for (k, i) in support.enumerated() {
            for j in support[k...] {
                func at(_ si: Double, _ sj: Double) -> Double {
                    var a = alpha
                    a[i / 3][i % 3] += si * h
                    a[j / 3][j % 3] += sj * h
                    return f(a)
                }
                let value = (at(1, 1) - at(1, -1) - at(-1, 1) + at(-1, -1)) / (4 * h * h)
                numeric[i][j] = value
                numeric[j][i] = value
            }
        }
        let error = relativeError(hessian, numeric)
        #expect(error < 1e-5, "relative error \(error)")
        #expect(hessian.joined().map(abs).max()! > 1e-3, "a Hessian worth testing")
    }

    @Test func curvatureIsSymmetricAndItsEigenvalueIsTheMatrixsDominantOne() throws {
        let (net, domains, batches, alpha) = try hessianSetup(seed: 12)
        let buffers = net.parameters.buffers, theta = net.parameters.values
        let surface = AlphaLossSurface(net: net, tape: Tape(), batches: batches, domains: domains)
        var rng = RNG(seed: 1)
        let curvature = surface.curvature(at: alpha, fullMatrixLimit: 64, iterations: 20, rng: &rng)
        #expect(net.parameters.buffers == buffers && net.parameters.values == theta, "theta and statistics untouched")
        let matrix = try #require(curvature.matrix), spectrum = try #require(curvature.eigenvalues)
        let scale = matrix.joined().map(abs).max()!
        // Symmetric to the finite differences' rounding (Double: ~1e-10 of the scale).
        var asymmetry = 0.0
        for i in matrix.indices { for j in matrix.indices { asymmetry = max(asymmetry, abs(matrix[i][j] - matrix[j][i])) } }
        #expect(asymmetry < 1e-7 * scale, "asymmetry \(asymmetry) of \(scale)")
        let dominant = spectrum.max { abs($0) < abs($1) }!
        #expect(abs(curvature.eigenvalue - dominant) < 1e-9 * abs(dominant), "\(curvature.eigenvalue) vs \(spectrum)")
        // Trace = sum of eigenvalues.
        let trace = matrix.indices.reduce(0) { $0 + matrix[$1][$1] }
        #expect(abs(spectrum.reduce(0, +) - trace) < 1e-9 * scale * 15)
        // Power iteration on Hessian-vector products alone (no matrix) finds the same eigenvalue.
        var rng2 = RNG(seed: 2)
        let products = surface.curvature(at: alpha, fullMatrixLimit: 0, iterations: 300, rng: &rng2)
        #expect(products.matrix == nil)
        #expect(abs(products.eigenvalue - dominant) < 1e-4 * abs(dominant),
                "products \(products.eigenvalue) (\(products.iterations) iterations, residual \(products.residual)) vs \(dominant)")
    }

    /// f(alpha) = sum_e sum_o w_eo softmax(alpha_e)_o has the closed-form Hessian (per edge)
    /// H_ij = delta_ij p_i (w_i - wbar) - p_i p_j (w_i + w_j - 2 wbar), wbar = sum_o p_o w_o.
    @Test func softmaxMixtureOfConstantsHasTheClosedFormHessian() {
        var rng = RNG(seed: 5)
        let edges = 3, ops = 4
        let w = (0..<edges).map { _ in (0..<ops).map { _ in rng.normal() } }
        let alpha = (0..<edges).map { _ in (0..<ops).map { _ in rng.normal() } }
        func probabilities(_ a: [Double]) -> [Double] { referenceSoftmax(a, allowed: Array(0..<ops)) }
        func gradient(_ a: [[Double]]) -> [[Double]] {
            a.indices.map { e in
                let p = probabilities(a[e]), mean = zip(p, w[e]).reduce(0) { $0 + $1.0 * $1.1 }
                return (0..<ops).map { p[$0] * (w[e][$0] - mean) }
            }
        }
        var exact = Array(repeating: Array(repeating: 0.0, count: edges * ops), count: edges * ops)
        for e in 0..<edges {
            let p = probabilities(alpha[e]), mean = zip(p, w[e]).reduce(0) { $0 + $1.0 * $1.1 }
            for i in 0..<ops {
                for j in 0..<ops {
                    exact[e * ops + i][e * ops + j] = (i == j ? p[i] * (w[e][i] - mean) : 0)
                        - p[i] * p[j] * (w[e][i] + w[e][j] - 2 * mean)
                }
            }
        }
        var start = RNG(seed: 6)
        let curvature = alphaCurvature(at: alpha, support: Array(0..<(edges * ops)), step: Foundation.cbrt(Double.ulpOfOne),
                                       fullMatrixLimit: 64, iterations: 20, rng: &start, gradient: gradient)
        let matrix = curvature.matrix!
        #expect(relativeError(matrix, exact) < 1e-9, "relative error \(relativeError(matrix, exact))")
        let exactSpectrum = symmetricEigenvalues(exact)
        #expect(zip(curvature.eigenvalues!, exactSpectrum).allSatisfy { abs($0 - $1) < 1e-9 })
        // Softmax is shift invariant: each edge's all-ones direction is in the null space.
        #expect(exactSpectrum.filter { abs($0) < 1e-12 }.count >= edges)
    }

    /// Q diag(lambda) Q^T with Q a Householder reflector: Jacobi returns lambda.
    @Test func jacobiFindsTheEigenvaluesOfAKnownMatrix() {
        let lambda = [-3.5, -1, 0, 0.25, 2, 7]
        let u = [1.0, -2, 0.5, 3, -1, 2], uu = u.reduce(0) { $0 + $1 * $1 }
        let n = lambda.count
        let q = (0..<n).map { i in (0..<n).map { j in (i == j ? 1 : 0) - 2 * u[i] * u[j] / uu } }
        let a = (0..<n).map { i in (0..<n).map { j in (0..<n).reduce(0.0) { $0 + q[i][$1] * lambda[$1] * q[j][$1] } } }
        let found = symmetricEigenvalues(a)
        #expect(zip(found, lambda).allSatisfy { abs($0 - $1) < 1e-12 }, "\(found)")
        var rng = RNG(seed: 3)
        let power = powerIteration(start: (0..<n).map { _ in rng.normal() }, maxIterations: 10_000, tolerance: 1e-14) { v in
            (0..<n).map { i in zip(a[i], v).reduce(0) { $0 + $1.0 * $1.1 } }
        }
        #expect(abs(power.eigenvalue - 7) < 1e-10, "\(power)")
    }

    @Test func strengthRemovesOrReplacesOneOpAndNoneRemovalIsANoOp() throws {
        let (net, domains, batches, alpha) = try hessianSetup(seed: 13)
        let surface = AlphaLossSurface(net: net, tape: Tape(), batches: batches, domains: domains)
        func meanLoss(_ architecture: Architecture) -> Double {
            batches.reduce(0) { $0 + loss(net, $1, architecture) } / Double(batches.count)
        }
        let removal = surface.operationStrength(at: alpha, perturbation: .removeFromMixture)
        let p = alpha.indices.map { referenceSoftmax(alpha[$0], allowed: domains[$0].allowed) }
        #expect(abs(removal.baseLoss - meanLoss(mixture(p, domains: domains, cells: 1))) < 1e-12)
        for e in domains.indices {
            for o in 0..<3 {
                guard domains[e].allowed.contains(o) else { #expect(removal.loss[e][o].isNaN); continue }
                var weights = p
                weights[e][o] = 0  // the op's term is 0: the same forward as dropping it
                #expect(abs(removal.loss[e][o] - meanLoss(mixture(weights, domains: domains, cells: 1))) < 1e-12)
            }
            #expect(removal.loss[e][0] == removal.baseLoss, "dropping none (a zero term) changes nothing")
        }
        let replacement = surface.operationStrength(at: alpha, perturbation: .replaceInLikeliestSubnet)
        let likeliest = alpha.indices.map { e in domains[e].allowed.max { alpha[e][$0] < alpha[e][$1] }! }
        for e in domains.indices {
            for o in domains[e].allowed {
                var choices = likeliest.map { EdgeChoice.op($0) }
                choices[e] = .op(o)
                #expect(abs(replacement.loss[e][o] - meanLoss(.shared(choices, cells: 1))) < 1e-12)
            }
            #expect(replacement.loss[e][likeliest[e]] == replacement.baseLoss)
            let pick = try #require(replacement.pick[e])
            #expect(domains[e].allowed.allSatisfy { replacement.accuracy[e][$0] <= replacement.accuracy[e][pick] })
        }
    }
}

/// Runs use Float32 by default: the same Hessian in Float (step cbrt(ulp(Float)) ~ 5e-3) agrees with Double's.
@Suite struct AlphaHessianFloatTests {
    @Test func floatHessianAgreesWithDouble() throws {
        let (netDouble, domains, batches, alpha) = try hessianSetup(seed: 14)
        var rng = RNG(seed: 14)  // the same draws as hessianSetup's network, rounded to Float
        let netFloat = Supernet<Float>(config: netDouble.config, rng: &rng)
        let floatBatches = batches.map { (Tensor<Float>(shape: $0.images.shape, scalars: $0.images.scalars.map(Float.init)), $0.labels) }
        let exact = AlphaLossSurface(net: netDouble, tape: Tape(), batches: batches, domains: domains).hessian(at: alpha)
        let single = AlphaLossSurface(net: netFloat, tape: Tape(), batches: floatBatches, domains: domains).hessian(at: alpha)
        let error = relativeError(single, exact)
        #expect(error < 1e-3, "Float against Double: relative error \(error)")
        print("Float32 Hessian against Double: max relative error \(error)")
    }
}
