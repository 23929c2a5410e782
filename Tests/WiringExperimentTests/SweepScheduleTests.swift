// plan's wall time of a sweep: runs side by side with cores / jobs threads, the freed cores handed to
// the last runs; worked by hand for runs that take 150 s on 1 thread and 100 s on 2.
import Testing
@testable import WiringCluster
@testable import WiringExperiment
@testable import WiringReport
@testable import WiringRun
@testable import WiringSpec

@Suite struct SweepScheduleTests {
    /// A run of `scale` times 150 s on 1 thread, 100 s on 2 or more.
    func run(_ scale: Double) -> (Int) -> Double { { threads in scale * (threads >= 2 ? 100 : 150) } }

    @Test func threeRunsOnTwoCoresGiveTheLastOneBothCores() {
        // Two side by side end at 150 s; the third then runs alone on 2 threads: 100 s more.
        let wall = SweepSchedule.wallSeconds([run(1), run(1), run(1)], jobs: 2, cores: 2, ownThreads: [2, 2, 2])
        #expect(abs(wall - 250) < 1e-6)
        // One after another at their own 2 threads.
        #expect(abs(SweepSchedule.wallSeconds([run(1), run(1), run(1)], jobs: 1, cores: 2, ownThreads: [2, 2, 2]) - 300)
                < 1e-6)
    }

    @Test func aRunLeftAloneSpeedsUpForWhatIsLeftOfIt() {
        // A (60 s on 1 thread) and B (150 s) start together; C (150 s) follows A at 60 s, so B and C run
        // side by side until B ends at 150 s with C 90/150 done; C's last 40 % then takes 0.4 * 100 s.
        let wall = SweepSchedule.wallSeconds([run(0.4), run(1), run(1)], jobs: 2, cores: 2, ownThreads: [2, 2, 2])
        #expect(abs(wall - 190) < 1e-6)
        #expect(SweepSchedule.defaultJobs(runs: 3, cores: 2) == 2 && SweepSchedule.defaultJobs(runs: 1, cores: 2) == 1)
    }
}
