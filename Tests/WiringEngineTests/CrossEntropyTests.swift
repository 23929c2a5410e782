import Foundation
import Testing
@testable import WiringEngine
import WiringTestSupport

// Oracles: finite differences, the identity C = L - H (reference-spec §6.3), and values for a 2x3
// example computed by hand (digits from an independent float64 evaluation of the formulas).

@Suite struct CrossEntropyTests {
    /// Logits [[1 2 3] [0 0 0]], labels [2 1].
    /// Row 0: lse = 3 + log(1 + e^-1 + e^-2), p = exp(y - lse) = [0.0900306, 0.2447285, 0.6652410],
    /// L = lse - 3, H = lse - sum p y, C = sum p y - 3.
    /// Row 1: uniform, L = H = log 3, C = 0; the first of the tied maxima (class 0) is the
    /// prediction, so it is wrong.
    let logits = Tensor<Double>(shape: [2, 3], scalars: [1, 2, 3, 0, 0, 0])
    let labels = [2, 1]
    let p0 = [0.09003057317038043, 0.24472847105479759, 0.6652409557748217]

    @Test func sampleStatisticsHandComputed() {
        let s = sampleStatistics(logits: logits, labels: labels)
        let expected = (loss: [0.4076059644443806, 1.0986122886681098],
                        entropy: [0.8323955818399389, 1.0986122886681098],
                        cost: [-0.4247896173955592, 0.0])
        for b in 0..<2 {
            #expect(abs(s.loss[b] - expected.loss[b]) < 1e-14, "L[\(b)]")
            #expect(abs(s.entropy[b] - expected.entropy[b]) < 1e-14, "H[\(b)]")
            #expect(abs(s.cost[b] - expected.cost[b]) < 1e-14, "C[\(b)]")
        }
        #expect(s.correct == [true, false])
    }

    @Test func crossEntropyHandComputed() {
        let tape = Tape<Double>()
        let y = tape.leaf(logits)
        let loss = tape.crossEntropy(y, labels: labels)
        #expect(tape.shape(loss) == [])
        #expect(abs(tape.value(loss).scalar - 0.7531091265562452) < 1e-14)  // (L0 + L1) / 2
        tape.backward(loss)
        // dL/dY = (softmax - onehot) / B.
        let third = 1.0 / 3
        let expected = [p0[0] / 2, p0[1] / 2, (p0[2] - 1) / 2, third / 2, (third - 1) / 2, third / 2]
        let g = tape.gradient(y)!.scalars
        for i in 0..<6 { #expect(abs(g[i] - expected[i]) < 1e-14, "dY[\(i)]") }
    }

    // h = 1e-6 on a smooth function of logits ~N(0, 4): the second-order error of central
    // differences is ~h^2, rounding ~1e-10; 1e-7 leaves margin.
    @Test func crossEntropyBackwardMatchesFiniteDifferences() {
        var rng = RNG(seed: 1)
        let y = Tensor<Double>.normal(shape: [5, 7], std: 2, rng: &rng)
        let report = checkGradients(inputs: [y]) { tape, v in tape.crossEntropy(v[0], labels: [0, 6, 3, 3, 1]) }
        #expect(report.worst < 1e-7, "\(report)")
    }

    @Test func costEqualsLossMinusEntropy() {
        var rng = RNG(seed: 2)
        let y = Tensor<Double>.normal(shape: [32, 10], std: 3, rng: &rng)
        let labels = (0..<32).map { _ in rng.index(below: 10) }
        let s = sampleStatistics(logits: y, labels: labels)
        for b in 0..<32 { #expect(abs(s.cost[b] - (s.loss[b] - s.entropy[b])) < 1e-12, "sample \(b)") }
        // Correct means the label is the (first) argmax, computed here independently.
        for b in 0..<32 {
            let row = (0..<10).map { y[flat: b * 10 + $0] }
            #expect(s.correct[b] == (row.firstIndex(of: row.max()!) == labels[b]))
        }
    }

    @Test func largeLogitsStayFinite() {
        // Logits ~1e4: a naive softmax overflows and log(p) of an underflowed p is -inf.
        let y = Tensor<Double>(shape: [2, 3], scalars: [1e4, 0, -1e4, 1e4, 1e4 - 1, -1e4])
        let s = sampleStatistics(logits: y, labels: [1, 0])
        // Row 0: p = [1, e^-1e4, 0] to double precision; L = 1e4, H = 0 and C = 1e4 - 0 = L - H.
        #expect(s.loss[0] == 1e4 && s.entropy[0] == 0 && s.cost[0] == 1e4)
        // Row 1: two classes 1 apart: L = log(1 + e^-1), H = log(1 + e^-1) + e^-1 / (1 + e^-1).
        // Both are differences of numbers near 1e4, whose spacing is 2e-12: tolerance 1e-10.
        let l1 = log(1 + exp(-1.0)), q = exp(-1.0) / (1 + exp(-1.0))
        #expect(abs(s.loss[1] - l1) < 1e-10 && abs(s.entropy[1] - (l1 + q)) < 1e-10)
        #expect(abs(s.cost[1] - (-q)) < 1e-10)  // (1 - q) 1e4 + q (1e4 - 1) - 1e4 = -q
        // The training loss in Float: finite, with finite gradients.
        let t = Tape<Float>()
        let v = t.leaf(y.converted(to: Float.self))
        let loss = t.crossEntropy(v, labels: [1, 0])
        t.backward(loss)
        #expect(t.value(loss).scalar.isFinite && t.gradient(v)!.scalars.allSatisfy(\.isFinite))
        #expect(abs(Double(t.value(loss).scalar) - (1e4 + l1) / 2) < 1e-2)  // Float spacing at 5e3: 5e-4
    }

    @Test func floatCrossEntropyAgreesWithDoubleAndThreadCountsAgree() {
        var rng = RNG(seed: 3)
        let y = Tensor<Double>.normal(shape: [16, 10], std: 2, rng: &rng)
        let labels = (0..<16).map { _ in rng.index(below: 10) }
        func run<T: TensorElement>(_: T.Type, threads: Int) -> [Double] { withThreads(threads) {
            let tape = Tape<T>()
            let v = tape.leaf(y.converted(to: T.self))
            let loss = tape.crossEntropy(v, labels: labels)
            tape.backward(loss)
            return [Double(tape.value(loss).scalar)] + tape.gradient(v)!.scalars.map { Double($0) }
        } }
        let (f, d) = (run(Float.self, threads: 1), run(Double.self, threads: 1))
        // The math is done in Double from Float logits rounded by ~1e-7 relative (|Y| < 8):
        // the loss moves by ~1e-6, gradients (< 1/16) by less.
        #expect(zip(f, d).allSatisfy { abs($0 - $1) < 1e-5 })
        #expect(run(Float.self, threads: 2) == f)
    }
}
