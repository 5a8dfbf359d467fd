import Dispatch
import VFCIR
import VFCTensor

/// One batch in method.md section 7's layout, with where it came from.
public struct Batch: Sendable {
    /// The batch's position in the run (0, 1, 2, ...).
    public let index: Int
    /// `global_views` [B,Vg,3,G,G] F32, `local_views` [B,Vl,3,L,L] F32, `boxes` [B,Vg+Vl,4]
    /// F32 (x0, y0, w, h; globals first), `flips` [B,Vg+Vl] U8, `content_masks` [B,Vg,n,n]
    /// U8, `position_masks` [B,Vg,n,n] U8. (The step's scalars lr, weight_decay and
    /// teacher_momentum are the trainer's to add.)
    public let tensors: [String: Tensor]
    /// Which dataset images (indices into `ImageFolder.images`) the B rows are.
    public let imageIndices: [Int]
    /// The sampler state after this batch: store it with the checkpoint of the step that
    /// consumed this batch, and a restored sampler continues with batch `index + 1`.
    public let stateAfter: String
}

/// Produces the training batches of method.md sections 1 and 7 from an `ImageFolder`.
///
/// Determinism: image order is a seeded permutation per epoch (the stream of images is
/// epoch 0's permutation, then epoch 1's, ...; batch k is items kB ..< (k+1)B of that
/// stream, so a batch may straddle two epochs), and every random draw of batch k comes
/// from streams seeded by (seed, k, image slot) and (seed, k) (`RandomStreams`). Batch k is
/// therefore a pure function of (dataset, config, k), and the complete state is the next
/// batch index: `state` / `restore(state:)` save and restore it as a short string.
public struct BatchSampler: Sendable {
    public let dataset: ImageFolder
    public let config: BatchConfig
    /// The index of the batch `next()` returns.
    public private(set) var nextBatch: Int = 0
    /// The slots of each batch this sampler prepares (data parallelism: one rank's share of
    /// the batch); nil for all B. A slice's images, views and masks are those of the same
    /// slots of the whole batch, so the slices of a step make up the batch whatever their
    /// count. Not part of `state`.
    public var slice: Range<Int>? {
        didSet { precondition(slice.map { $0.lowerBound >= 0 && $0.upperBound <= config.batchSize && !$0.isEmpty } ?? true, "slice outside the batch") }
    }

    public init(dataset: ImageFolder, config: BatchConfig) throws {
        try config.validate()
        guard dataset.size == config.imageSize else {
            throw DatasetError("the dataset's images are \(dataset.size)x\(dataset.size), the batch config wants S = \(config.imageSize)")
        }
        self.dataset = dataset
        self.config = config
    }

    /// The next batch; advances the state.
    public mutating func next() -> Batch {
        let b = batch(at: nextBatch)
        nextBatch += 1
        return b
    }

    // MARK: State

    /// The complete iteration state, e.g.
    /// `vfc-data-sampler/1 next_batch=12 images=34 paths=9f3a... S=64 P=8 ... normalize=1`.
    public var state: String { BatchSampler.stateString(nextBatch: nextBatch, dataset: dataset, config: config) }

    static func stateString(nextBatch: Int, dataset: ImageFolder, config: BatchConfig) -> String {
        var words = [BatchSampler.stateTag, "next_batch=\(nextBatch)", "images=\(dataset.count)",
                     "paths=\(dataset.fingerprint)"]
        words += config.fields.map { "\($0.0)=\($0.1)" }
        return words.joined(separator: " ")
    }

    static let stateTag = "vfc-data-sampler/1"

