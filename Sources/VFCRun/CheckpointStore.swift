import Foundation
import VFCIR
import VFCTensor

/// A checkpoint found on disk and read back.
public struct Checkpoint: Sendable {
    public var step: Int
    public var path: String
    public var file: SafetensorsFile
    /// Whether the tensor data was checked against the checkpoint's stored checksums
    /// (`.unchecked` for checkpoints written before vfc stored them).
    public var verification: TensorChecksums.Verification = .verified

    public var tensors: [String: Tensor] { file.tensors }
    public var metadata: [String: String] { file.metadata }
}

/// A checkpoint `latestValid` did not use, and why. Printed as
/// `refusing checkpoint PATH: REASON`.
public struct CheckpointRefusal: Sendable, CustomStringConvertible {
    public var path: String
    /// Why: the error reading or validating it.
    public var error: any Error
    /// The error's message, without the path a `SafetensorsError` puts in front.
    public var reason: String { (error as? SafetensorsError)?.reason ?? "\(error)" }
    public var description: String { "refusing checkpoint \(path): \(reason)" }
}


/// The result of a search for the newest usable checkpoint.
public struct CheckpointSearch: Sendable {
    /// The newest checkpoint that parsed and passed validation; nil when there is none.
    public var checkpoint: Checkpoint?
    /// Newer checkpoints that were refused, newest first.
    public var refused: [CheckpointRefusal]
    /// Temporary files of an interrupted write that were deleted.
    public var removedTemporaryFiles: [String]

    /// One line per refusal and per removed temporary file, and a note when the
    /// checkpoint found has no checksums, for the caller to print.
    public var messages: [String] {
        var lines = refused.map(\.description) + removedTemporaryFiles.map { "removed \($0) (left by an interrupted checkpoint write)" }
        if let checkpoint, checkpoint.verification == .unchecked {
            lines.append("note: \(checkpoint.path) has no checksums (written by an older vfc): its tensor data cannot be verified")
        }
        return lines
    }
}

/// Checkpoints of a run: `RUN_DIR/ckpt-STEP.safetensors`, STEP zero-padded to 8 digits so
/// that names sort by step.
///
/// Guarantees:
/// - `save` is atomic and durable: the file is written under a hidden temporary name in
///   the same directory (`.ckpt-STEP.safetensors.tmp.PID`), fsynced, renamed into place and
///   the directory fsynced. A crash at any point leaves either no `ckpt-STEP` or a
///   complete one; temporary files are never mistaken for checkpoints and are removed by
///   the next `save` or `latestValid`.
/// - Old checkpoints are deleted only after the new one is durable: the newest `keep`
///   (default 3) with a step <= the new one are kept. Checkpoints with a larger step (left
///   by an earlier run that got further, e.g. one `latestValid` refused) are not touched.
/// - `metadata["step"]` is always written and must match the file name on reading.
/// - Every tensor's data carries a CRC-32C in the metadata (`TensorChecksums`), checked
///   on reading: a checkpoint whose data changed on disk is refused, naming the tensor.
///   Checkpoints without checksums (older vfc) still load, reported as unchecked.
///
/// Single writer: one process per run directory.
public struct CheckpointStore: Sendable {
    public let directory: String
    /// How many checkpoints `save` keeps.
    public var keep: Int

    public init(runDirectory: String, keep: Int = 3) {
        precondition(keep >= 1, "a checkpoint store keeps at least one checkpoint")
        self.directory = runDirectory
        self.keep = keep
    }

    public static let stepMetadataKey = "step"

    /// `RUN_DIR/ckpt-00000123.safetensors`.
    public func path(step: Int) -> String {
        precondition(step >= 0, "checkpoint steps are non-negative")
        var digits = String(step)
        if digits.count < 8 { digits = String(repeating: "0", count: 8 - digits.count) + digits }
        return "\(directory)/ckpt-\(digits).safetensors"
    }

    /// The step of a checkpoint file name, or nil when `name` is not one.
    public static func step(fileName name: String) -> Int? {
        guard name.hasPrefix("ckpt-"), name.hasSuffix(".safetensors") else { return nil }
        let digits = name.dropFirst(5).dropLast(12)
        guard digits.count >= 8, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return Int(digits)
    }

    /// Whether `name` is a temporary file of an unfinished checkpoint write (ours, or one
    /// made by `SafetensorsFile.write`).
    static func isTemporary(_ name: String) -> Bool {
        let bare = name.hasPrefix(".") ? String(name.dropFirst()) : name
        guard let range = bare.range(of: ".safetensors.tmp") else { return false }
        return step(fileName: String(bare[..<range.lowerBound]) + ".safetensors") != nil
    }

