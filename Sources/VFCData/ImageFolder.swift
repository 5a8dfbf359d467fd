import Dispatch
import Foundation

/// Errors that make a dataset unusable (as opposed to single bad files, which are skipped).
public struct DatasetError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// One file an `ImageFolder` could not use, and why.
public struct SkippedImage: Sendable, Equatable {
    public var path: String
    public var reason: String
}

/// An ImageFolder-style dataset: every .jpg / .jpeg / .png (any letter case) under a
/// directory, recursively, in sorted path order, decoded once and kept in memory as
/// S x S RGB floats in [0, 1] (shorter side resized to S with antialiasing, then centre
/// crop; see `RGBImage.resizedAndCenterCropped`).
///
/// Labels (sub-directory names) are not used: the method is self-supervised. Files that
/// cannot be decoded (corrupt, truncated, unsupported) are skipped; each one is reported
/// once through the `warn` callback and listed in `skipped`. A directory with no usable
/// image is an error.
public final class ImageFolder: Sendable {
    /// The source image side S.
    public let size: Int
    /// The directory that was scanned.
    public let root: String
    /// The paths of the images in `images`, sorted.
    public let paths: [String]
    /// The decoded source images, S x S, one per path.
    public let images: [RGBImage]
    /// Files with a matching extension that could not be decoded, in path order.
    public let skipped: [SkippedImage]

    public var count: Int { images.count }

    /// Scans `directory`, decodes and resizes every image (in parallel; the result does not
    /// depend on the thread count). `warn` receives one line per skipped file, in path
    /// order, e.g. `skipping photos/bad.jpg: damaged JPEG: Premature end of JPEG file`.
    public init(directory: String, size: Int, warn: (String) -> Void = { _ in }) throws {
        guard size > 0 else { throw DatasetError("image size must be positive, got \(size)") }
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDir), isDir.boolValue else {
            throw DatasetError("\(directory): not a directory")
        }
        let files = try ImageFolder.scan(directory: directory)
        guard !files.isEmpty else {
            throw DatasetError("no images (.jpg, .jpeg, .png) found under \(directory)")
        }
        let results = ImageFolder.decodeAll(files, size: size)
        var paths: [String] = [], images: [RGBImage] = [], skipped: [SkippedImage] = []
        for (path, result) in zip(files, results) {
            switch result {
            case .success(let image):
                paths.append(path)
                images.append(image)
            case .failure(let error):
                let reason = (error as? ImageCodecError)?.message ?? "\(error)"
                skipped.append(SkippedImage(path: path, reason: reason))
                warn("skipping \(path): \(reason)")
            }
        }
        guard !images.isEmpty else {
            throw DatasetError("no readable images under \(directory) (\(skipped.count) file(s) skipped)")
        }
        self.size = size
        self.root = directory
        self.paths = paths
        self.images = images
        self.skipped = skipped
    }

    /// A dataset from images already in memory (each is resized to `size` if needed).
    public init(images: [RGBImage], size: Int, names: [String]? = nil) throws {
        guard size > 0 else { throw DatasetError("image size must be positive, got \(size)") }
        guard !images.isEmpty else { throw DatasetError("an empty dataset") }
        self.size = size
        self.root = ""
        self.paths = names ?? images.indices.map { "image\($0)" }
        self.images = images.map { ($0.width == size && $0.height == size) ? $0 : $0.resizedAndCenterCropped(to: size) }
        self.skipped = []
    }

    /// The image files under `directory` (recursive, following no symlinked directories),
    /// sorted by path so that every machine sees the same order.
    public static func scan(directory: String) throws -> [String] {
        let fm = FileManager.default
        guard let e = fm.enumerator(atPath: directory) else {
            throw DatasetError("\(directory): cannot list the directory")
        }
        var found: [String] = []
        while let rel = e.nextObject() as? String {
            let ext = (rel as NSString).pathExtension.lowercased()
            guard ImageDecoding.extensions.contains(ext) else { continue }
            let full = (directory as NSString).appendingPathComponent(rel)
            var isDir: ObjCBool = false
            if fm.fileExists(atPath: full, isDirectory: &isDir), !isDir.boolValue { found.append(full) }
        }
        // Byte-wise order of the UTF-8 paths: locale-independent.
        return found.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
    }

    static func decodeAll(_ files: [String], size: Int) -> [Result<RGBImage, Error>] {
        let slots = ResultSlots(count: files.count)
        DispatchQueue.concurrentPerform(iterations: files.count) { i in
            let r = Result { try ImageDecoding.read(path: files[i]).resizedAndCenterCropped(to: size) }
            slots.set(i, r)
        }
        return slots.values
    }
}

/// Per-index results written by parallel workers (each index by one worker only).
final class ResultSlots: @unchecked Sendable {
    private var slots: [Result<RGBImage, Error>?]
    private let lock = NSLock()
    init(count: Int) { slots = Array(repeating: nil, count: count) }
    func set(_ i: Int, _ r: Result<RGBImage, Error>) { lock.withLock { slots[i] = r } }
    var values: [Result<RGBImage, Error>] { lock.withLock { slots.map { $0! } } }
}