    /// Restores a state written by `state` (or `Batch.stateAfter`): the following batches
    /// are identical to those of an uninterrupted run. Throws when the string is malformed
    /// or was written for another dataset (image count or paths) or another config.
    public mutating func restore(state text: String) throws {
        let words = text.split(separator: " ").map(String.init)
        guard words.first == BatchSampler.stateTag else {
            throw DatasetError("sampler state: not a \(BatchSampler.stateTag) state: \"\(text.prefix(60))\"")
        }
        var values: [String: String] = [:]
        for w in words.dropFirst() {
            guard let eq = w.firstIndex(of: "="), values[String(w[..<eq])] == nil else {
                throw DatasetError("sampler state: malformed word \"\(w)\"")
            }
            values[String(w[..<eq])] = String(w[w.index(after: eq)...])
        }
        guard let nb = values["next_batch"].flatMap({ Int($0) }), nb >= 0 else {
            throw DatasetError("sampler state: missing or invalid next_batch")
        }
        let expected = BatchSampler.stateString(nextBatch: nb, dataset: dataset, config: config)
        if expected != words.joined(separator: " ") {
            // Name what differs.
            var mine: [String: String] = [:]
            for w in expected.split(separator: " ").dropFirst() {
                let p = w.split(separator: "=", maxSplits: 1)
                mine[String(p[0])] = String(p[1])
            }
            let diffs = mine.keys.sorted().filter { mine[$0] != values[$0] }.map {
                "\($0) is \(mine[$0]!) here, \(values[$0] ?? "missing") in the state"
            }
            throw DatasetError("sampler state was saved for another dataset or config: \(diffs.joined(separator: "; "))")
        }
        nextBatch = nb
    }

    // MARK: Batches

    /// The dataset image for each slot of batch `k`.
    public func imageIndices(batch k: Int) -> [Int] {
        let n = dataset.count, b = config.batchSize
        var perms: [Int: [Int]] = [:]
        return (0..<b).map { slot in
            let item = k * b + slot
            let epoch = item / n
            if perms[epoch] == nil {
                var rng = RandomStreams.rng(seed: config.seed, .epochOrder, epoch)
                perms[epoch] = RandomStreams.permutation(n, rng: &rng)
            }
            return perms[epoch]![item % n]
        }
    }

    /// Batch `k` (a pure function of the dataset, config and k), or its `slice`. Images are
    /// prepared in parallel; the result does not depend on the number of threads.
    public func batch(at k: Int) -> Batch {
        precondition(k >= 0, "negative batch index")
        let c = config
        let slots = slice ?? 0..<c.batchSize
        let B = slots.count, Vg = c.globalViews, Vl = c.localViews, V = Vg + Vl
        let G = c.globalSize, L = c.localSize, n = c.patchesPerSide
        let indices = Array(imageIndices(batch: k)[slots])
        var gv = Tensor(dtype: .f32, shape: [B, Vg, 3, G, G])
        var lv = Tensor(dtype: .f32, shape: [B, Vl, 3, L, L])
        var boxes = Tensor(dtype: .f32, shape: [B, V, 4])
        var flips = Tensor(dtype: .u8, shape: [B, V])
        gv.withUnsafeMutableBufferPointer { gbuf in
            lv.withUnsafeMutableBufferPointer { lbuf in
                boxes.withUnsafeMutableBufferPointer { bbuf in
                    flips.withUnsafeMutableBufferPointer { fbuf in
                        let out = ViewOutputs(g: gbuf, l: lbuf, boxes: bbuf, flips: fbuf)
                        DispatchQueue.concurrentPerform(iterations: B) { row in
                            makeViews(image: dataset.images[indices[row]], batch: k, slot: slots.lowerBound + row, row: row, into: out)
                        }
                    }
                }
            }
        }
        // The masks are drawn for the whole batch (they depend on its size), then sliced.
        var masksRNG = RandomStreams.rng(seed: c.seed, .batchMasks, k)
        var content = Tensor(dtype: .u8, shape: [c.batchSize, Vg, n, n])
        var position = Tensor(dtype: .u8, shape: [c.batchSize, Vg, n, n])
        let total = c.batchSize * Vg, grid = n * n
        content.withUnsafeMutableBufferPointer { buf in
            for v in RandomStreams.permutation(total, rng: &masksRNG).prefix(total / 2) {
                let ratio = masksRNG.uniform(lo: Masks.ratioRange.0, hi: Masks.ratioRange.1)
                let m = Masks.blockMask(n: n, ratio: ratio, rng: &masksRNG)
                for p in 0..<grid { buf[v * grid + p] = Double(m[p]) }
            }
        }
        position.withUnsafeMutableBufferPointer { buf in
            for v in 0..<total {
                let m = Masks.positionMask(n: n, rng: &masksRNG)
                for p in 0..<grid { buf[v * grid + p] = Double(m[p]) }
            }
        }
        if slots.count != c.batchSize {
            content = content.rows(slots)
            position = position.rows(slots)
        }
        return Batch(
            index: k,
            tensors: ["global_views": gv, "local_views": lv, "boxes": boxes, "flips": flips,
                      "content_masks": content, "position_masks": position],
            imageIndices: indices,
            stateAfter: BatchSampler.stateString(nextBatch: k + 1, dataset: dataset, config: c))
    }

