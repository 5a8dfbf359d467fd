import Foundation
import VFCTensor

/// The order in which an epoch visits the dataset, a pure function of (seed, epoch).
public enum EpochOrder: Sendable, Equatable {
    /// A uniform random permutation of all items (image folders, list files).
    case uniform
    /// Tar shards read sequentially: the shards in a random order, their members in file
    /// order through a shuffle buffer of `buffer` items (WebDataset's scheme: each new item
    /// replaces a random one of the full buffer, which is emitted; at the end the rest of the
    /// buffer comes out in random order). `shards` are the index ranges of each shard's
    /// members. Reads stay within `buffer` items of the sequential position.
    case shardBuffer(shards: [Range<Int>], buffer: Int)

    /// Epoch `epoch`'s permutation of 0..<n.
    func permutation(count n: Int, seed: UInt64, epoch: Int) -> [Int] {
        var rng = RandomStreams.rng(seed: seed, .epochOrder, epoch)
        switch self {
        case .uniform:
            return RandomStreams.permutation(n, rng: &rng)
        case .shardBuffer(let shards, let size):
            var out: [Int] = []
            out.reserveCapacity(n)
            var buffer: [Int] = []
            buffer.reserveCapacity(Swift.max(1, size))
            for s in RandomStreams.permutation(shards.count, rng: &rng) {
                for item in shards[s] {
                    if buffer.count < Swift.max(1, size) {
                        buffer.append(item)
                    } else {
                        let j = rng.nextInt(below: buffer.count)
                        out.append(buffer[j])
                        buffer[j] = item
                    }
                }
            }
            for j in RandomStreams.permutation(buffer.count, rng: &rng) { out.append(buffer[j]) }
            return out
        }
    }
}

/// The last few epoch permutations, by (seed, epoch), computed once and shared by the
/// workers and by every sampler of the dataset (each batch reads one or two epochs;
/// recomputing a permutation of a million items per batch would cost more than the batch).
final class EpochOrderCache: @unchecked Sendable {
    private struct Key: Equatable { var seed: UInt64; var epoch: Int }
    private let lock = NSLock()
    private var cached: [(key: Key, order: [Int])] = []

    func permutation(seed: UInt64, epoch: Int, make: () -> [Int]) -> [Int] {
        let key = Key(seed: seed, epoch: epoch)
        if let hit = lock.withLock({ cached.first { $0.key == key }?.order }) { return hit }
        let order = make()
        lock.withLock {
            if !cached.contains(where: { $0.key == key }) {
                cached.append((key, order))
                if cached.count > 4 { cached.removeFirst() }
            }
        }
        return order
    }
}
