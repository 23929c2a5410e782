import Testing
@testable import WiringEngine
import WiringTestSupport

private func normal(_ shape: [Int], seed: UInt64) -> Tensor<Double> {
    var rng = RNG(seed: seed)
    return Tensor.normal(shape: shape, rng: &rng)
}

@Suite struct LinearTests {
    // Central differences in Double, h = 1e-6: the layer is bilinear in (x, W), so the difference
    // quotient is exact up to rounding (~1e-9); 1e-7 leaves margin.
    @Test func linearBackwardMatchesFiniteDifferences() {
        let (x, w, b) = (normal([4, 6], seed: 1), normal([3, 6], seed: 2), normal([3], seed: 3))
        let withBias = checkGradients(inputs: [x, w, b]) { tape, v in tape.linear(v[0], weight: v[1], bias: v[2]) }
        let withoutBias = checkGradients(inputs: [x, w]) { tape, v in tape.linear(v[0], weight: v[1], bias: nil) }
        #expect(withBias.worst < 1e-7, "\(withBias)")
        #expect(withoutBias.worst < 1e-7, "\(withoutBias)")
    }

    @Test func linearHandComputed() {
        // x = [[1 2] [3 4]], W = [[1 0] [1 1] [2 -1]] ([out, in] as in PyTorch), b = [0.5 0 -1].
        let tape = Tape<Double>()
        let x = tape.leaf(Tensor(shape: [2, 2], scalars: [1, 2, 3, 4]))
        let w = tape.leaf(Tensor(shape: [3, 2], scalars: [1, 0, 1, 1, 2, -1]))
        let b = tape.leaf(Tensor(shape: [3], scalars: [0.5, 0, -1]))
        let y = tape.linear(x, weight: w, bias: b)
        #expect(tape.shape(y) == [2, 3])
        #expect(tape.value(y).scalars == [1.5, 3, -1, 3.5, 7, 1])
        tape.backward(y, seed: Tensor(shape: [2, 3], scalars: [1, 0, 0, 0, 1, 1]))
        // dx = dy W; dW = dy^T x; db = column sums of dy.
        #expect(tape.gradient(x)!.scalars == [1, 0, 3, 0])
        #expect(tape.gradient(w)!.scalars == [1, 2, 3, 4, 3, 4])
        #expect(tape.gradient(b)!.scalars == [1, 1, 1])
    }

    @Test func linearFlattensTrailingDimensions() {
        // [N, C, 1, 1] behaves as [N, C], as after view(N, -1).
        let tape = Tape<Double>()
        let x = tape.leaf(Tensor(shape: [1, 2, 1, 1], scalars: [1, 2]))
        let w = tape.leaf(Tensor(shape: [1, 2], scalars: [3, 4]))
        #expect(tape.value(tape.linear(x, weight: w, bias: nil)).scalars == [11])
    }

    @Test func floatLinearAgreesWithDoubleAndThreadCountsAgree() {
        let (x, w, seed) = (normal([16, 32], seed: 4), normal([10, 32], seed: 5), normal([16, 10], seed: 6))
        func run<T: TensorElement>(_: T.Type, threads: Int) -> [Tensor<T>] { withThreads(threads) {
            let tape = Tape<T>()
            let (xv, wv) = (tape.leaf(x.converted(to: T.self)), tape.leaf(w.converted(to: T.self)))
            let y = tape.linear(xv, weight: wv, bias: nil)
            tape.backward(y, seed: seed.converted(to: T.self))
            return [tape.value(y), tape.gradient(xv)!, tape.gradient(wv)!]
        } }
        let (f, d) = (run(Float.self, threads: 1), run(Double.self, threads: 1))
        // Sums of 32 (or 16, 10) products of N(0, 1) values, accumulated in Double: the Float
        // error is the rounding of inputs and result, ~1e-6 relative to values of size ~6.
        for k in 0..<3 { #expect(maxAbsDifference(f[k], d[k]) < 1e-5, "result \(k)") }
        #expect(run(Float.self, threads: 2) == f)
    }
}
