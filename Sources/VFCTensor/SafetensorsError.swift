import Foundation
import VFCIR

/// A malformed, unreadable or unwritable safetensors file.
///
/// Printed as `PATH: tensor 'NAME': MESSAGE` so the user can find the bad entry,
/// `PATH: MESSAGE` for a problem of the whole file, or `cannot read PATH: REASON` for
/// I/O failures.
public enum SafetensorsError: Error, Sendable, CustomStringConvertible {
    /// A system call failed while doing `verb` ("read", "write") on `path`.
    case io(verb: String, path: String, errno: Int32)
    /// A problem of the file as a whole.
    case file(path: String, FileProblem)
    /// A problem of one tensor's entry in the header.
    case tensor(path: String, name: String, TensorProblem)

    static func io(_ verb: String, _ path: String, errno code: Int32) -> SafetensorsError {
        .io(verb: verb, path: path, errno: code)
    }

    /// What is wrong with the file as a whole.
    public enum FileProblem: Sendable, CustomStringConvertible {
        /// A FIFO, device or directory (`kind` says which: "a FIFO").
        case notRegularFile(kind: String)
        /// Fewer than the 8 bytes of the header length.
        case noHeaderLength(size: Int)
        /// A header length over `limit` bytes.
        case headerTooLong(length: UInt64, limit: Int)
        /// A header length past the end of the file.
        case headerTruncated(length: UInt64, available: Int)
        /// The file ended after `done` of `count` bytes (it shrank while being read).
        case shrank(done: Int, count: Int)
        case headerNotJSON
        case headerNotObject
        case metadataNotObject
        /// A `__metadata__` value that is not a string.
        case metadataValue(key: String)
        /// Data bytes that no tensor covers at the end of the buffer.
        case uncoveredData(size: Int, covered: Int)

        public var description: String {
            switch self {
            case .notRegularFile(let kind): return "not a regular file (\(kind)): safetensors inputs must be regular files"
            case .noHeaderLength(let size): return "file is truncated: it has \(size) bytes, fewer than the 8-byte header length"
            case let .headerTooLong(length, limit):
                return "header length \(length) exceeds the \(limit)-byte limit (corrupt or not a safetensors file)"
            case let .headerTruncated(length, available):
                return "file is truncated: header says \(length) bytes of JSON but the file has \(available) bytes after the length"
            case let .shrank(done, count):
                return "file is truncated: it ended after \(done) of the \(count) bytes its size announced (changed while being read?)"
            case .headerNotJSON: return "header is not valid JSON"
            case .headerNotObject: return "header JSON is not an object"
            case .metadataNotObject: return "__metadata__ is not an object"
            case .metadataValue(let key): return "__metadata__ value for '\(key)' is not a string"
            case let .uncoveredData(size, covered): return "the data buffer has \(size) bytes but the tensors cover only \(covered)"
            }
        }
    }

    /// What is wrong with one tensor's header entry.
    public enum TensorProblem: Sendable, CustomStringConvertible {
        case entryNotObject
        case missingDType
        /// A dtype name vfc does not read.
        case unsupportedDType(String)
        case missingShape
        /// A shape entry that is not a non-negative integer (`shape` as written).
        case badShape(String)
        /// A shape over `Tensor.maxElements` elements.
        case tooManyElements([Int])
        case badOffsets
        /// Offsets that are negative or descending.
        case offsetsOrder(begin: Int, end: Int)
        /// Offsets past the end of the `size`-byte data buffer.
        case offsetsPastEnd(begin: Int, end: Int, size: Int)
        /// Offsets holding another number of bytes than the dtype and shape need.
        case offsetsSize(begin: Int, end: Int, dtype: DType, shape: [Int], needed: Int)
        /// Offsets overlapping the tensor `previous`, which ends at `covered`.
        case overlap(begin: Int, end: Int, previous: String, covered: Int)
        /// Offsets starting after the end (`covered`) of the previous tensor.
        case hole(begin: Int, covered: Int)

        public var description: String {
            switch self {
            case .entryNotObject: return "entry is not an object"
            case .missingDType: return "missing or non-string dtype"
            case .unsupportedDType(let name): return "unsupported dtype '\(name)' (vfc reads F32, F64, I32, I64, U8, BOOL)"
            case .missingShape: return "missing or non-array shape"
            case .badShape(let shape): return "shape \(shape) has an entry that is not a non-negative integer"
            case .tooManyElements(let shape): return "shape \(shape) has more than \(Tensor.maxElements) elements"
            case .badOffsets: return "data_offsets must be two integers"
            case let .offsetsOrder(b, e): return "data_offsets [\(b), \(e)] are not an ascending non-negative pair"
            case let .offsetsPastEnd(b, e, size): return "data_offsets [\(b), \(e)] run past the data buffer (\(size) bytes; file truncated?)"
            case let .offsetsSize(b, e, dtype, shape, needed):
                return "data_offsets [\(b), \(e)] hold \(e - b) bytes, but \(dtype.safetensorsName)\(shape) needs \(needed)"
            case let .overlap(b, e, previous, covered):
                return "data_offsets [\(b), \(e)] overlap tensor '\(previous)', which ends at \(covered)"
            case let .hole(b, covered): return "data_offsets start at \(b), leaving a hole after byte \(covered) of the data buffer"
            }
        }
    }

    /// The file the error is about.
    public var path: String {
        switch self {
        case let .io(_, path, _), let .file(path, _), let .tensor(path, _, _): return path
        }
    }

    public var description: String {
        switch self {
        case .io: return reason
        case .file, .tensor: return "\(path): \(reason)"
        }
    }

    /// The message without the path in front (an I/O error's message names it inside).
    public var reason: String {
        switch self {
        case let .io(verb, path, code): return "cannot \(verb) \(path): \(String(cString: strerror(code)))"
        case .file(_, let p): return p.description
        case let .tensor(_, name, p): return "tensor '\(name)': \(p)"
        }
    }
}
