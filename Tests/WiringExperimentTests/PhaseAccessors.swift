// Test-only shorthands for the settings inside a phase's kind, so expectations read as one line.
import WiringSearch
@testable import WiringCluster
@testable import WiringExperiment
@testable import WiringReport
@testable import WiringRun
@testable import WiringSpec

extension PhaseConfig {
    var sampling: SamplingMode? {
        switch work {
        case let .probe(s): return s.sampling
        case let .train(s): return s.sampling
        case let .eval(s): return s.sampling
        case .search: return nil
        }
    }

    var optimizer: SGDConfig? { work.optimizer }

    var search: SearchConfig? {
        if case let .search(s) = work { return s.search }
        return nil
    }
}
