// `Supernet.trainThetaStep`, the theta step of the runner's train phase and of DSNAS, against the
// reference's semantics written out by hand: the gradients of an independent pass (a twin network),
// torch's clip_grad_norm_ coefficient, SGD with momentum and L2 decay on every parameter (unused ones
// with a zero gradient), and the running-statistics refresh that touches nothing but buffers and
// moves every batch norm once.
import Foundation
import Testing
import WiringEngine
import WiringModel
@testable import WiringSearch

@Suite struct ThetaTrainingTests {
    /// One cell, edge 0 takes the conv, the others skip or none: the pool and conv ops elsewhere are unused.
    func setUp() -> (Supernet<Double>, Supernet<Double>, Batch, Architecture) {
        let network = tinyNetwork()
        var rng = RNG(seed: 21)
        let net = Supernet<Double>(config: network, rng: &rng)
        let twin = Supernet<Double>(config: network, rng: &rng)
        twin.parameters = net.parameters
        let batch = randomBatch(&rng, labels: [1, 0, 3, 2])
        return (net, twin, batch, .shared([.op(3), .op(1), .op(0), .op(2), .op(1)], cells: 1))
    }

    @Test(arguments: [nil, 5.0, 1e-3])
    func usedParametersFollowTheClippedGradientAndUnusedOnesDecay(clip: Double?) throws {
        let (net, twin, batch, architecture) = setUp()
        let (lr, mu, wd) = (0.05, 0.9, 0.01)
        var sgd = SGD<Double>(config: SGDConfig(lr: lr, momentum: mu, weightDecay: wd, gradClip: clip))
        let theta0 = net.parameters

        // The independent gradients, norm and clip coefficient.
        let tape = Tape<Double>()
        let (trace, _) = twin.step(tape: tape, images: batch.images, labels: batch.labels, architecture: architecture)
        let g = twin.gradients(trace: trace, tape: tape)
        let norm = g.values.reduce(0.0) { $0 + $1.scalars.reduce(0) { $0 + $1 * $1 } }.squareRoot()
        let coefficient = clip.map { min(1, $0 / (norm + 1e-6)) } ?? 1
        #expect(clip != 1e-3 || coefficient < 0.1, "the small clip must bite")

        let record = net.trainThetaStep(tape: Tape(), batch: batch, architecture: architecture, sgd: &sgd, lr: lr)
        #expect(abs(record.gradientNorm - norm) <= 1e-12 * norm)
        let unused = "cells.0._ops.2._ops.3.op.1.weight"  // edge 2 took none: its conv never ran
        #expect(g[unused] == nil, "the pass must not touch \(unused)")
        for name in theta0.names {
            let p0 = theta0[name]!.scalars
            let d = (0..<p0.count).map { i in (g[name]?.scalars[i] ?? 0) * coefficient + wd * p0[i] }
            let expected = zip(p0, d).map { $0 - lr * $1 }
            #expect(approx(net.parameters[name]!.scalars, expected, 1e-12), "\(name) after one step")
        }
        // Second step, gradient-free for the unused conv: d = wd p1, buf = mu d0 + d, p2 = p1 - lr buf.
        let p0 = theta0[unused]!.scalars, p1 = net.parameters[unused]!.scalars
        net.trainThetaStep(tape: Tape(), batch: batch, architecture: architecture, sgd: &sgd, lr: lr)
        let p2 = (0..<p0.count).map { i in p1[i] - lr * (mu * wd * p0[i] + wd * p1[i]) }
        #expect(approx(net.parameters[unused]!.scalars, p2, 1e-14))
    }

    @Test func skipMissingGradientsLeavesUnusedParametersAlone() throws {
        let (net, _, batch, architecture) = setUp()
        var sgd = SGD<Double>(config: SGDConfig(skipMissingGradients: true))
        let unused = "cells.0._ops.2._ops.3.op.1.weight", used = "cells.0._ops.0._ops.3.op.1.weight"
        let before = net.parameters
        net.trainThetaStep(tape: Tape(), batch: batch, architecture: architecture, sgd: &sgd, lr: 0.025)
        #expect(net.parameters[unused]!.scalars == before[unused]!.scalars)
        #expect(net.parameters[used]!.scalars != before[used]!.scalars)
    }

    @Test func refreshChangesOnlyRunningStatisticsOfEveryOp() throws {
        let (net, twin, batch, architecture) = setUp()
        var sgd = SGD<Double>(config: SGDConfig()), twinSGD = sgd
        net.trainThetaStep(tape: Tape(), batch: batch, architecture: architecture, sgd: &sgd, lr: 0.025,
                           refreshRunningStatistics: true)
        twin.trainThetaStep(tape: Tape(), batch: batch, architecture: architecture, sgd: &twinSGD, lr: 0.025,
                            refreshRunningStatistics: false)
        for name in net.parameters.names {
            #expect(net.parameters[name]!.scalars == twin.parameters[name]!.scalars, "\(name): the refresh moved theta")
        }
        let refreshed = net.parameters.buffers, plain = twin.parameters.buffers
        // Edge 1 took skip: its avg pool (op 2) ran only in the refresh; edge 2 took none: likewise.
        for name in ["cells.0._ops.1._ops.2.op.1.running_mean", "cells.0._ops.2._ops.2.op.1.running_var"] {
            #expect(plain[name]!.scalars.allSatisfy { $0 == (name.hasSuffix("var") ? 1 : 0) },
                    "\(name): untouched without the refresh")
            #expect(refreshed[name]!.scalars != plain[name]!.scalars, "\(name): the refresh must update it")
        }
        // Norms the child ran move once either way, at theta before the step (the refresh replaces the
        // child's update, it does not add to it): the same statistics with and without the refresh.
        for name in ["stem.1.running_mean", "cells.0.preprocess1.op.2.running_var", "cells.0._ops.0._ops.3.op.3.running_mean",
                     "cells.0._ops.3._ops.2.op.1.running_var"] {
            #expect(approx(refreshed[name]!.scalars, plain[name]!.scalars, 1e-12), "\(name): updated once, at theta_0")
            #expect(plain[name]!.scalars.contains { $0 != (name.hasSuffix("var") ? 1 : 0) }, "\(name): the pass updates it")
        }
    }
}
