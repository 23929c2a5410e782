// WiringLab: presentation only (not part of the code version)
// How fast this machine runs the supernet next to the one StepCostTable was measured on. The table's
// milliseconds hold only on its own host: the same code ran 1.45x slower on the development VM one day
// than the day before, and another CPU differs more. So `plan` times a fixed small step (HostSpeed.probe)
// for a fraction of a second and scales every estimate by the ratio of that time to the table's
// `host_probe` row, which the bench measures with the same function beside the other rows. It sees the
// machine, not other work that will share it: with two busy loops on 2 cores it read x0.95 while the run
// took 3x as long (a short new process is scheduled first).
import Foundation
import WiringEngine
import WiringModel

public enum HostSpeed {
    /// The table row that holds the probe's milliseconds per image on the table's host.
    public static let tableBlock = "host_probe"
    /// The probe's batch (milliseconds are reported per image of it).
    static let batch = 16
    /// Seconds `plan` spends on the probe (the bench gives it longer).
    public static let planBudget = 0.3

    /// Median wall milliseconds per image of the probe step: a DSNAS probe step (forward, backward, every
    /// cost) of one minimal cell at C = 8 on 16 x 16 colour images, at one thread, after one warm-up step,
    /// repeated until `budget` seconds have passed (at least 3 and at most `maximumSteps` timed steps).
    /// One thread because that is the machine's speed per core, which a 2-thread step doubles on any host.
    public static func probe(budget: Double, maximumSteps: Int = 400) -> Double {
        var config = NetworkConfig(cell: .minimal)
        config.cells = 1
        config.channels = 8
        config.inputChannels = 3
        var rng = RNG(seed: 7)
        let net = Supernet<Float>(config: config, rng: &rng)
        let images = Tensor<Float>.normal(shape: [batch, 3, 16, 16], rng: &rng)
        let labels = (0..<batch).map { $0 % config.numClasses }
        let domains = (try? config.edgeDomains()) ?? []
        var sampler = UniformSampler()
        let tape = Tape<Float>()
        // One thread, whatever the caller runs at: the probe's row is a one-thread row.
        func step() {
            let architecture = sampler.sample(domains: domains, cells: config.cells, rng: &rng)
            tape.reset()
            Parallel.$threads.withValue(1) {
                _ = net.step(tape: tape, images: images, labels: labels, architecture: architecture)
            }
        }
        step()
        var times: [Double] = []
        let start = DispatchTime.now().uptimeNanoseconds
        repeat {
            let t0 = DispatchTime.now().uptimeNanoseconds
            step()
            times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
        } while times.count < maximumSteps
            && (times.count < 3 || Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 < budget)
        return times.sorted()[times.count / 2] / Double(batch)
    }

    /// How many times slower this host is than the table's: `measured` (the probe here) over the table's
    /// probe row, kept within [1/20, 100] so that one disturbed probe cannot make an estimate absurd; 1 when
    /// the table has no probe row or the measurement is not a positive number.
    public static func factor(measured: Double, table: StepCostTable) -> Double {
        let reference = table.cost(tableBlock, threads: 1).forwardBackward
        guard reference > 0, measured > 0, measured.isFinite else { return 1 }
        return min(100, max(0.05, measured / reference))
    }
}
