import Testing
@testable import WiringEngine
import WiringTestSupport

/// The four ways a norm layer runs in the network, recorded on a tape with optional affine parameters.
enum NormCase: String, CaseIterable, CustomStringConvertible {
    case batchTrain, batchEval, instance, layer

    var description: String { rawValue }

    /// Non-trivial running statistics for eval mode: mean 0.3c - 0.2, variance 0.5 + 0.25c.
    static func running<T: TensorElement>(channels: Int) -> RunningStatistics<T> {
        let c = (0..<channels).map(Double.init)
        return RunningStatistics(mean: Tensor(shape: [channels], scalars: c.map { T(0.3 * $0 - 0.2) }),
                                 variance: Tensor(shape: [channels], scalars: c.map { T(0.5 + 0.25 * $0) }))
    }

    func record<T>(_ tape: Tape<T>, _ x: Var, gamma: Var?, beta: Var?, eps: Double = 1e-5) -> Var {
        var running: RunningStatistics<T>? = nil
        let kind: NormalizationKind
        switch self {
        case .batchTrain, .batchEval:
            running = NormCase.running(channels: tape.shape(x)[1])
            kind = .batch
        case .instance: kind = .instance
        case .layer: kind = .layer
        }
        return tape.normalize(x, gamma: gamma, beta: beta, kind: kind, running: &running,
                              training: self != .batchEval, eps: eps)
    }
}

/// The textbook formula, one element at a time in Double: the oracle for the forward kernels.
private func naiveNorm(
    _ x: Tensor<Double>, _ norm: NormCase, gamma: [Double]?, beta: [Double]?, eps: Double
) -> Tensor<Double> {
    let (n, c, hw) = (x.shape[0], x.shape[1], x.shape[2] * x.shape[3])
    func key(_ s: Int, _ ch: Int) -> Int {
        switch norm {
        case .batchTrain, .batchEval: return ch
        case .instance: return s * c + ch
        case .layer: return s
        }
    }
    var sum = [Double](repeating: 0, count: n * c), count = sum, squares = sum
    for s in 0..<n { for ch in 0..<c { for i in 0..<hw {
        sum[key(s, ch)] += x[flat: (s * c + ch) * hw + i]
        count[key(s, ch)] += 1
    } } }
    let mean = zip(sum, count).map { $1 > 0 ? $0 / $1 : 0 }
    for s in 0..<n { for ch in 0..<c { for i in 0..<hw {
        let d = x[flat: (s * c + ch) * hw + i] - mean[key(s, ch)]
        squares[key(s, ch)] += d * d
    } } }
    let running: RunningStatistics<Double> = NormCase.running(channels: c)
    var y = Tensor<Double>(zeros: x.shape)
    for s in 0..<n { for ch in 0..<c { for i in 0..<hw {
        let k = key(s, ch)
        let (mu, variance) = norm == .batchEval
            ? (running.mean[flat: ch], running.variance[flat: ch]) : (mean[k], squares[k] / count[k])
        let j = (s * c + ch) * hw + i
        y[flat: j] = (x[flat: j] - mu) / (variance + eps).squareRoot() * (gamma?[ch] ?? 1) + (beta?[ch] ?? 0)
    } } }
    return y
}

/// Inputs for one norm: x ~ N(0.5, 2^2), gamma ~ U(0.5, 1.5), beta ~ N(0, 1).
private func normInputs<T: TensorElement>(
    _ shape: [Int], seed: UInt64
) -> (x: Tensor<T>, gamma: Tensor<T>, beta: Tensor<T>) {
    var rng = RNG(seed: seed)
    let x = Tensor<T>.normal(shape: shape, mean: 0.5, std: 2, rng: &rng)
    let gamma = Tensor<T>.uniform(shape: [shape[1]], lo: 0.5, hi: 1.5, rng: &rng)
    let beta = Tensor<T>.normal(shape: [shape[1]], rng: &rng)
    return (x, gamma, beta)
}

/// One forward and backward with a random upstream gradient: y, dx, dgamma, dbeta.
private func runNorm<T: TensorElement>(
    _ norm: NormCase, _ shape: [Int], affine: Bool, seed: UInt64 = 1, eps: Double = 1e-5
) -> (y: Tensor<T>, dx: Tensor<T>, dGamma: Tensor<T>?, dBeta: Tensor<T>?) {
    let (x, gamma, beta): (Tensor<T>, Tensor<T>, Tensor<T>) = normInputs(shape, seed: seed)
    let tape = Tape<T>()
    let xv = tape.leaf(x), gv = affine ? tape.leaf(gamma) : nil, bv = affine ? tape.leaf(beta) : nil
    let y = norm.record(tape, xv, gamma: gv, beta: bv, eps: eps)
    var rng = RNG(seed: seed + 100)
    tape.backward(y, seed: Tensor<T>.normal(shape: shape, rng: &rng))
    return (tape.value(y), tape.gradient(xv)!, gv.flatMap(tape.gradient), bv.flatMap(tape.gradient))
}

