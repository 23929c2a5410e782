// The tail of a `--jobs N` sweep: a child raises its threads to the share its parent publishes,
// at most once a second, never above the cores and never below what it has.
import Foundation
import Testing
import WiringEngine
@testable import WiringExperiment

@Suite(.serialized) struct SweepThreadShareTests {
    @Test func aChildTakesThePublishedShareButNeverLessNorMoreThanTheCores() throws {
        let saved = Parallel.threads
        defer { Parallel.threads = saved }
        let file = SweepThreadShare.newFile()
        defer { try? FileManager.default.removeItem(at: file) }
        #expect(SweepThreadShare.Follower(environment: [:]) == nil, "outside a sweep there is nothing to follow")
        let follower = try #require(SweepThreadShare.Follower(environment: [SweepThreadShare.environmentKey: file.path],
                                                             cores: 4))
        Parallel.threads = 2
        let start = Date()
        follower.poll(now: start)  // no file yet
        #expect(Parallel.threads == 2)
        SweepThreadShare.publish(3, to: file)
        follower.poll(now: start.addingTimeInterval(0.5))  // within the second: not looked at
        #expect(Parallel.threads == 2)
        #expect(follower.poll(now: start.addingTimeInterval(1.5)) == 3)
        #expect(Parallel.threads == 3)
        SweepThreadShare.publish(1, to: file)  // a lower share is not taken
        follower.poll(now: start.addingTimeInterval(3))
        #expect(Parallel.threads == 3)
        SweepThreadShare.publish(16, to: file)  // capped at the cores
        follower.poll(now: start.addingTimeInterval(4.5))
        #expect(Parallel.threads == 4)
        try Data("garbage".utf8).write(to: file)  // unreadable: ignored
        follower.poll(now: start.addingTimeInterval(6))
        #expect(Parallel.threads == 4)
    }
}
