import Dispatch
import Foundation
import VFCData
import VFCTensor

/// One labelled object of an image: its class and box (x0, y0, w, h) in source pixels.
public struct ObjectBox: Sendable, Equatable, Codable {
    public var classId: Int
    public var x0: Double, y0: Double, w: Double, h: Double

    public init(classId: Int, x0: Double, y0: Double, w: Double, h: Double) {
        self.classId = classId
        (self.x0, self.y0, self.w, self.h) = (x0, y0, w, h)
    }
}

/// A folder of images with the labels the probes use:
/// - with a `labels.json` of `vfc data synth` in the folder: the image's class is the class of
///   its largest object (bbox area; the first on a tie), and its boxes are every object's
///   bbox, scaled from the labels' image size to the source side;
/// - otherwise ImageFolder class subfolders give the classes (no boxes); images directly in
///   the folder have none.
public final class EvalDataset {
    public let path: String
    public let index: DataIndex
    /// Class names, in label order (empty when the data has no class labels).
    public let classes: [String]
    /// Each entry's class, -1 when it has none.
    public let labels: [Int]
    /// Each entry's objects in pixels of an image of side `boxSide`; nil without labels.json.
    public let boxes: [[ObjectBox]]?
    let boxSide: Int
    let warn: (String) -> Void

    public init(path: String, warn: @escaping (String) -> Void) throws {
        self.path = path
        self.warn = warn
        index = try DataIndex(source: path, warn: warn)
        let labelsPath = (path as NSString).appendingPathComponent("labels.json")
        guard let data = FileManager.default.contents(atPath: labelsPath) else {
            classes = index.classes
            labels = index.entries.map(\.label)
            boxes = nil
            boxSide = 0
            return
        }
        let file: SynthDataset.Labels
        do {
            file = try JSONDecoder().decode(SynthDataset.Labels.self, from: data)
        } catch {
            throw EvalError.invalidLabels(path: labelsPath, underlying: error)
        }
        let prefix = path.hasSuffix("/") ? path : path + "/"
        var byFile: [String: SynthDataset.Labels.Entry] = [:]
        for e in file.images { byFile[e.file] = e }
        var labels: [Int] = [], boxes: [[ObjectBox]] = []
        for e in index.entries {
            let rel = e.name.hasPrefix(prefix) ? String(e.name.dropFirst(prefix.count)) : e.name
            guard let entry = byFile[rel] else {
                throw EvalError.unlabelledImage(labels: labelsPath, image: rel)
            }
            let objects = entry.objects.map { o in
                ObjectBox(classId: o.classId, x0: Double(o.bbox[0]), y0: Double(o.bbox[1]), w: Double(o.bbox[2]), h: Double(o.bbox[3]))
            }
            var largest = -1, area = -1.0
            for o in objects where o.w * o.h > area { (largest, area) = (o.classId, o.w * o.h) }
            labels.append(largest)
            boxes.append(objects)
        }
        classes = file.classes
        self.labels = labels
        self.boxes = boxes
        boxSide = file.size
    }

    public var count: Int { index.count }
    public var hasClassLabels: Bool { labels.contains { $0 >= 0 } }

    /// The boxes of entry `i` in pixels of a source of side `side`.
    public func boxes(_ i: Int, side: Int) -> [ObjectBox] {
        guard let boxes else { return [] }
        let s = Double(side) / Double(max(boxSide, 1))
        return boxes[i].map { ObjectBox(classId: $0.classId, x0: $0.x0 * s, y0: $0.y0 * s, w: $0.w * s, h: $0.h * s) }
    }

    /// The source images (S x S, decoded as the training pipeline does) of `indices`, in
    /// parallel; unreadable files are warned about and left out, so the result lists the
    /// indices it kept.
    public func sources(_ indices: [Int], side: Int) -> (kept: [Int], images: [RGBImage]) {
        let slots = Slots<Result<RGBImage, Error>>(count: indices.count)
        let index = self.index
        DispatchQueue.concurrentPerform(iterations: indices.count) { k in
            slots.set(k, Result { try index.sourceImage(indices[k], size: side) })
        }
        var kept: [Int] = [], images: [RGBImage] = []
        for (k, i) in indices.enumerated() {
            switch slots.get(k)! {
            case .success(let img):
                kept.append(i)
                images.append(img)
            case .failure(let e):
                warn("skipping \(index.entries[i].name): \((e as? ImageCodecError)?.message ?? "\(e)")")
            }
        }
        return (kept, images)
    }

    /// The indices of the entries, split into train and validation: `fraction` of them
    /// (rounded) are validation, chosen by a permutation seeded by `seed`; both sorted.
    public static func split(count: Int, fraction: Double, seed: UInt64) -> (train: [Int], val: [Int]) {
        var rng = RNG(seed: seed ^ 0x5eed_0f_e7a1)
        var order = Array(0..<count)
        order.shuffle(using: &rng)
        let nVal = Int((fraction * Double(count)).rounded())
        return (Array(order[nVal...]).sorted(), Array(order[..<nVal]).sorted())
    }
}

/// A whole source image as the encoder sees it: planar [3, S, S], ImageNet-normalised.
public func wholeView(_ image: RGBImage) -> [Float] {
    var v = ViewGeometry.resample(image, box: CropBox(x0: 0, y0: 0, w: image.width, h: image.height), side: image.width, flip: false)
    Photometric.normalize(&v, side: image.width)
    return v
}

/// Results written from several threads into their own slots.
final class Slots<T>: @unchecked Sendable {
    private var values: [T?]
    private let lock = NSLock()
    init(count: Int) { values = Array(repeating: nil, count: count) }
    func set(_ i: Int, _ v: T) { lock.lock(); values[i] = v; lock.unlock() }
    func get(_ i: Int) -> T? { lock.lock(); defer { lock.unlock() }; return values[i] }
}
