import Foundation
import VFCTensor

/// The content and position masks of method.md section 1, on an n x n patch grid,
/// row-major, 1 = masked. Same logic as Tests/fixtures/ssl/make_batch.py (`block_mask`
/// and the position-mask loop); the random streams differ (NumPy's vs xoshiro256**).
public enum Masks {
    /// Content-mask ratio range (fraction of the n^2 patches targeted).
    public static let ratioRange = (0.1, 0.5)
    /// Position-mask fraction: exactly round(0.25 n^2) patches.
    public static let positionFraction = 0.25

    /// iBOT/BEiT block mask targeting `ratio * n^2` patches: blocks of at least
    /// `(n / 3)^2` patches (integer division, as iBOT), area uniform in [low, remaining],
    /// aspect log-uniform in [0.3, 1/0.3], 10 tries per block; a block is kept when it
    /// adds between 1 and `remaining` new patches; stops when the target is reached or
    /// 10 tries add nothing.
    public static func blockMask(n: Int, ratio: Double, rng: inout RNG) -> [UInt8] {
        var mask = [UInt8](repeating: 0, count: n * n)
        let high = ratio * Double(n * n)
        let low = Double((n / 3) * (n / 3))
        let logLo = log(0.3), logHi = log(1 / 0.3)
        var count = 0
        while Double(count) < high {
            let maxPatches = high - Double(count)
            var delta = 0
            for _ in 0..<10 {
                let target = low + (maxPatches - low) * rng.nextDouble()
                let aspect = exp(rng.uniform(lo: logLo, hi: logHi))
                let h = Int((target * aspect).squareRoot().rounded(.toNearestOrEven))
                let w = Int((target / aspect).squareRoot().rounded(.toNearestOrEven))
                if w < n && h < n {
                    let top = rng.nextInt(below: n - h + 1)
                    let left = rng.nextInt(below: n - w + 1)
                    var already = 0
                    for y in top..<(top + h) { for x in left..<(left + w) { already += Int(mask[y * n + x]) } }
                    let added = h * w - already
                    if added > 0 && Double(added) <= maxPatches {
                        delta += added
                        for y in top..<(top + h) { for x in left..<(left + w) { mask[y * n + x] = 1 } }
                    }
                }
                if delta > 0 { break }
            }
            if delta == 0 { break }
            count += delta
        }
        return mask
    }

    /// The number of position-masked patches of an n x n view: round(0.25 n^2) (never a
    /// tie: n^2 mod 4 is 0 or 1).
    public static func positionCount(n: Int) -> Int {
        Int((positionFraction * Double(n * n)).rounded())
    }

    /// Exactly `positionCount(n:)` patches chosen uniformly (the first ones of a random
    /// permutation of the n^2 patches).
    public static func positionMask(n: Int, rng: inout RNG) -> [UInt8] {
        var mask = [UInt8](repeating: 0, count: n * n)
        let perm = RandomStreams.permutation(n * n, rng: &rng)
        for p in perm.prefix(positionCount(n: n)) { mask[p] = 1 }
        return mask
    }
}

extension Masks {
    /// The content masks [B,Vg,n,n] and position masks [B,Vg,n,n] of batch `k`: a random
    /// permutation of the B * Vg global views, the first floor(B * Vg / 2) of which get a
    /// block mask; then a position mask on every global view; all from the (seed, k) stream.
    static func batchMasks(config c: BatchConfig, batch k: Int) -> (content: Tensor, position: Tensor) {
        let B = c.batchSize, Vg = c.globalViews, n = c.patchesPerSide
        var rng = RandomStreams.rng(seed: c.seed, .batchMasks, k)
        var content = Tensor(dtype: .u8, shape: [B, Vg, n, n])
        var position = Tensor(dtype: .u8, shape: [B, Vg, n, n])
        let total = B * Vg, grid = n * n
        content.withUnsafeMutableBufferPointer { buf in
            for v in RandomStreams.permutation(total, rng: &rng).prefix(total / 2) {
                let ratio = rng.uniform(lo: ratioRange.0, hi: ratioRange.1)
                let m = blockMask(n: n, ratio: ratio, rng: &rng)
                for p in 0..<grid { buf[v * grid + p] = Double(m[p]) }
            }
        }
        position.withUnsafeMutableBufferPointer { buf in
            for v in 0..<total {
                let m = positionMask(n: n, rng: &rng)
                for p in 0..<grid { buf[v * grid + p] = Double(m[p]) }
            }
        }
        return (content, position)
    }
}
