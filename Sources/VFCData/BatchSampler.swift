import Dispatch
import VFCIR
import VFCTensor

/// One batch in method.md section 7's layout (or rows `rows` of it), with where it came from.
public struct Batch: Sendable {
    /// The batch's position in the run (0, 1, 2, ...).
    public let index: Int
    /// Which rows of the whole batch these are (0..<B unless a slice was asked for).
    public let rows: Range<Int>
    /// `global_views` [R,Vg,3,G,G] F32, `local_views` [R,Vl,3,L,L] F32, `boxes` [R,Vg+Vl,4]
    /// F32 (x0, y0, w, h; globals first), `flips` [R,Vg+Vl] U8, `content_masks` [R,Vg,n,n]
    /// U8, `position_masks` [R,Vg,n,n] U8, R = rows.count. (The step's scalars lr,
    /// weight_decay and teacher_momentum are the trainer's to add.)
    public let tensors: [String: Tensor]
    /// Which dataset items (indices into `DataIndex.entries`) the rows are: the sampler's
    /// choice, or the next readable item when that one could not be decoded.
    public let imageIndices: [Int]
    /// Their class labels (-1 where the dataset has none).
    public let labels: [Int]
    /// The sampler state after this batch: store it with the checkpoint of the step that
    /// consumed this batch, and a restored sampler continues with batch `index + 1`.
    public let stateAfter: String
}

/// Produces the training batches of method.md sections 1 and 7 from a `DataIndex`,
/// decoding each batch's images when the batch is made.
///
/// Determinism: image order is a seeded permutation per epoch (`EpochOrder`; the stream of
/// images is epoch 0's permutation, then epoch 1's, ...; batch k is items kB ..< (k+1)B of
/// that stream, so a batch may straddle two epochs), and every random draw of batch k comes
/// from streams seeded by (seed, k, row) and (seed, k) (`RandomStreams`). Batch k is
/// therefore a pure function of (dataset, config, k), whoever computes which rows, and the
/// complete state is the next batch index: `state` / `restore(state:)` save and restore it.
public struct BatchSampler: Sendable {
    public let dataset: DataIndex
    public let config: BatchConfig
    /// The index of the batch `next()` returns.
    public private(set) var nextBatch: Int = 0

    public init(dataset: DataIndex, config: BatchConfig) throws {
        try config.validate()
        self.dataset = dataset
        self.config = config
    }

    /// The next batch; advances the state.
    public mutating func next() throws -> Batch {
        let b = try batch(at: nextBatch)
        nextBatch += 1
        return b
    }

    // MARK: State

    /// The complete iteration state, e.g.
    /// `vfc-data-sampler/1 next_batch=12 images=34 paths=9f3a... S=64 P=8 ... normalize=1`.
    public var state: String { stateString(nextBatch: nextBatch) }

    func stateString(nextBatch: Int) -> String {
        var words = [BatchSampler.stateTag, "next_batch=\(nextBatch)", "images=\(dataset.count)",
                     "paths=\(fingerprint)"]
        words += config.fields.map { "\($0.0)=\($0.1)" }
        return words.joined(separator: " ")
    }

    /// The dataset fingerprint, computed once per sampler (it reads every name).
    private let fingerprintBox = Lazy<String>()
    var fingerprint: String { fingerprintBox.value { dataset.fingerprint } }

    static let stateTag = "vfc-data-sampler/1"

    /// Restores a state written by `state` (or `Batch.stateAfter`): the following batches
    /// are identical to those of an uninterrupted run. Throws when the string is malformed
    /// or was written for another dataset (image count or paths) or another config.
    public mutating func restore(state text: String) throws {
        let words = text.split(separator: " ").map(String.init)
        guard words.first == BatchSampler.stateTag else {
            throw DatasetError.notSamplerState(text)
        }
        var values: [String: String] = [:]
        for w in words.dropFirst() {
            guard let eq = w.firstIndex(of: "="), values[String(w[..<eq])] == nil else {
                throw DatasetError.malformedStateWord(w)
            }
            values[String(w[..<eq])] = String(w[w.index(after: eq)...])
        }
        guard let nb = values["next_batch"].flatMap({ Int($0) }), nb >= 0 else {
            throw DatasetError.missingNextBatch
        }
        let expected = stateString(nextBatch: nb)
        if expected != words.joined(separator: " ") {
            var mine: [String: String] = [:]
            for w in expected.split(separator: " ").dropFirst() {
                let p = w.split(separator: "=", maxSplits: 1)
                mine[String(p[0])] = String(p[1])
            }
            let diffs = mine.keys.sorted().filter { mine[$0] != values[$0] }.map {
                "\($0) is \(mine[$0]!) here, \(values[$0] ?? "missing") in the state"
            }
            throw DatasetError.stateMismatch(diffs)
        }
        nextBatch = nb
    }

