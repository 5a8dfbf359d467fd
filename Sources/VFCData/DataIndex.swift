import Foundation

/// One file a dataset could not use, and why.
public struct SkippedImage: Sendable {
    public var path: String
    public var reason: SkipReason
}

/// Where one dataset item's bytes are.
public enum ImageLocation: Sendable, Equatable {
    /// The file named by the entry's `name`.
    case file
    /// `size` bytes at byte `offset` of tar shard `shard` (an index into `DataIndex.shards`).
    case member(shard: Int, offset: Int, size: Int)
    /// An in-memory image (`DataIndex(images:)`, for tests), by position.
    case memory(Int)
}

/// One dataset item: its name (the file path, or `shard.tar/member` for tar shards), where
/// its bytes are, and its class label (-1 when the source has none).
public struct DataEntry: Sendable, Equatable {
    public var name: String
    public var location: ImageLocation
    public var label: Int
}

/// A dataset as an index of image files: names, locations and labels, nothing decoded.
/// Images are read and decoded per batch (`sourceImage`), so memory does not grow with the
/// dataset. Sources (`DataIndex(source:)`):
/// - a directory: every .jpg / .jpeg / .png under it, recursively, following symlinks (see
///   `FolderScan`); a file in a top-level subdirectory has that subdirectory's position
///   among the sorted subdirectory names as its label (torchvision's ImageFolder);
/// - a text file: one image path per line (relative to the file's directory), optionally
///   a tab and an integer label; blank lines and lines starting with `#` are ignored;
/// - tar shards: `dir/train-{000000..000146}.tar` or a single `.tar` (WebDataset layout:
///   members grouped by key, the part of the name before the first dot of its last
///   component; a key's .jpg / .jpeg / .png member is the image, its .cls member the label).
///
/// Files that cannot be used are reported once each through `warn` and listed in
/// `skipped`: at indexing (dangling symlinks, symlink loops, unreadable directories) and
/// when a batch first reads them (unreadable, corrupt, truncated or oversized images).
public final class DataIndex: Sendable {
    /// What `--data` named.
    public let source: String
    /// The directory names are relative to in `fingerprint`.
    public let root: String
    public let entries: [DataEntry]
    /// Class names, in label order (empty when the source has no labels).
    public let classes: [String]
    /// The tar shard files, for `.member` locations.
    public let shards: [String]
    /// How an epoch walks the items.
    public let order: EpochOrder
    /// Decoding limits, and the budget all workers' decodes share.
    public let limits: DecodeLimits
    public let budget: DecodeBudget
    let memoryImages: [RGBImage]
    let log: SkipLog
    let epochs = EpochOrderCache()

    /// The number of items.
    public var count: Int { entries.count }
    /// Every item's name, in index order.
    public var paths: [String] { entries.map(\.name) }
    /// The files skipped so far, in the order they were found.
    public var skipped: [SkippedImage] { log.all }

    init(source: String, root: String, entries: [DataEntry], classes: [String], shards: [String], order: EpochOrder,
         limits: DecodeLimits, memoryImages: [RGBImage], skipped: [SkippedImage], warn: @escaping (String) -> Void) throws {
        self.source = source
        self.root = root
        self.entries = entries
        self.classes = classes
        self.shards = shards
        self.order = order
        self.limits = limits
        self.budget = DecodeBudget(limit: limits.maxDecodeBytes)
        self.memoryImages = memoryImages
        self.log = SkipLog(warn: warn)
        for s in skipped { log.record(entry: nil, s) }
        guard !entries.isEmpty else {
            throw DatasetError.noImages(source: source, skipped: skipped.count)
        }
    }

