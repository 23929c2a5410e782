// A seeded, deterministic random number generator whose whole state is a Codable value, so a
// checkpoint can store it and a resumed run continues the exact same stream.
// Algorithm: xoshiro256** (Blackman & Vigna), seeded through SplitMix64.

/// Deterministic pseudo-random generator (xoshiro256**). Value type: copying it forks the stream.
public struct RNG: RandomNumberGenerator, Codable, Hashable, Sendable {
    public var state: [UInt64]

    /// A generator whose stream is fully determined by `seed`.
    public init(seed: UInt64) {
        var sm = seed
        func splitMix() -> UInt64 {
            sm &+= 0x9E37_79B9_7F4A_7C15
            var z = sm
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        state = [splitMix(), splitMix(), splitMix(), splitMix()]
    }

    /// An independent stream derived from this seed and a label (e.g. "data", "init", "sample").
    public init(seed: UInt64, stream: String) {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325  // FNV-1a of the label, mixed into the seed
        for byte in stream.utf8 { h = (h ^ UInt64(byte)) &* 0x100_0000_01B3 }
        self.init(seed: seed ^ h)
    }

    public mutating func next() -> UInt64 {
        let result = rotl(state[1] &* 5, 7) &* 9
        let t = state[1] << 17
        state[2] ^= state[0]
        state[3] ^= state[1]
        state[1] ^= state[2]
        state[0] ^= state[3]
        state[2] ^= t
        state[3] = rotl(state[3], 45)
        return result
    }

    private func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// Uniform in [0, 1) with 53 random bits.
    public mutating func uniform() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    /// Uniform in [lo, hi).
    public mutating func uniform(_ lo: Double, _ hi: Double) -> Double { lo + (hi - lo) * uniform() }

    /// Standard normal (Box-Muller; one of the pair is used, so the stream position is simple).
    public mutating func normal() -> Double {
        var u1 = uniform()
        while u1 <= 0 { u1 = uniform() }
        let u2 = uniform()
        return (-2 * Double.log(u1)).squareRoot() * Double.cos(2 * .pi * u2)
    }

    /// Standard Gumbel: -log(-log U), U in (0, 1).
    public mutating func gumbel() -> Double {
        var u = uniform()
        while u <= 0 { u = uniform() }
        return -Double.log(-Double.log(u))
    }

    /// An index in `0..<n`, uniform (unbiased by rejection).
    public mutating func index(below n: Int) -> Int {
        precondition(n > 0, "RNG.index(below: \(n))")
        return Int(next(upperBound: UInt64(n)))
    }

    /// An index drawn with probabilities proportional to `weights` (non-negative, not all zero).
    public mutating func categorical(_ weights: [Double]) -> Int {
        let total = weights.reduce(0, +)
        precondition(total > 0, "RNG.categorical: weights sum to \(total)")
        let u = uniform() * total
        var acc = 0.0
        for (i, w) in weights.enumerated() {
            acc += w
            if u < acc { return i }
        }
        return weights.lastIndex { $0 > 0 }!
    }

    /// A deterministic Fisher-Yates permutation of `0..<n`.
    public mutating func permutation(_ n: Int) -> [Int] {
        var p = Array(0..<n)
        if n < 2 { return p }
        for i in stride(from: n - 1, to: 0, by: -1) {
            p.swapAt(i, index(below: i + 1))
        }
        return p
    }
}

extension Tensor {
    /// Elements drawn uniformly from [lo, hi).
    public static func uniform(shape: [Int], lo: Double, hi: Double, rng: inout RNG) -> Tensor {
        var t = Tensor(zeros: shape)
        t.withUnsafeMutableBufferPointer { b in
            for i in b.indices { b[i] = T(rng.uniform(lo, hi)) }
        }
        return t
    }

    /// Elements drawn from N(mean, std^2).
    public static func normal(shape: [Int], mean: Double = 0, std: Double = 1, rng: inout RNG) -> Tensor {
        var t = Tensor(zeros: shape)
        t.withUnsafeMutableBufferPointer { b in
            for i in b.indices { b[i] = T(mean + std * rng.normal()) }
        }
        return t
    }
}
