/// A minimal protocol-buffers encoder: just the wire types TensorBoard's `Event` needs.
///
/// Fields are written in the order the caller appends them; nested messages are encoded
/// separately and appended as length-delimited bytes.
public struct ProtobufWriter: Sendable {
    public private(set) var bytes: [UInt8] = []

    public init() {}

    /// Wire types (the low 3 bits of a field key).
    public enum WireType: UInt8, Sendable {
        case varint = 0, fixed64 = 1, lengthDelimited = 2, fixed32 = 5
    }

    /// Base-128 varint: 7 bits per byte, least significant group first, high bit set on
    /// every byte but the last.
    public static func varint(_ value: UInt64) -> [UInt8] {
        var v = value
        var out: [UInt8] = []
        while v >= 0x80 {
            out.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        out.append(UInt8(v))
        return out
    }

    public mutating func appendKey(field: Int, _ wire: WireType) {
        bytes += ProtobufWriter.varint(UInt64(field) << 3 | UInt64(wire.rawValue))
    }

    /// An `int64` field: negative values take ten bytes (two's complement, as protoc does).
    public mutating func appendInt64(field: Int, _ value: Int64) {
        appendKey(field: field, .varint)
        bytes += ProtobufWriter.varint(UInt64(bitPattern: value))
    }

    public mutating func appendDouble(field: Int, _ value: Double) {
        appendKey(field: field, .fixed64)
        withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes += $0 }
    }

    public mutating func appendFloat(field: Int, _ value: Float) {
        appendKey(field: field, .fixed32)
        withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes += $0 }
    }

    public mutating func appendBytes(field: Int, _ value: [UInt8]) {
        appendKey(field: field, .lengthDelimited)
        bytes += ProtobufWriter.varint(UInt64(value.count))
        bytes += value
    }

    public mutating func appendString(field: Int, _ value: String) {
        appendBytes(field: field, Array(value.utf8))
    }

    public mutating func appendMessage(field: Int, _ message: ProtobufWriter) {
        appendBytes(field: field, message.bytes)
    }
}

/// A minimal protocol-buffers decoder, the inverse of `ProtobufWriter`: a flat list of
/// fields per message, with nested messages decoded on demand.
public struct ProtobufReader: Sendable {
    public enum Value: Sendable, Equatable {
        case varint(UInt64)
        case fixed64(UInt64)
        case bytes([UInt8])
        case fixed32(UInt32)
    }

    /// Damage in a message, with the byte offset (into the message) where it was found.
    public enum Malformed: Error, Equatable, Sendable, CustomStringConvertible {
        /// A varint cut off by the end of the message.
        case truncatedVarint(offset: Int)
        /// A varint of more than 10 bytes.
        case longVarint(offset: Int)
        /// A fixed-width field of `bits` cut off by the end of the message.
        case truncatedFixed(bits: Int, offset: Int)
        /// A length-delimited field of `field` longer than what is left of the message.
        case lengthPastEnd(field: Int, offset: Int)
        /// A wire type other than varint, fixed64, length-delimited and fixed32.
        case unsupportedWireType(UInt64, field: Int, offset: Int)

        public var description: String {
            switch self {
            case .truncatedVarint: return "truncated varint"
            case .longVarint: return "varint longer than 10 bytes"
            case .truncatedFixed(let bits, _): return "truncated fixed\(bits) field"
            case .lengthPastEnd: return "length-delimited field runs past the message"
            case let .unsupportedWireType(wire, field, _): return "unsupported wire type \(wire) for field \(field)"
            }
        }
    }

    /// Every (field number, value) of one message, in file order.
    public static func fields(_ data: [UInt8]) throws -> [(field: Int, value: Value)] {
        var out: [(Int, Value)] = []
        var i = 0
        func varint() throws -> UInt64 {
            var v: UInt64 = 0
            var shift: UInt64 = 0
            while true {
                guard i < data.count else { throw Malformed.truncatedVarint(offset: i) }
                guard shift < 64 else { throw Malformed.longVarint(offset: i) }
                let b = data[i]
                i += 1
                v |= UInt64(b & 0x7F) << shift
                if b < 0x80 { return v }
                shift += 7
            }
        }
        func fixed(_ n: Int) throws -> UInt64 {
            guard i + n <= data.count else { throw Malformed.truncatedFixed(bits: n * 8, offset: i) }
            var v: UInt64 = 0
            for k in 0..<n { v |= UInt64(data[i + k]) << (8 * UInt64(k)) }
            i += n
            return v
        }
        while i < data.count {
            let key = try varint()
            let field = Int(key >> 3)
            switch key & 7 {
            case 0: out.append((field, .varint(try varint())))
            case 1: out.append((field, .fixed64(try fixed(8))))
            case 5: out.append((field, .fixed32(UInt32(try fixed(4)))))
            case 2:
                let n = try varint()
                guard n <= UInt64(data.count - i) else { throw Malformed.lengthPastEnd(field: field, offset: i) }
                out.append((field, .bytes(Array(data[i..<(i + Int(n))]))))
                i += Int(n)
            default:
                throw Malformed.unsupportedWireType(key & 7, field: field, offset: i)
            }
        }
        return out
    }
}
