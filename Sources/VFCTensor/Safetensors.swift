import Foundation
import VFCIR

/// The contents of a safetensors file: named tensors plus string metadata.
///
/// Format: an 8-byte little-endian header length N, N bytes of JSON mapping each name to
/// `{"dtype", "shape", "data_offsets"}` (plus an optional `__metadata__` string map), then
/// the data buffer the offsets index, row-major little-endian.
public struct SafetensorsFile: Sendable {
    public var tensors: [String: Tensor]
    /// Tensor names in file order (by data offset) after `decode`; sorted by name otherwise.
    /// The writer ignores it and always writes in name order, for deterministic files.
    public var order: [String]
    public var metadata: [String: String]

    public init(tensors: [String: Tensor] = [:], metadata: [String: String] = [:]) {
        self.tensors = tensors
        self.order = tensors.keys.sorted()
        self.metadata = metadata
    }

    /// The largest JSON header accepted: far above any real model's, and low enough that
    /// a corrupt length cannot make the parser chew on gigabytes.
    public static let maxHeaderBytes = 100_000_000

    static let metadataKey = "__metadata__"
}

// MARK: - Element type codes

extension DType {
    /// The safetensors dtype string (`BOOL` for `i1`).
    public var safetensorsName: String {
        switch self {
        case .f32: return "F32"
        case .f64: return "F64"
        case .i32: return "I32"
        case .i64: return "I64"
        case .u8: return "U8"
        case .i1: return "BOOL"
        }
    }

    /// The dtype for a safetensors dtype string, or nil for ones vfc does not support.
    public init?(safetensorsName: String) {
        guard let t = DType.allCases.first(where: { $0.safetensorsName == safetensorsName }) else { return nil }
        self = t
    }
}

// MARK: - Reading

extension SafetensorsFile {
    /// Reads and validates a file; every problem is a thrown `SafetensorsError`.
    ///
    /// Only regular files are read (a FIFO or a device such as `/dev/zero` is refused
    /// before any byte is read), and the header length is checked against the file's size
    /// before the rest is read, so a corrupt or endless input cannot make it allocate more
    /// than the file holds. `inspect`, when given, sees each tensor's raw little-endian
    /// bytes (in file order) before they are decoded; what it throws is passed on.
    public static func read(
        path: String, inspect: ((_ name: String, _ bytes: UnsafeRawBufferPointer) throws -> Void)? = nil
    ) throws -> SafetensorsFile {
        try decode(readAllBytes(path: path), path: path, inspect: inspect)
    }

    /// Decodes a file image held in memory. `path` is only used in error messages.
    public static func decode(_ data: Data, path: String) throws -> SafetensorsFile {
        try decode([UInt8](data), path: path)
    }