@Suite struct NormalizationTests {
    static let cases: [(NormCase, Bool)] = NormCase.allCases.flatMap { [($0, true), ($0, false)] }

    // Odd plane sizes hit the scalar tails; 12 x 13 = 156 also crosses the 128-element flush block.
    @Test(arguments: NormCase.allCases, [[2, 3, 3, 5], [1, 2, 12, 13], [3, 1, 1, 9]])
    func forwardMatchesNaiveFormula(norm: NormCase, shape: [Int]) {
        let (x, gamma, beta): (Tensor<Double>, Tensor<Double>, Tensor<Double>) = normInputs(shape, seed: 3)
        for affine in [true, false] {
            let g = affine ? gamma.scalars : nil, b = affine ? beta.scalars : nil
            let expected = naiveNorm(x, norm, gamma: g, beta: b, eps: 1e-5)
            let tape = Tape<Double>()
            let y = norm.record(tape, tape.leaf(x), gamma: affine ? tape.leaf(gamma) : nil,
                                beta: affine ? tape.leaf(beta) : nil)
            #expect(maxAbsDifference(tape.value(y), expected) < 1e-12, "\(norm) \(shape) affine \(affine)")
            // Float against the float64 oracle: inputs rounded to Float, outputs of size ~1-5.
            let tapeF = Tape<Float>()
            let yF = norm.record(tapeF, tapeF.leaf(x.converted()), gamma: affine ? tapeF.leaf(gamma.converted()) : nil,
                                 beta: affine ? tapeF.leaf(beta.converted()) : nil)
            #expect(maxAbsDifference(tapeF.value(yF), expected) < 2e-6, "Float \(norm) \(shape) affine \(affine)")
        }
    }

    // Central differences in Double with h = 1e-6: truncation ~h^2 and rounding ~1e-16/h, so a
    // correct gradient agrees to ~1e-9; 1e-7 leaves margin without hiding a wrong term (those are O(1)).
    @Test(arguments: cases)
    func gradientsMatchFiniteDifferences(norm: NormCase, affine: Bool) {
        let (x, gamma, beta): (Tensor<Double>, Tensor<Double>, Tensor<Double>) = normInputs([2, 3, 3, 4], seed: 5)
        let report = checkGradients(inputs: affine ? [x, gamma, beta] : [x]) { tape, v in
            norm.record(tape, v[0], gamma: affine ? v[1] : nil, beta: affine ? v[2] : nil)
        }
        #expect(report.worst < 1e-7, "\(norm) affine \(affine): \(report)")
    }

    @Test func gammaWithoutBetaMatchesFiniteDifferences() {
        let (x, gamma, _): (Tensor<Double>, Tensor<Double>, Tensor<Double>) = normInputs([2, 2, 2, 3], seed: 6)
        let report = checkGradients(inputs: [x, gamma]) { tape, v in
            var none: RunningStatistics<Double>? = nil
            return tape.normalize(v[0], gamma: v[1], beta: nil, kind: .layer, running: &none, training: true)
        }
        #expect(report.worst < 1e-7, "\(report)")
    }

    // Channel 0 holds 1, 2, 3, 6: mean 3, biased var 3.5, unbiased 14/3. Channel 1 holds -1, 1, 1, 3:
    // mean 1, unbiased var 8/3. One step from (0, 1) with momentum 0.1 gives 0.9 * old + 0.1 * new.
    @Test func batchNormUpdatesRunningStatisticsWithUnbiasedVariance() {
        let x = Tensor<Double>(shape: [2, 2, 1, 2], scalars: [1, 2, -1, 1, 3, 6, 1, 3])
        var running: RunningStatistics<Double>? = RunningStatistics<Double>(channels: 2)
        let tape = Tape<Double>()
        let y = tape.normalize(tape.leaf(x), gamma: nil, beta: nil, kind: .batch, running: &running, training: true)
        #expect(abs(running!.mean[flat: 0] - 0.3) < 1e-15 && abs(running!.mean[flat: 1] - 0.1) < 1e-15)
        #expect(abs(running!.variance[flat: 0] - (0.9 + 0.1 * 14.0 / 3)) < 1e-15)
        #expect(abs(running!.variance[flat: 1] - (0.9 + 0.1 * 8.0 / 3)) < 1e-15)
        // The output itself uses the biased variance: (6 - 3) / sqrt(3.5 + 1e-5).
        #expect(abs(tape.value(y)[flat: 5] - 3 / (3.5 + 1e-5).squareRoot()) < 1e-14)

        // Eval mode normalises with the running statistics and leaves them alone.
        let before = running
        let z = tape.normalize(tape.leaf(x), gamma: nil, beta: nil, kind: .batch, running: &running, training: false)
        #expect(running!.mean == before!.mean && running!.variance == before!.variance)
        let expected = (6 - 0.3) / (0.9 + 0.1 * 14.0 / 3 + 1e-5).squareRoot()
        #expect(abs(tape.value(z)[flat: 5] - expected) < 1e-14)
    }

