// Fixed pseudo-random operands for the kernel tests that compare bit patterns: the same values on every
// machine and run, with no RNG state to thread through.
@testable import WiringEngine

/// `count` values in [-1, 1) from a linear congruential sequence started at `seed`.
func pseudoRandomValues<T: TensorElement>(_ count: Int, seed: UInt64, as _: T.Type) -> [T] {
    var state = seed
    return (0..<count).map { _ in
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return T(Double(state >> 11) / Double(1 << 53) * 2 - 1)
    }
}
