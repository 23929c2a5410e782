// The tail of a `--jobs N` sweep: a child raises its threads to the share its parent publishes,
// at most once a second, never above the cores and never below what it has.
import Foundation
import Testing
@testable import WiringCluster
@testable import WiringExperiment
@testable import WiringReport
@testable import WiringRun
@testable import WiringSpec

@Suite struct SweepThreadShareTests {
    @Test func aChildTakesThePublishedShareButNeverLessNorMoreThanTheCores() throws {
        let file = SweepThreadShare.newFile()
        defer { try? FileManager.default.removeItem(at: file) }
        let follower = SweepThreadShare.Follower(file: file, cores: 4)
        let start = Date()
        #expect(follower.poll(now: start, current: 2) == nil, "no file yet")
        SweepThreadShare.publish(3, to: file)
        #expect(follower.poll(now: start.addingTimeInterval(0.5), current: 2) == nil, "within the second: not looked at")
        #expect(follower.poll(now: start.addingTimeInterval(1.5), current: 2) == 3)
        SweepThreadShare.publish(1, to: file)
        #expect(follower.poll(now: start.addingTimeInterval(3), current: 3) == nil, "a lower share is not taken")
        SweepThreadShare.publish(16, to: file)
        #expect(follower.poll(now: start.addingTimeInterval(4.5), current: 3) == 4, "capped at the cores")
        try Data("garbage".utf8).write(to: file)
        #expect(follower.poll(now: start.addingTimeInterval(6), current: 1) == nil, "an unreadable file is ignored")
    }
}