    /// Checkpoints on disk, newest (largest step) first.
    public func list() -> [(step: Int, path: String)] {
        RunFiles.listDirectory(directory)
            .compactMap { name in CheckpointStore.step(fileName: name).map { ($0, "\(directory)/\(name)") } }
            .sorted { $0.0 > $1.0 }
    }

    /// Deletes temporary files left by interrupted writes; returns their paths.
    @discardableResult
    public func removeTemporaryFiles() -> [String] {
        var removed: [String] = []
        for name in RunFiles.listDirectory(directory) where CheckpointStore.isTemporary(name) {
            let path = "\(directory)/\(name)"
            if unlink(path) == 0 { removed.append(path) }
        }
        return removed
    }

    /// Writes `ckpt-STEP` atomically with `tensors` and `metadata` (plus "step"), then
    /// deletes checkpoints beyond the newest `keep`. Returns the path written.
    @discardableResult
    public func save(step: Int, tensors: [String: Tensor], metadata: [String: String] = [:]) throws -> String {
        var meta = metadata
        meta[CheckpointStore.stepMetadataKey] = String(step)
        meta.merge(TensorChecksums.metadata(for: tensors)) { _, checksum in checksum }
        let file = SafetensorsFile(tensors: tensors, metadata: meta)
        try RunFiles.createDirectory(directory)
        removeTemporaryFiles()
        let target = path(step: step)
        try RunFiles.atomicWrite(file.encode(), to: target)
        try prune(after: step)
        return target
    }

    /// Deletes the checkpoints with step <= `newest` beyond the newest `keep` of them.
    func prune(after newest: Int) throws {
        let older = list().filter { $0.step <= newest }
        guard older.count > keep else { return }
        for (_, path) in older.dropFirst(keep) {
            if unlink(path) != 0 && errno != ENOENT { throw RunIOError.io("delete old checkpoint", path) }
        }
        try RunFiles.syncDirectory(directory)
    }

    /// Reads one checkpoint and checks it: it must parse as safetensors, its tensors
    /// must match their checksums (when it has them), its "step" metadata (when present)
    /// must match its name, and `validate` must not throw.
    public func load(path: String, step: Int, validate: (Checkpoint) throws -> Void = { _ in }) throws -> Checkpoint {
        let (file, verification) = try TensorChecksums.read(path: path)
        if let s = file.metadata[CheckpointStore.stepMetadataKey], Int(s) != step {
            throw CheckpointInvalid.stepMismatch(metadata: s, name: step)
        }
        let checkpoint = Checkpoint(step: step, path: path, file: file, verification: verification)
        try validate(checkpoint)
        return checkpoint
    }

    /// The newest checkpoint that parses and passes `validate`, walking from the newest.
    /// Every newer one that fails is reported in `refused` (which file, why) and left on
    /// disk for inspection; temporary files of interrupted writes are deleted.
    public func latestValid(validate: (Checkpoint) throws -> Void = { _ in }) -> CheckpointSearch {
        var search = CheckpointSearch(checkpoint: nil, refused: [], removedTemporaryFiles: removeTemporaryFiles())
        for (step, path) in list() {
            do {
                search.checkpoint = try load(path: path, step: step, validate: validate)
                return search
            } catch {
                search.refused.append(CheckpointRefusal(path: path, error: error))
            }
        }
        return search
    }
}

extension CheckpointStore {
    /// A validation closure for `latestValid`: every named tensor present with exactly
    /// this shape (and dtype, when given), and every listed metadata key present.
    public static func requiring(
        shapes: [String: [Int]], dtypes: [String: DType] = [:], metadataKeys: [String] = []
    ) -> @Sendable (Checkpoint) throws -> Void {
        { checkpoint in
            for name in shapes.keys.sorted() {
                guard let t = checkpoint.tensors[name] else {
                    throw CheckpointInvalid.missingTensor(name)
                }
                if t.shape != shapes[name]! {
                    throw CheckpointInvalid.tensorShape(name, got: t.shape, expected: shapes[name]!)
                }
                if let d = dtypes[name], t.dtype != d {
                    throw CheckpointInvalid.tensorDType(name, got: t.dtype, expected: d)
                }
            }
            for key in metadataKeys where checkpoint.metadata[key] == nil {
                throw CheckpointInvalid.missingMetadata(key)
            }
        }
    }
}
