// Finite-difference gradient checks for any function recorded on a Tape<Double>.
// The loss is sum(output * r) with a random upstream gradient r, so an *arbitrary* dOutput is
// tested (llm.c's layernorm.py trick), not only the all-ones gradient of sum().
import Foundation
import WiringEngine

/// Largest disagreement between the tape's gradient and central differences, per input.
public struct GradientCheckReport: CustomStringConvertible {
    /// max |analytic - numeric| / max(1, |numeric|) for each checked input.
    public var maxError: [Double]
    public var worst: Double { maxError.max() ?? 0 }
    public var description: String {
        "max error per input: " + maxError.map { String(format: "%.3e", $0) }.joined(separator: ", ")
    }
}

/// Compares the tape's gradients of sum(build(inputs) * r) with central finite differences.
///
/// - Parameters:
///   - inputs: the op's inputs; every element of those with `differentiable[k]` true is perturbed.
///   - differentiable: which inputs to check (default all).
///   - h: the finite-difference step. With Double and smooth ops, h = 1e-6 gives errors ~1e-8.
///   - seed: seeds the random upstream gradient.
///   - build: records the op(s) on the tape and returns the output handle. Called many times.
public func checkGradients(
    inputs: [Tensor<Double>], differentiable: [Bool]? = nil, h: Double = 1e-6, seed: UInt64 = 7,
    build: (Tape<Double>, [Var]) -> Var
) -> GradientCheckReport {
    let wants = differentiable ?? Array(repeating: true, count: inputs.count)

    func evaluate(_ xs: [Tensor<Double>]) -> Tensor<Double> {
        let tape = Tape<Double>()
        let vars = xs.enumerated().map { tape.leaf($0.element, requiresGrad: wants[$0.offset]) }
        return tape.value(build(tape, vars))
    }

    // Analytic gradients.
    let tape = Tape<Double>()
    let vars = inputs.enumerated().map { tape.leaf($0.element, requiresGrad: wants[$0.offset]) }
    let out = build(tape, vars)
    var rng = RNG(seed: seed)
    let upstream = Tensor<Double>.normal(shape: tape.shape(out), rng: &rng)
    tape.backward(out, seed: upstream)

    func loss(_ y: Tensor<Double>) -> Double {
        y.withUnsafeBufferPointer { a in upstream.withUnsafeBufferPointer { b in DeterministicSum.dot(a, b) } }
    }

    var report = GradientCheckReport(maxError: [])
    for (k, x) in inputs.enumerated() where wants[k] {
        let analytic = tape.gradient(vars[k]) ?? Tensor(zeros: x.shape)
        var worst = 0.0
        for j in 0..<x.count {
            var xs = inputs
            xs[k][flat: j] = x[flat: j] + h
            let plus = loss(evaluate(xs))
            xs[k][flat: j] = x[flat: j] - h
            let minus = loss(evaluate(xs))
            let numeric = (plus - minus) / (2 * h)
            worst = max(worst, abs(analytic[flat: j] - numeric) / max(1, abs(numeric)))
        }
        report.maxError.append(worst)
    }
    return report
}

/// max |a - b| over elements, after converting both to Double.
public func maxAbsDifference<A: TensorElement, B: TensorElement>(_ a: Tensor<A>, _ b: Tensor<B>) -> Double {
    precondition(a.shape == b.shape, "maxAbsDifference: \(a.shape) vs \(b.shape)")
    var worst = 0.0
    for i in 0..<a.count { worst = max(worst, abs(Double(a[flat: i]) - Double(b[flat: i]))) }
    return worst
}

/// max |a| over elements.
public func maxAbs<A: TensorElement>(_ a: Tensor<A>) -> Double {
    var worst = 0.0
    for i in 0..<a.count { worst = max(worst, abs(Double(a[flat: i]))) }
    return worst
}

/// Runs `body` with the kernels on `threads` threads (`Parallel.threads` bound for its extent).
public func withThreads<R>(_ threads: Int, _ body: () throws -> R) rethrows -> R {
    try Parallel.$threads.withValue(threads, operation: body)
}

/// Runs `body` with the kernels on 1 and then on 2 threads, for checks that results do not depend on
/// the thread count.
public func withOneAndTwoThreads<R>(_ body: () -> R) -> (R, R) {
    (Parallel.$threads.withValue(1, operation: body), Parallel.$threads.withValue(2, operation: body))
}