    /// Decodes a file image held in memory. `path` is only used in error messages;
    /// `inspect` is as in `read(path:inspect:)`.
    public static func decode(
        _ bytes: [UInt8], path: String, inspect: ((_ name: String, _ bytes: UnsafeRawBufferPointer) throws -> Void)? = nil
    ) throws -> SafetensorsFile {
        func fail(_ problem: SafetensorsError.FileProblem) -> SafetensorsError { .file(path: path, problem) }
        func fail(_ problem: SafetensorsError.TensorProblem, tensor: String) -> SafetensorsError {
            .tensor(path: path, name: tensor, problem)
        }
        guard bytes.count >= 8 else {
            throw fail(.noHeaderLength(size: bytes.count))
        }
        var headerLength: UInt64 = 0
        for i in 0..<8 { headerLength |= UInt64(bytes[i]) << (8 * UInt64(i)) }
        let available = bytes.count - 8
        guard headerLength <= UInt64(maxHeaderBytes) else {
            throw fail(.headerTooLong(length: headerLength, limit: maxHeaderBytes))
        }
        let n = Int(headerLength)
        guard n <= available else {
            throw fail(.headerTruncated(length: headerLength, available: available))
        }
        let json: Any
        do {
            json = try JSONSerialization.jsonObject(with: Data(bytes[8..<(8 + n)]), options: [.fragmentsAllowed])
        } catch {
            throw fail(.headerNotJSON)
        }
        guard let object = json as? [String: Any] else {
            throw fail(.headerNotObject)
        }

        let dataStart = 8 + n
        let dataSize = bytes.count - dataStart
        var metadata: [String: String] = [:]
        var entries: [(name: String, dtype: DType, shape: [Int], begin: Int, end: Int)] = []
        for (name, value) in object {
            if name == metadataKey {
                guard let map = value as? [String: Any] else { throw fail(.metadataNotObject) }
                for (k, v) in map {
                    guard let s = v as? String else { throw fail(.metadataValue(key: k)) }
                    metadata[k] = s
                }
                continue
            }
            guard let entry = value as? [String: Any] else { throw fail(.entryNotObject, tensor: name) }
            guard let dtypeName = entry["dtype"] as? String else { throw fail(.missingDType, tensor: name) }
            guard let dtype = DType(safetensorsName: dtypeName) else {
                throw fail(.unsupportedDType(dtypeName), tensor: name)
            }
            guard let rawShape = entry["shape"] as? [Any] else { throw fail(.missingShape, tensor: name) }
            var shape: [Int] = []
            for d in rawShape {
                guard let v = jsonInt(d), v >= 0 else {
                    throw fail(.badShape(describe(rawShape)), tensor: name)
                }
                shape.append(v)
            }
            guard let count = Tensor.checkedElementCount(shape) else {
                throw fail(.tooManyElements(shape), tensor: name)
            }
            guard let rawOffsets = entry["data_offsets"] as? [Any], rawOffsets.count == 2,
                  let begin = jsonInt(rawOffsets[0]), let end = jsonInt(rawOffsets[1]) else {
                throw fail(.badOffsets, tensor: name)
            }
            guard begin >= 0, begin <= end else {
                throw fail(.offsetsOrder(begin: begin, end: end), tensor: name)
            }
            guard end <= dataSize else {
                throw fail(.offsetsPastEnd(begin: begin, end: end, size: dataSize), tensor: name)
            }
            // count <= 2^28 and byteSize <= 8, so this product cannot overflow.
            let needed = count * dtype.byteSize
            guard end - begin == needed else {
                throw fail(.offsetsSize(begin: begin, end: end, dtype: dtype, shape: shape, needed: needed), tensor: name)
            }
            entries.append((name, dtype, shape, begin, end))
        }

        // The format requires the entries to tile the data buffer exactly: no overlaps
        // (two names aliasing bytes) and no holes (room to hide a second file format).
        entries.sort { ($0.begin, $0.end, $0.name) < ($1.begin, $1.end, $1.name) }
        var covered = 0
        var previous: String?
        for e in entries {
            if e.begin < covered, let previous {
                throw fail(.overlap(begin: e.begin, end: e.end, previous: previous, covered: covered), tensor: e.name)
            }
            if e.begin > covered {
                throw fail(.hole(begin: e.begin, covered: covered), tensor: e.name)
            }
            covered = e.end
            previous = e.name
        }
        guard covered == dataSize else {
            throw fail(.uncoveredData(size: dataSize, covered: covered))
        }

        var result = SafetensorsFile(metadata: metadata)
        if let inspect {
            for e in entries {
                try bytes.withUnsafeBytes { raw in
                    try inspect(e.name, UnsafeRawBufferPointer(rebasing: raw[(dataStart + e.begin)..<(dataStart + e.end)]))
                }
            }
        }
        for e in entries {
            result.tensors[e.name] = bytes.withUnsafeBytes { raw in
                decodeElements(UnsafeRawBufferPointer(rebasing: raw[(dataStart + e.begin)..<(dataStart + e.end)]),
                               dtype: e.dtype, shape: e.shape)
            }
        }
        result.order = entries.map(\.name)
        return result
    }

    /// A JSON number as an `Int`, rejecting the values Foundation would silently coerce:
    /// booleans, fractions, floats with integral values, and out-of-range decimals.
    static func jsonInt(_ value: Any) -> Int? {
        guard let number = value as? NSNumber, !(number is NSDecimalNumber) else { return nil }
        let code = String(cString: number.objCType)
        guard code != "c", code != "B", code != "d", code != "f" else { return nil }
        return value as? Int
    }

    static func describe(_ array: [Any]) -> String {
        "[\(array.map { "\($0)" }.joined(separator: ", "))]"
    }