    /// The Vg + Vl views of one image (slot `slot` of batch `k`), written into row `row` of
    /// the batch. Draws per view, in order: the box, the flip, then the photometric
    /// augmentation.
    func makeViews(image: RGBImage, batch k: Int, slot: Int, row: Int, into out: ViewOutputs) {
        let c = config
        let Vg = c.globalViews, V = Vg + c.localViews
        var rng = RandomStreams.rng(seed: c.seed, .imageViews, k, slot)
        for v in 0..<V {
            let global = v < Vg
            let box = ViewGeometry.randomResizedCrop(
                size: c.imageSize, scale: global ? ViewGeometry.globalScale : ViewGeometry.localScale, rng: &rng)
            let flip = rng.nextDouble() < 0.5
            let side = global ? c.globalSize : c.localSize
            var pixels = ViewGeometry.resample(image, box: box, side: side, flip: flip)
            if c.photometric {
                let kind: Photometric.Kind = !global ? .local : (v == 0 ? .firstGlobal : .otherGlobal)
                Photometric.apply(&pixels, side: side, kind: kind, rng: &rng)
            }
            if c.normalize { Photometric.normalize(&pixels, side: side) }
            let count = 3 * side * side
            let dst = global ? out.g.baseAddress! + (row * Vg + v) * count
                             : out.l.baseAddress! + (row * c.localViews + (v - Vg)) * count
            for i in 0..<count { dst[i] = Double(pixels[i]) }
            let bi = (row * V + v) * 4
            out.boxes[bi] = Double(box.x0); out.boxes[bi + 1] = Double(box.y0)
            out.boxes[bi + 2] = Double(box.w); out.boxes[bi + 3] = Double(box.h)
            out.flips[row * V + v] = flip ? 1 : 0
        }
    }
}

extension Tensor {
    /// Rows `rows` of the first dimension.
    func rows(_ rows: Range<Int>) -> Tensor {
        let inner = shape.dropFirst().reduce(1, *)
        var out = Tensor(dtype: dtype, shape: [rows.count] + shape.dropFirst())
        withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for i in 0..<rows.count * inner { dst[i] = src[rows.lowerBound * inner + i] }
            }
        }
        return out
    }
}

/// The batch buffers parallel workers write into; each worker writes only its own image's
/// disjoint ranges, and the buffers outlive the parallel loop.
struct ViewOutputs: @unchecked Sendable {
    let g: UnsafeMutableBufferPointer<Double>
    let l: UnsafeMutableBufferPointer<Double>
    let boxes: UnsafeMutableBufferPointer<Double>
    let flips: UnsafeMutableBufferPointer<Double>
}

extension ImageFolder {
    /// FNV-1a (64-bit, hex) of the image paths relative to the root, newline-separated:
    /// detects a changed dataset when a sampler state is restored.
    public var fingerprint: String {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        let prefix = root.isEmpty ? "" : (root.hasSuffix("/") ? root : root + "/")
        for p in paths {
            let rel = p.hasPrefix(prefix) ? String(p.dropFirst(prefix.count)) : p
            for byte in rel.utf8 + [10] {
                h ^= UInt64(byte)
                h = h &* 0x0000_0100_0000_01B3
            }
        }
        let hex = String(h, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}
