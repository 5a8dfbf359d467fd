import Foundation
import VFCIR

/// A deterministic, seedable random number generator: xoshiro256** (Blackman & Vigna),
/// with its 256-bit state filled from the seed by SplitMix64.
///
/// Chosen over `SystemRandomNumberGenerator` because initial weights, masks and flips
/// must be reproducible from a seed on every platform and Swift version. The integer
/// stream, `nextDouble` and `uniform` are bit-exact everywhere (integer arithmetic and
/// exact conversions only). `normal` uses `log` and `cos` from the platform's libm,
/// which glibc and Darwin round faithfully; a last-bit difference is possible in
/// principle and disappears after rounding to f32 in all but vanishingly rare cases.
public struct RNG: RandomNumberGenerator, Sendable, Hashable {
    var s0, s1, s2, s3: UInt64

    public init(seed: UInt64) {
        // SplitMix64 spreads any seed (0 included) over the state; xoshiro must not
        // start from all zeros, and SplitMix64 cannot produce four zero words in a row.
        var x = seed
        func splitmix() -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s0 = splitmix()
        s1 = splitmix()
        s2 = splitmix()
        s3 = splitmix()
    }

    static func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    public mutating func nextUInt64() -> UInt64 {
        let result = RNG.rotl(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = RNG.rotl(s3, 45)
        return result
    }

    /// `RandomNumberGenerator` conformance, so `Int.random(in:using:)` and friends work.
    public mutating func next() -> UInt64 { nextUInt64() }

    /// Uniform in [0, 1) with 53 random bits: every value is a multiple of 2^-53.
    public mutating func nextDouble() -> Double {
        Double(nextUInt64() >> 11) * 0x1p-53
    }

    /// Uniform in [lo, hi).
    public mutating func uniform(lo: Double, hi: Double) -> Double {
        lo + (hi - lo) * nextDouble()
    }

    /// A standard normal sample by Box-Muller. Consumes exactly two `UInt64`s and
    /// discards the sine half, so the stream position never depends on call history.
    public mutating func normal() -> Double {
        // 1 - u is in (0, 1], keeping log away from zero.
        let u1 = 1 - nextDouble()
        let u2 = nextDouble()
        return (-2 * Foundation.log(u1)).squareRoot() * Foundation.cos(2 * Double.pi * u2)
    }

    /// A normal sample with standard deviation `std`, redrawn until it lies within
    /// ±2 std: `torch.nn.init.trunc_normal_(std: s, a: -2s, b: 2s)`.
    public mutating func truncatedNormal(std: Double) -> Double {
        while true {
            let z = normal()
            // About 95% of draws pass, so the loop ends after ~1.05 draws on average.
            if abs(z) <= 2 { return z * std }
        }
    }

    /// Uniform integer in [0, bound), without modulo bias (Lemire's method).
    public mutating func nextInt(below bound: Int) -> Int {
        precondition(bound > 0, "nextInt(below:) needs a positive bound, got \(bound)")
        let n = UInt64(bound)
        var product = nextUInt64().multipliedFullWidth(by: n)
        if product.low < n {
            let threshold = (0 &- n) % n
            while product.low < threshold {
                product = nextUInt64().multipliedFullWidth(by: n)
            }
        }
        return Int(product.high)
    }
}

extension Tensor {
    /// A tensor filled by `draw`, elements in row-major order, rounded to `dtype`.
    static func generated(dtype: DType, shape: [Int], _ draw: () -> Double) -> Tensor {
        var t = Tensor(dtype: dtype, shape: shape)
        t.withUnsafeMutableBufferPointer { buf in
            for i in buf.indices { buf[i] = Tensor.round(draw(), to: dtype) }
        }
        return t
    }

    /// Normal samples with the given mean and standard deviation.
    public static func randomNormal(dtype: DType, shape: [Int], mean: Double = 0, std: Double,
                                    rng: inout RNG) -> Tensor {
        generated(dtype: dtype, shape: shape) { mean + std * rng.normal() }
    }

    /// Uniform samples in [lo, hi).
    public static func randomUniform(dtype: DType, shape: [Int], lo: Double, hi: Double,
                                     rng: inout RNG) -> Tensor {
        generated(dtype: dtype, shape: shape) { rng.uniform(lo: lo, hi: hi) }
    }

    /// Normal samples cut at ±2 std around `mean` (the ViT weight initializer).
    public static func randomTruncatedNormal(dtype: DType, shape: [Int], mean: Double = 0, std: Double,
                                             rng: inout RNG) -> Tensor {
        generated(dtype: dtype, shape: shape) { mean + rng.truncatedNormal(std: std) }
    }

    /// Uniform integers in [0, below), for masks, flips and indices.
    public static func randomInts(dtype: DType, shape: [Int], below: Int, rng: inout RNG) -> Tensor {
        generated(dtype: dtype, shape: shape) { Double(rng.nextInt(below: below)) }
    }
}
