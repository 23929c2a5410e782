// The tape itself, on small graphs of several ops: gradients against central differences of the loss (a tensor used
// by several ops gets the sum of their gradients), an input used twice by one op, and tensors that no gradient
// reaches (a constant, a leaf not on the root's path) have none.
import Testing
@testable import WiringEngine
import WiringTestSupport

@Suite struct TapeTests {
    @Test func rngIsDeterministicAndCodable() throws {
        var a = RNG(seed: 42)
        _ = a.next()
        var b = a
        #expect(a.next() == b.next())
        #expect(RNG(seed: 1, stream: "x") != RNG(seed: 1, stream: "y"))
    }

    /// x -> relu(linear(x, w1, b1)) = h;  y = h + 0.5 h (h read by two ops);  z = linear(y, w2);  cross-entropy.
    static func smallNetwork(_ tape: Tape<Double>, _ v: [Var]) -> Var {
        let h = tape.relu(tape.linear(v[0], weight: v[1], bias: v[2]))
        let y = tape.add(h, tape.scale(h, by: 0.5))
        return tape.crossEntropy(tape.linear(y, weight: v[3], bias: nil), labels: [2, 0, 1])
    }

    @Test func gradientsOfASmallNetworkMatchCentralDifferences() throws {
        var rng = RNG(seed: 11)
        let inputs = [[3, 4], [5, 4], [5], [3, 5]].map { Tensor<Double>.normal(shape: $0, rng: &rng) }
        let report = checkGradients(inputs: inputs, h: 1e-6) { tape, v in Self.smallNetwork(tape, v) }
        #expect(report.maxError.count == 4)
        #expect(report.worst < 1e-7, "\(report)")
    }

    @Test func anInputUsedTwiceByOneOpGetsBothContributions() throws {
        let tape = Tape<Double>()
        let x = tape.leaf(Tensor(shape: [2, 3], scalars: [1, -2, 3, 0.5, 4, -1]))
        let out = tape.add(x, x)
        let upstream = Tensor<Double>(shape: [2, 3], scalars: [0.25, 1, -3, 2, 0, 7])
        tape.backward(out, seed: upstream)
        #expect(tape.gradient(x)?.scalars == upstream.scalars.map { 2 * $0 })
    }

    @Test func tensorsNoGradientReachesHaveNone() throws {
        var rng = RNG(seed: 5)
        let tape = Tape<Double>()
        let x = tape.constant(Tensor<Double>.normal(shape: [3, 4], rng: &rng))
        let w = tape.leaf(Tensor<Double>.normal(shape: [2, 4], rng: &rng))
        let unused = tape.leaf(Tensor<Double>.normal(shape: [2, 4], rng: &rng))
        let sideBranch = tape.relu(tape.linear(x, weight: unused, bias: nil))  // recorded, but not on the root's path
        let loss = tape.crossEntropy(tape.linear(x, weight: w, bias: nil), labels: [0, 1, 1])
        tape.backward(loss)
        #expect(tape.gradient(w) != nil)
        #expect(tape.gradient(x) == nil, "a constant gets no gradient")
        #expect(tape.gradient(unused) == nil, "a leaf off the root's path gets no gradient")
        #expect(tape.gradient(sideBranch) == nil)
        #expect(!tape.requiresGrad(x))
    }

    /// A backward with a keep list keeps the leaves' gradients and the listed tensors', bit for bit those of a
    /// backward that keeps all, gives the rest back (they read as none), and reuses their buffers.
    @Test func aKeepListGivesTheOtherGradientsBackAndChangesNoKeptOne() throws {
        var rng = RNG(seed: 5)
        // A chain of equal-sized tensors, so that a given-back buffer fits the next gradient.
        let inputs = [[3, 4], [4, 4], [4, 4], [3, 4]].map { Tensor<Double>.normal(shape: $0, rng: &rng) }
        func pass(keep: Bool) -> (tape: Tape<Double>, leaves: [Var], hidden: Var, logits: Var) {
            let tape = Tape<Double>()
            let v = inputs.map { tape.leaf($0) }
            let hidden = tape.relu(tape.linear(v[0], weight: v[1], bias: nil))
            let deeper = tape.relu(tape.linear(hidden, weight: v[2], bias: nil))
            let logits = tape.linear(deeper, weight: v[3], bias: nil)
            let loss = tape.crossEntropy(logits, labels: [2, 0, 1])
            tape.backward(loss, keepingGradientsOf: keep ? [hidden] : nil)
            return (tape, v, hidden, logits)
        }
        let all = pass(keep: false), kept = pass(keep: true)
        for (a, b) in zip(all.leaves, kept.leaves) {
            #expect(kept.tape.gradient(b)?.scalars == all.tape.gradient(a)?.scalars)
        }
        #expect(kept.tape.gradient(kept.hidden)?.scalars == all.tape.gradient(all.hidden)?.scalars)
        #expect(kept.tape.cost(kept.hidden) == all.tape.cost(all.hidden))
        #expect(all.tape.gradient(all.logits) != nil)
        #expect(kept.tape.gradient(kept.logits) == nil, "a gradient nobody asked to keep was kept")
        #expect(kept.tape.allocatedElements < all.tape.allocatedElements, "the given-back buffers were not reused")
    }
}