    // MARK: Batches

    /// The dataset item the sampler picks for each row of batch `k` (before unreadable
    /// items are replaced).
    public func imageIndices(batch k: Int) -> [Int] {
        let n = dataset.count, b = config.batchSize
        var perms: [Int: [Int]] = [:]
        return (0..<b).map { slot in
            let item = k * b + slot
            let epoch = item / n
            if perms[epoch] == nil {
                perms[epoch] = dataset.epochs.permutation(seed: config.seed, epoch: epoch) {
                    dataset.order.permutation(count: n, seed: config.seed, epoch: epoch)
                }
            }
            return perms[epoch]![item % n]
        }
    }

    /// Rows `rows` (default: all B) of batch `k`, a pure function of the dataset, config,
    /// k and the rows: the rows of a slice are bit-identical to the same rows of the whole
    /// batch (masks are drawn for the whole batch, then sliced). Images are decoded in
    /// parallel on `threads` threads (default: all cores); the result does not depend on it.
    public func batch(at k: Int, rows: Range<Int>? = nil, threads: Int? = nil) throws -> Batch {
        let build = try startBatch(k, rows: rows)
        let errors = ErrorSlot()
        let count = build.rows.count
        let workers = Swift.max(1, Swift.min(count, threads ?? count))
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            for r in stride(from: w, to: count, by: workers) {
                do { try fillRow(build, row: build.rows.lowerBound + r) } catch { errors.set(error) }
            }
        }
        if let e = errors.error { throw e }
        return finishBatch(build)
    }

    /// Begins batch `k` (rows `rows`): the buffers its rows are written into.
    func startBatch(_ k: Int, rows: Range<Int>?) throws -> BatchBuild {
        precondition(k >= 0, "negative batch index")
        let rows = rows ?? 0..<config.batchSize
        guard rows.lowerBound >= 0, rows.upperBound <= config.batchSize, !rows.isEmpty else {
            throw DatasetError.rows(rows, batchSize: config.batchSize)
        }
        return BatchBuild(index: k, rows: rows, planned: Array(imageIndices(batch: k)[rows]), config: config)
    }

    /// Decodes row `row`'s image and writes its views into `build`.
    func fillRow(_ build: BatchBuild, row: Int) throws {
        let r = row - build.rows.lowerBound
        let (index, image) = try dataset.readableSource(from: build.planned[r], size: config.imageSize,
                                                        dctScaling: config.dctScaling)
        build.setImage(r, index: index, label: dataset.entries[index].label)
        makeViews(image: image, batch: build.index, slot: row, into: build.outputs, at: r)
    }

    /// The finished batch: masks drawn for all B rows, then sliced to `build.rows`.
    func finishBatch(_ build: BatchBuild) -> Batch {
        var tensors = build.viewTensors
        let (content, position) = Masks.batchMasks(config: config, batch: build.index)
        tensors["content_masks"] = content.rows(build.rows)
        tensors["position_masks"] = position.rows(build.rows)
        return Batch(index: build.index, rows: build.rows, tensors: tensors, imageIndices: build.indices,
                     labels: build.labels, stateAfter: stateString(nextBatch: build.index + 1))
    }

    /// The Vg + Vl views of one image (row `slot` of batch `k`), written into the batch
    /// buffers at row `r`. Draws per view, in order: the box, the flip, the photometric
    /// augmentation.
    func makeViews(image: RGBImage, batch k: Int, slot: Int, into out: ViewOutputs, at r: Int) {
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
            let dst = global ? out.g + (r * Vg + v) * count : out.l + (r * c.localViews + (v - Vg)) * count
            for i in 0..<count { dst[i] = Double(pixels[i]) }
            let bi = (r * V + v) * 4
            out.boxes[bi] = Double(box.x0); out.boxes[bi + 1] = Double(box.y0)
            out.boxes[bi + 2] = Double(box.w); out.boxes[bi + 3] = Double(box.h)
            out.flips[r * V + v] = flip ? 1 : 0
        }
    }
}
