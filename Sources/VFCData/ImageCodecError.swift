#if canImport(Glibc)
import Glibc
#endif
import VFCTensor

/// Why an image file could not be read or written: the file (`path`, `<memory>` for
/// in-memory bytes) and what went wrong. `DataIndex` turns it into one warning per
/// skipped file.
public struct ImageCodecError: Error, Sendable, CustomStringConvertible {
    public var path: String
    public var problem: Problem

    public init(path: String, _ problem: Problem) {
        self.path = path
        self.problem = problem
    }

    /// What went wrong with the file, one case per failure.
    public enum Problem: Sendable, CustomStringConvertible {
        case emptyFile
        /// Neither the PNG signature nor a JPEG SOI marker.
        case unrecognisedSignature
        /// The file could not be read at all (Foundation gives no reason).
        case unreadable
        /// open(2) of the file failed.
        case openFailed(errno: Int32)
        /// open(2) of `container`, the tar shard holding the file, failed.
        case containerOpenFailed(container: String, errno: Int32)
        /// A FIFO, device or directory.
        case notRegularFile
        /// The file ends at byte `end`, before `count` bytes at `offset` were read.
        case shortRead(count: Int, offset: Int, end: Int)
        /// read(2) failed.
        case readFailed(count: Int, offset: Int, errno: Int32)
        /// An in-memory image asked for its file bytes.
        case inMemory
        /// A header with a zero (or negative) width or height.
        case noPixels(format: String, width: Int, height: Int)
        /// A header over the decoder's pixel limit.
        case overPixelLimit(format: String, width: Int, height: Int, limit: Int)
        /// A PNG without its IHDR chunk right after the signature.
        case missingIHDR
        /// libpng failed to decode (`message` is libpng's).
        case pngDecode(message: String)
        /// libpng failed to encode (`message` is libpng's).
        case pngEncode(message: String)
        /// The encoded file could not be written.
        case write(underlying: AtomicWriteError)
        /// TurboJPEG could not make a decompressor or compressor.
        case turboJPEGUnavailable(compressor: Bool)
        /// TurboJPEG cannot read the header (`message` is TurboJPEG's).
        case jpegHeader(message: String)
        /// TurboJPEG failed to decode; `damaged` when it stopped on a warning (corrupt data).
        case jpegDecode(damaged: Bool, message: String)
        /// TurboJPEG failed to encode.
        case jpegEncode(message: String)

        public var description: String {
            switch self {
            case .emptyFile: return "empty file"
            case .unrecognisedSignature: return "neither a PNG nor a JPEG (unrecognised signature)"
            case .unreadable: return "cannot read the file"
            case .openFailed(let code): return "cannot read the file: \(String(cString: strerror(code)))"
            case let .containerOpenFailed(container, code): return "cannot read \(container): \(String(cString: strerror(code)))"
            case .notRegularFile: return "not a regular file"
            case let .shortRead(count, offset, end):
                return "cannot read \(count) bytes at byte offset \(offset): the file ends at byte offset \(end)"
            case let .readFailed(count, offset, code):
                return "cannot read \(count) bytes at byte offset \(offset): \(String(cString: strerror(code)))"
            case .inMemory: return "an in-memory image has no file bytes"
            case let .noPixels(format, w, h): return "\(format) has no pixels (\(w)x\(h))"
            case let .overPixelLimit(format, w, h, limit):
                return "\(format) of \(w)x\(h) pixels exceeds the limit of \(limit) pixels (a decompression bomb?)"
            case .missingIHDR: return "not a readable PNG: no IHDR chunk after the signature"
            case .pngDecode(let m): return "PNG decoding failed: \(m)"
            case .pngEncode(let m): return "PNG encoding failed: \(m)"
            case .write(let e): return "cannot write: \(String(cString: strerror(e.code)))"
            case .turboJPEGUnavailable(let compressor): return "cannot create a TurboJPEG \(compressor ? "compressor" : "decompressor")"
            case .jpegHeader(let m): return "not a readable JPEG: \(m)"
            case let .jpegDecode(damaged, m): return "\(damaged ? "damaged JPEG" : "JPEG decoding failed"): \(m)"
            case .jpegEncode(let m): return "JPEG encoding failed: \(m)"
            }
        }
    }

    /// What went wrong, without the path.
    public var message: String { problem.description }

    public var description: String { "\(path): \(problem)" }
}
