import VFCIR

/// Why a checkpoint that parses as safetensors is refused: its checksums, its step, or
/// a caller's validation closure (`CheckpointStore.requiring`).
public enum CheckpointInvalid: Error, Sendable, CustomStringConvertible {
    /// The checksum marker names another algorithm than crc32c.
    case checksumAlgorithm(String)
    /// A tensor of a checksummed file without its checksum.
    case missingChecksum(String)
    /// A checksum that is not 8 hex digits.
    case malformedChecksum(String, stored: String)
    /// A tensor whose data does not match its checksum.
    case checksumMismatch(String, stored: String, actual: UInt32)
    /// A checksum for a tensor the file lacks.
    case orphanChecksum(String)
    /// The "step" metadata disagrees with the step in the file name.
    case stepMismatch(metadata: String, name: Int)
    /// A tensor the run needs is not in the checkpoint.
    case missingTensor(String)
    /// A tensor of another shape than the run's.
    case tensorShape(String, got: [Int], expected: [Int])
    /// A tensor of another element type than the run's.
    case tensorDType(String, got: DType, expected: DType)
    /// A metadata key the run needs is not in the checkpoint.
    case missingMetadata(String)

    public var description: String {
        switch self {
        case .checksumAlgorithm(let marker):
            return "metadata '\(TensorChecksums.markerKey)' is '\(marker)', expected '\(TensorChecksums.algorithm)'"
        case .missingChecksum(let name):
            return "tensor '\(name)': no checksum in the metadata ('\(TensorChecksums.key(name))' is missing)"
        case let .malformedChecksum(name, stored): return "tensor '\(name)': malformed checksum '\(stored)' (8 hex digits expected)"
        case let .checksumMismatch(name, stored, actual):
            return "tensor '\(name)': checksum mismatch (stored crc32c \(stored), the data has \(TensorChecksums.hex(actual))): the data is corrupt"
        case .orphanChecksum(let name): return "tensor '\(name)' has a checksum but is missing from the file"
        case let .stepMismatch(metadata, name): return "its metadata says step \(metadata), its name says step \(name)"
        case .missingTensor(let name): return "tensor '\(name)' is missing"
        case let .tensorShape(name, got, expected): return "tensor '\(name)' has shape \(got), expected \(expected)"
        case let .tensorDType(name, got, expected): return "tensor '\(name)' is \(got), expected \(expected)"
        case .missingMetadata(let key): return "metadata '\(key)' is missing"
        }
    }
}