    // Float rounds inputs and sums to ~6e-8 relative; outputs are O(1) and gradients sums of tens of
    // O(1) terms, so 1e-5 relative to the largest magnitude is loose for a right kernel and far
    // below the size of a precision bug (a Float-accumulated E[x^2] - E[x]^2, say).
    @Test(arguments: cases)
    func floatMatchesDouble(norm: NormCase, affine: Bool) {
        let shape = [3, 4, 5, 7]
        let d: (y: Tensor<Double>, dx: Tensor<Double>, dGamma: Tensor<Double>?, dBeta: Tensor<Double>?) =
            runNorm(norm, shape, affine: affine)
        let f: (y: Tensor<Float>, dx: Tensor<Float>, dGamma: Tensor<Float>?, dBeta: Tensor<Float>?) =
            runNorm(norm, shape, affine: affine)
        #expect(maxAbsDifference(f.y, d.y) < 1e-5 * max(1, maxAbs(d.y)), "\(norm) y")
        #expect(maxAbsDifference(f.dx, d.dx) < 1e-5 * max(1, maxAbs(d.dx)), "\(norm) dx")
        if affine {
            #expect(maxAbsDifference(f.dGamma!, d.dGamma!) < 1e-5 * max(1, maxAbs(d.dGamma!)), "\(norm) dGamma")
            #expect(maxAbsDifference(f.dBeta!, d.dBeta!) < 1e-5 * max(1, maxAbs(d.dBeta!)), "\(norm) dBeta")
        }
    }

