// `wiringlab plan --pilot FILE.h5`: how long a probe phase with `until_sign_known` will run, from a pilot
// run's cost statistics. An (edge, op) whose cost has mean m and standard deviation s needs about
// n = (z s / |m|)^2 draws (at least `min_samples`) before mean ± z s / sqrt(n) excludes 0; drawn
// uniformly among its edge's k allowed ops it gets one draw per k steps, so the phase needs about
// max over (edge, op) of n k steps (capped by its length). A rough guide: the real stopping time is random.
import Foundation
import WiringResults

/// The pilot-based estimate for one probe phase with `until_sign_known`.
public struct SignKnownEstimate: Equatable, Sendable {
    public var run: String
    public var phase: String
    /// Estimated steps until every sign is known (nil when the pilot has no cost for some counted op).
    public var steps: Int?
    /// The (edge, op) that needs the most steps, and its estimated draws.
    public var slowest: (edge: String, op: String, draws: Int)?
    /// The phase's length.
    public var cap: Int

    public static func == (a: Self, b: Self) -> Bool {
        a.run == b.run && a.phase == b.phase && a.steps == b.steps && a.cap == b.cap
            && a.slowest?.edge == b.slowest?.edge && a.slowest?.op == b.slowest?.op && a.slowest?.draws == b.slowest?.draws
    }

    /// One line for `plan`.
    public var line: String {
        guard let steps, let slowest else {
            return "\(run) \(phase): the pilot has no cost for every counted (edge, op); no estimate"
        }
        let capped = steps > cap ? "; the cap of \(cap) steps will stop it first" : ""
        return "\(run) \(phase): every sign known after ~\(min(steps, cap)) steps (slowest \(slowest.edge) "
            + "\(slowest.op), ~\(slowest.draws) draws)\(capped)"
    }

    /// The estimates for every probe phase of `plan` with `until_sign_known`, from the pilot result file's
    /// `summary/cost_*` of its last probe phase (per cell, edge and op).
    /// - Throws: `ResultsError` when the pilot cannot be read (one line, as every result-file error).
    public static func estimates(plan: ExperimentPlan, pilot: String) throws -> [SignKnownEstimate] {
        let file = try HDF5File(reading: pilot)
        defer { file.close() }
        let mean = try file.dataset("summary/cost_mean").read(Double.self)
        let sem = try file.dataset("summary/cost_sem").read(Double.self).values
        let count = try file.dataset("summary/cost_count").read(Int.self).values
        let edges = try file.dataset("edges").readStrings().values, ops = try file.dataset("ops").readStrings().values
        // The pilot's last phase that sampled (its cost counts are the probe's draws).
        let shape = mean.shape  // phases, cells, edges, ops
        let block = shape[1] * shape[2] * shape[3]
        guard let pilotPhase = (0..<shape[0]).last(where: { p in count[p * block..<(p + 1) * block].contains { $0 > 1 } }) else {
            return []
        }
        var result: [SignKnownEstimate] = []
        for run in plan.runs {
            let domains = (try? run.config.network.edgeDomains()) ?? []
            let none = run.config.network.ops.firstIndex(of: .none)
            let perEpoch = run.config.data.batchesPerEpoch
            for phase in run.config.phases {
                guard case let .probe(settings) = phase.work, let sign = settings.untilSignKnown else { continue }
                var estimate = SignKnownEstimate(run: run.id, phase: phase.name, steps: 0, slowest: nil,
                                                 cap: phase.steps(batchesPerEpoch: perEpoch))
                outer: for c in 0..<shape[1] {
                    for (e, domain) in domains.enumerated() where !domain.deleted && e < shape[2] {
                        for o in domain.allowed where o != none {
                            // The pilot's op of the same name (its op list may differ).
                            guard let po = ops.firstIndex(of: run.config.network.ops[o].rawValue) else {
                                estimate.steps = nil; break outer
                            }
                            let i = pilotPhase * block + (c * shape[2] + e) * shape[3] + po
                            guard count[i] > 1, mean.values[i] != 0 else { estimate.steps = nil; break outer }
                            let sd = sem[i] * Double(count[i]).squareRoot()
                            let ratio = sign.z * sd / abs(mean.values[i])
                            let draws = max(sign.minSamples, Int((ratio * ratio).rounded(.up)))
                            let steps = draws * domain.allowed.count
                            if steps > estimate.steps! {
                                estimate.steps = steps
                                estimate.slowest = (edges[e], ops[po], draws)
                            }
                        }
                    }
                }
                result.append(estimate)
            }
        }
        return result
    }
}
