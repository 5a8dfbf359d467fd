import VFCTensor

/// Independent, seekable random streams: every random decision of the pipeline draws from
/// an `RNG` seeded by a hash of (seed, purpose, indices), never from one long sequential
/// stream. So batch k's content depends only on (seed, k), images of a batch can be
/// prepared in parallel, and the complete sampler state is the seed and a batch counter.
enum RandomStreams {
    /// Purposes, so that streams for different uses never coincide.
    enum Purpose: UInt64 {
        case epochOrder = 1, imageViews = 2, batchMasks = 3, synthImage = 4
    }

    /// SplitMix64's finaliser: a bijective 64-bit mixer.
    static func mix(_ x: UInt64) -> UInt64 {
        var z = x &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// The stream for `purpose` and `indices` under `seed`.
    static func rng(seed: UInt64, _ purpose: Purpose, _ indices: Int...) -> RNG {
        var h = mix(seed ^ 0x5646_4344_6174_6121)  // "VFCData!"
        h = mix(h ^ purpose.rawValue)
        for i in indices { h = mix(h ^ UInt64(bitPattern: Int64(i))) }
        return RNG(seed: h)
    }

    /// A uniformly random permutation of 0..<n (Fisher-Yates, forward, as NumPy's shuffle
    /// is not: streams cannot be shared with NumPy anyway).
    static func permutation(_ n: Int, rng: inout RNG) -> [Int] {
        var p = Array(0..<n)
        if n < 2 { return p }
        for i in stride(from: n - 1, to: 0, by: -1) {
            let j = rng.nextInt(below: i + 1)
            p.swapAt(i, j)
        }
        return p
    }
}