    /// Indexes `source` (a directory, a list file or tar shards; see the type's comment).
    /// Only names and sizes are read here; nothing is decoded.
    public convenience init(source: String, limits: DecodeLimits = .standard, shuffleBuffer: Int = 10_000,
                            skipTruncatedShards: Bool = false, warn: @escaping (String) -> Void = { _ in }) throws {
        if TarShards.isShardSpec(source) {
            let t = try TarShards.index(spec: source, skipTruncated: skipTruncatedShards)
            try self.init(source: source, root: t.root, entries: t.entries, classes: [], shards: t.shards,
                          order: .shardBuffer(shards: t.ranges, buffer: shuffleBuffer), limits: limits,
                          memoryImages: [], skipped: t.skipped, warn: warn)
            return
        }
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: source, isDirectory: &isDir) else {
            throw DatasetError.noSuchSource(source)
        }
        if isDir.boolValue {
            let found = try FolderScan.scan(root: source)
            let prefix = source.hasSuffix("/") ? source : source + "/"
            let classNames = Set(found.paths.compactMap { p -> String? in
                let rel = p.dropFirst(prefix.count)
                guard let slash = rel.firstIndex(of: "/") else { return nil }
                return String(rel[..<slash])
            }).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            let label = Dictionary(uniqueKeysWithValues: classNames.enumerated().map { ($1, $0) })
            let entries = found.paths.map { p -> DataEntry in
                let rel = p.dropFirst(prefix.count)
                let cls = rel.firstIndex(of: "/").map { String(rel[..<$0]) }
                return DataEntry(name: p, location: .file, label: cls.flatMap { label[$0] } ?? -1)
            }
            try self.init(source: source, root: source, entries: entries, classes: classNames, shards: [],
                          order: .uniform, limits: limits, memoryImages: [], skipped: found.skipped, warn: warn)
        } else {
            let list = try ListFile.read(path: source)
            try self.init(source: source, root: list.root, entries: list.entries, classes: [], shards: [],
                          order: .uniform, limits: limits, memoryImages: [], skipped: list.skipped, warn: warn)
        }
    }

    /// A dataset of images already in memory (for tests; each is resized to S on use).
    public convenience init(images: [RGBImage], names: [String]? = nil) throws {
        guard !images.isEmpty else { throw DatasetError.emptyDataset }
        let names = names ?? images.indices.map { "image\($0)" }
        try self.init(source: "<memory>", root: "", entries: images.indices.map {
            DataEntry(name: names[$0], location: .memory($0), label: -1)
        }, classes: [], shards: [], order: .uniform, limits: .standard, memoryImages: images, skipped: [], warn: { _ in })
    }

    /// The raw bytes of item `i`.
    public func bytes(_ i: Int) throws -> [UInt8] {
        let e = entries[i]
        switch e.location {
        case .file:
            return try FileBytes.read(path: e.name)
        case .member(let shard, let offset, let size):
            return try FileBytes.read(path: shards[shard], offset: offset, count: size, name: e.name)
        case .memory:
            throw ImageCodecError(path: e.name, .inMemory)
        }
    }

    /// Item `i` as an S x S source image (decoded, shorter side resized to S, centre crop).
    public func sourceImage(_ i: Int, size: Int, dctScaling: Bool = false) throws -> RGBImage {
        if case .memory(let m) = entries[i].location {
            let image = memoryImages[m]
            return (image.width == size && image.height == size) ? image : image.resizedAndCenterCropped(to: size)
        }
        return try ImageDecoding.sourceImage(try bytes(i), path: entries[i].name, size: size, limits: limits,
                                             budget: budget, dctScaling: dctScaling)
    }

    /// The first readable item at or after `i` (wrapping around) as an S x S source, with
    /// its index. An unreadable item is warned about and recorded once, then passed over:
    /// which items are unreadable depends only on their bytes, so the substitution (like
    /// everything in a batch) does not depend on timing or the worker count.
    public func readableSource(from i: Int, size: Int, dctScaling: Bool = false) throws -> (index: Int, image: RGBImage) {
        for step in 0..<count {
            let j = (i + step) % count
            if log.isBad(j) { continue }
            do {
                return (j, try sourceImage(j, size: size, dctScaling: dctScaling))
            } catch {
                log.record(entry: j, SkippedImage(path: entries[j].name, reason: SkipReason(reading: error)))
            }
        }
        throw DatasetError.noReadableImages(source: source, skipped: log.all.count)
    }

    /// FNV-1a (64-bit, hex) of the item names relative to the root, newline-separated (and
    /// of the shuffle buffer size, for tar shards): detects a changed dataset or order when
    /// a sampler state is restored.
    public var fingerprint: String {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        let prefix = root.isEmpty ? "" : (root.hasSuffix("/") ? root : root + "/")
        for e in entries {
            let rel = e.name.hasPrefix(prefix) ? e.name.utf8.dropFirst(prefix.utf8.count) : e.name.utf8[...]
            for byte in rel { h = (h ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
            h = (h ^ 10) &* 0x0000_0100_0000_01B3
        }
        if case .shardBuffer(_, let buffer) = order {  // the buffer size shapes the order
            for byte in "shuffle_buffer=\(buffer)\n".utf8 { h = (h ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        }
        let hex = String(h, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}

/// The skipped files of a dataset, shared by the workers: each one is warned about once.
final class SkipLog: @unchecked Sendable {
    private let lock = NSLock()
    private var list: [SkippedImage] = []
    private var bad: Set<Int> = []
    private let warn: (String) -> Void

    init(warn: @escaping (String) -> Void) { self.warn = warn }

    var all: [SkippedImage] { lock.withLock { list } }
    func isBad(_ i: Int) -> Bool { lock.withLock { bad.contains(i) } }

    /// Records a skipped file (`entry` nil: found while indexing) and warns, once per file.
    func record(entry: Int?, _ s: SkippedImage) {
        lock.withLock {
            if let entry {
                guard bad.insert(entry).inserted else { return }
            }
            list.append(s)
            warn("skipping \(s.path): \(s.reason)")
        }
    }
}
