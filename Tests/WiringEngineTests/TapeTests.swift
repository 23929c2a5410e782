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
}
