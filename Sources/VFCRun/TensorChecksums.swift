import Foundation
import VFCTensor

/// Per-tensor CRC-32C checksums kept in a safetensors file's `__metadata__`, so that a
/// checkpoint whose tensor data changed on disk (a flipped bit, a bad sector, a stray
/// write) is refused instead of resumed from.
///
/// Layout: `"vfc.checksum": "crc32c"` marks a checksummed file, and for every tensor NAME
/// `"crc32c.NAME"` holds the CRC-32C (Castagnoli) of its raw little-endian data bytes as
/// 8 lowercase hex digits. The key names keep the file a plain safetensors file that any
/// reader loads (they are only strings in the metadata).
public enum TensorChecksums {
    /// The metadata key that marks a file as checksummed, and its value.
    public static let markerKey = "vfc.checksum"
    public static let algorithm = "crc32c"

    /// The metadata key holding tensor `name`'s checksum.
    public static func key(_ name: String) -> String { "crc32c.\(name)" }

    /// `crc` as the 8 hex digits stored in the metadata.
    static func hex(_ crc: UInt32) -> String {
        let digits = String(crc, radix: 16)
        return String(repeating: "0", count: 8 - digits.count) + digits
    }

    /// The metadata entries (marker and one checksum per tensor) for `tensors`, computed
    /// over the bytes `SafetensorsFile.encode` writes for each.
    public static func metadata(for tensors: [String: Tensor]) -> [String: String] {
        var out = [markerKey: algorithm]
        for (name, t) in tensors {
            out[key(name)] = hex(CRC32C.checksum(SafetensorsFile.elementBytes(t)))
        }
        return out
    }

    /// How `read` found a file's checksums.
    public enum Verification: Sendable, Equatable {
        /// Every tensor's data matched its stored checksum.
        case verified
        /// The file carries no checksums (written before they existed, or by another
        /// tool): it was read unverified.
        case unchecked
    }

    /// Reads a safetensors file and checks every tensor's data against its stored
    /// checksum. A mismatch, a missing or malformed checksum in a file marked as
    /// checksummed, or a checksum for a tensor the file lacks is a `CheckpointInvalid`
    /// naming the tensor; format errors are `SafetensorsError`s as from `read`.
    public static func read(path: String) throws -> (file: SafetensorsFile, verification: Verification) {
        var seen: [String: UInt32] = [:]
        let file = try SafetensorsFile.read(path: path) { name, bytes in
            seen[name] = CRC32C.checksum(bytes)
        }
        guard let marker = file.metadata[markerKey] else { return (file, .unchecked) }
        guard marker == algorithm else {
            throw CheckpointInvalid.checksumAlgorithm(marker)
        }
        for name in file.order {
            guard let stored = file.metadata[key(name)] else {
                throw CheckpointInvalid.missingChecksum(name)
            }
            guard stored.count == 8, let expected = UInt32(stored, radix: 16) else {
                throw CheckpointInvalid.malformedChecksum(name, stored: stored)
            }
            if let actual = seen[name], actual != expected {
                throw CheckpointInvalid.checksumMismatch(name, stored: stored, actual: actual)
            }
        }
        let prefix = key("")
        for k in file.metadata.keys.sorted() where k.hasPrefix(prefix) && file.tensors[String(k.dropFirst(prefix.count))] == nil {
            throw CheckpointInvalid.orphanChecksum(String(k.dropFirst(prefix.count)))
        }
        return (file, .verified)
    }
}