    // Inputs far from zero (mean 1000, std 1): T(mean) is off the true mean by up to half an ulp of
    // 1000 (3e-5), so normalising around it offsets a whole channel by up to 3e-5 in the forward and,
    // through b * (x - T(mean)), the input gradient in the backward. The kernels carry the remainder
    // in Double, leaving only per-element rounding: ~2e-7 here, so 2e-6 sits between the two.
    @Test(arguments: [NormCase.batchTrain, .instance, .layer])
    func floatIsNotOffsetByTheRoundedMean(norm: NormCase) {
        let shape = [4, 3, 16, 16]
        var rng = RNG(seed: 21)
        let x = Tensor<Float>.normal(shape: shape, mean: 1000, std: 1, rng: &rng)
        let noise = Tensor<Double>.normal(shape: shape, rng: &rng)
        let xd: Tensor<Double> = x.converted()
        let expected = naiveNorm(xd, norm, gamma: nil, beta: nil, eps: 1e-5)
        // Upstream gradient along the normalised input plus noise, so the b * (x - mean) term is O(1).
        let dy = Tensor<Double>(shape: shape, scalars: (0..<x.count).map { expected[flat: $0] + noise[flat: $0] })
        func run<T: TensorElement>(_: T.Type) -> (y: Tensor<T>, dx: Tensor<T>) {
            let tape = Tape<T>()
            let xv = tape.leaf(x.converted(to: T.self))
            let y = norm.record(tape, xv, gamma: nil, beta: nil)
            tape.backward(y, seed: dy.converted(to: T.self))
            return (tape.value(y), tape.gradient(xv)!)
        }
        let f = run(Float.self), d = run(Double.self)
        #expect(maxAbsDifference(d.y, expected) < 1e-12)
        #expect(maxAbsDifference(f.y, expected) < 2e-6, "\(norm) y: \(maxAbsDifference(f.y, expected))")
        #expect(maxAbsDifference(f.dx, d.dx) < 2e-6 * max(1, maxAbs(d.dx)),
                "\(norm) dx: \(maxAbsDifference(f.dx, d.dx)) of \(maxAbs(d.dx))")
    }

    @Test func resultsAreBitwiseIdenticalAcrossThreadCounts() {
        for norm in NormCase.allCases {
            typealias Outputs = (y: Tensor<Float>, dx: Tensor<Float>, dGamma: Tensor<Float>?, dBeta: Tensor<Float>?)
            let (one, two) = withOneAndTwoThreads { () -> Outputs in runNorm(norm, [5, 3, 12, 13], affine: true) }
            #expect(one.y == two.y && one.dx == two.dx, "\(norm)")
            #expect(one.dGamma == two.dGamma && one.dBeta == two.dBeta, "\(norm)")
        }
    }

    /// sum(dL/dx * x) and sum |dL/dx * x| for a random upstream gradient (Theorem 1's cost of x).
    func costResidual<T: TensorElement>(_ norm: NormCase, affine: Bool, eps: Double, _: T.Type) -> (Double, Double) {
        let shape = [4, 3, 5, 5]
        let (x, gamma, beta): (Tensor<T>, Tensor<T>, Tensor<T>) = normInputs(shape, seed: 9)
        let tape = Tape<T>()
        let xv = tape.leaf(x)
        let y = norm.record(tape, xv, gamma: affine ? tape.leaf(gamma) : nil,
                            beta: affine ? tape.leaf(beta) : nil, eps: eps)
        var rng = RNG(seed: 10)
        tape.backward(y, seed: Tensor<T>.normal(shape: shape, rng: &rng))
        let dx = tape.gradient(xv)!
        let magnitude = (0..<x.count).reduce(0.0) { $0 + abs(Double(dx[flat: $1]) * Double(x[flat: $1])) }
        return (tape.cost(xv), magnitude)
    }

    // A norm that uses its input's own statistics is invariant to scaling the input, so by Euler's
    // theorem sum(dL/dx * x) = 0 (the heart of the paper's Theorem 1). eps breaks it by about
    // eps / var (~1e-6 here), hence 1e-4 in Float, and 1e-9 in Double with eps = 1e-12.
    @Test(arguments: [(NormCase, Bool)]([(.batchTrain, true), (.batchTrain, false), (.instance, true),
                                         (.instance, false), (.layer, true), (.layer, false)]))
    func trainingNormsAreScaleInvariant(norm: NormCase, affine: Bool) {
        let (costF, sizeF) = costResidual(norm, affine: affine, eps: 1e-5, Float.self)
        #expect(abs(costF) <= 1e-4 * sizeF, "Float \(norm): cost \(costF) of \(sizeF)")
        let (costD, sizeD) = costResidual(norm, affine: affine, eps: 1e-12, Double.self)
        #expect(abs(costD) <= 1e-9 * sizeD, "Double \(norm): cost \(costD) of \(sizeD)")
    }

    // With fixed running statistics the map is affine in x and the cost an ordinary dot product,
    // of order size / sqrt(elements) (~5% here) for a random upstream gradient: six orders of
    // magnitude above the training-mode residual of the same inputs.
    @Test(arguments: [true, false])
    func evalBatchNormIsNotScaleInvariant(affine: Bool) {
        let (cost, size) = costResidual(.batchEval, affine: affine, eps: 1e-12, Double.self)
        #expect(abs(cost) > 1e-3 * size, "cost \(cost) of \(size)")
    }

    /// The cost of a norm's output, which its backward derives from the plane sums (scale * sum
    /// dy * (x - centre) + shift * sum dy), against the plain dot product of dL/dy and the stored y,
    /// with a shift large against the spread (beta 40), where the shift term dominates.
    func outputCostError<T: TensorElement>(_ norm: NormCase, affine: Bool, _: T.Type) -> (error: Double, size: Double) {
        let shape = [5, 3, 12, 13]
        let (x, gamma, beta): (Tensor<T>, Tensor<T>, Tensor<T>) = normInputs(shape, seed: 11)
        let shiftedBeta = Tensor<T>(shape: beta.shape, scalars: beta.scalars.map { $0 + 40 })
        let tape = Tape<T>()
        let y = norm.record(tape, tape.leaf(x), gamma: affine ? tape.leaf(gamma) : nil,
                            beta: affine ? tape.leaf(shiftedBeta) : nil)
        var rng = RNG(seed: 12)
        let seed = Tensor<T>.normal(shape: shape, mean: 0.1, std: 1, rng: &rng)
        tape.backward(y, seed: seed)
        let value = tape.value(y)
        let direct = seed.withUnsafeBufferPointer { g in value.withUnsafeBufferPointer { DeterministicSum.dot(g, $0) } }
        let size = (0..<value.count).reduce(0.0) { $0 + abs(Double(seed[flat: $1]) * Double(value[flat: $1])) }
        return (abs(tape.cost(y) - direct), size)
    }

    @Test(arguments: NormCase.allCases, [true, false])
    func outputCostFromPlaneSumsMatchesTheDotProduct(norm: NormCase, affine: Bool) {
        let float = outputCostError(norm, affine: affine, Float.self)
        #expect(float.error <= 1e-6 * float.size, "Float \(norm): error \(float.error) of \(float.size)")
        let double = outputCostError(norm, affine: affine, Double.self)
        #expect(double.error <= 1e-13 * double.size, "Double \(norm): error \(double.error) of \(double.size)")
    }
}