    static func decodeElements(_ raw: UnsafeRawBufferPointer, dtype: DType, shape: [Int]) -> Tensor {
        var t = Tensor(dtype: dtype, shape: shape)
        t.withUnsafeMutableBufferPointer { out in
            let size = dtype.byteSize
            for i in out.indices {
                let o = i * size
                switch dtype {
                case .f32:
                    out[i] = Double(Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: o, as: UInt32.self))))
                case .f64:
                    out[i] = Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: o, as: UInt64.self)))
                case .i32:
                    out[i] = Double(Int32(littleEndian: raw.loadUnaligned(fromByteOffset: o, as: Int32.self)))
                case .i64:
                    // Exact up to 2^53, which covers every index and step count vfc stores.
                    out[i] = Double(Int64(littleEndian: raw.loadUnaligned(fromByteOffset: o, as: Int64.self)))
                case .u8:
                    out[i] = Double(raw[o])
                case .i1:
                    out[i] = raw[o] != 0 ? 1 : 0
                }
            }
        }
        return t
    }
}

// MARK: - Writing

extension SafetensorsFile {
    /// The file image: tensors in name order, JSON written by hand so that the same
    /// contents always give the same bytes (JSONSerialization's key order is unspecified).
    ///
    /// Elements are rounded to each tensor's dtype on the way out (f32 is stored as
    /// Float, i1 as BOOL bytes 0/1). A tensor named `__metadata__` is a programming
    /// error, since that key is reserved by the format.
    public func encode() -> [UInt8] {
        precondition(tensors[SafetensorsFile.metadataKey] == nil, "'__metadata__' is reserved in safetensors")
        let names = tensors.keys.sorted()
        var json = "{"
        var parts: [String] = []
        if !metadata.isEmpty {
            let pairs = metadata.keys.sorted().map { "\(jsonString($0)):\(jsonString(metadata[$0] ?? ""))" }
            parts.append("\(jsonString(SafetensorsFile.metadataKey)):{\(pairs.joined(separator: ","))}")
        }
        var offset = 0
        for name in names {
            guard let t = tensors[name] else { continue }
            let size = t.count * t.dtype.byteSize
            parts.append("\(jsonString(name)):{\"dtype\":\"\(t.dtype.safetensorsName)\","
                + "\"shape\":[\(t.shape.map(String.init).joined(separator: ","))],"
                + "\"data_offsets\":[\(offset),\(offset + size)]}")
            offset += size
        }
        json += parts.joined(separator: ",") + "}"
        var header = Array(json.utf8)
        // Padding to 8 keeps the data buffer 8-byte aligned when the file is mapped, as
        // the reference implementation does.
        while header.count % 8 != 0 { header.append(UInt8(ascii: " ")) }

        var out: [UInt8] = []
        out.reserveCapacity(8 + header.count + offset)
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(contentsOf: header)
        for name in names {
            guard let t = tensors[name] else { continue }
            t.withUnsafeBufferPointer { appendElements($0, dtype: t.dtype, to: &out) }
        }
        return out
    }

    func appendElements(_ values: UnsafeBufferPointer<Double>, dtype: DType, to out: inout [UInt8]) {
        func put<T: FixedWidthInteger>(_ v: T) {
            withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) }
        }
        for x in values {
            // Rounding first makes every integer conversion below in range, so a stray
            // out-of-range value written through `subscript(flat:)` cannot trap here.
            let v = Tensor.round(x, to: dtype)
            switch dtype {
            case .f32: put(Float(v).bitPattern)
            case .f64: put(v.bitPattern)
            case .i32: put(Int32(v))
            case .i64: put(Int64(v))
            case .u8: out.append(UInt8(v))
            case .i1: out.append(v != 0 ? 1 : 0)
            }
        }
    }

    /// `s` as a JSON string literal; non-ASCII is left as UTF-8, which JSON allows.
    func jsonString(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where u.value < 0x20:
                let hex = String(u.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(u)
            }
        }
        return out + "\""
    }

    /// Writes the file atomically (`AtomicWrite`): readers never see a half-written
    /// file, and a crash leaves either the old file or the new one.
    public func write(path: String) throws {
        do {
            try AtomicWrite.write(encode(), to: path)
        } catch let e as AtomicWriteError {
            throw SafetensorsError.io("write", path, errno: e.code)
        }
    }
}
