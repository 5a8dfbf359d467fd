/// TFRecord framing, the container of TensorBoard event files. Each record is
///
///     uint64 length (little-endian)
///     uint32 masked CRC-32C of those 8 length bytes
///     length bytes of data
///     uint32 masked CRC-32C of the data
public enum TFRecord {
    /// One framed record.
    public static func frame(_ data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(data.count + 16)
        var length: [UInt8] = []
        withUnsafeBytes(of: UInt64(data.count).littleEndian) { length += $0 }
        out += length
        withUnsafeBytes(of: CRC32C.masked(length).littleEndian) { out += $0 }
        out += data
        withUnsafeBytes(of: CRC32C.masked(data).littleEndian) { out += $0 }
        return out
    }

    /// A damaged record, with the byte offset where the record starts.
    public enum Malformed: Error, Equatable, Sendable, CustomStringConvertible {
        /// Fewer than the 12 bytes of a length and its CRC.
        case truncatedHeader(offset: Int)
        /// The length does not match its CRC.
        case lengthCRC(offset: Int)
        /// Fewer bytes than the length and the data CRC need.
        case truncatedData(offset: Int)
        /// The data does not match its CRC.
        case dataCRC(offset: Int)

        /// Byte offset of the record that is bad.
        public var offset: Int {
            switch self {
            case .truncatedHeader(let o), .lengthCRC(let o), .truncatedData(let o), .dataCRC(let o): return o
            }
        }

        public var description: String {
            let reason = switch self {
            case .truncatedHeader: "truncated header"
            case .lengthCRC: "length CRC mismatch"
            case .truncatedData: "truncated data"
            case .dataCRC: "data CRC mismatch"
            }
            return "record at byte \(offset): \(reason)"
        }
    }

    /// The records of a file image, every CRC checked. A truncated final record (a writer
    /// killed mid-record) is reported as `Malformed` like any other damage.
    public static func records(_ bytes: [UInt8]) throws -> [[UInt8]] {
        let (records, damage) = validPrefix(bytes)
        if let damage { throw damage }
        return records
    }

    /// The records before the first damaged one, and the damage (nil when the whole file
    /// is sound). A run killed mid-record leaves a file whose prefix is still good.
    public static func validPrefix(_ bytes: [UInt8]) -> (records: [[UInt8]], damage: Malformed?) {
        func u32(_ at: Int) -> UInt32 {
            var v: UInt32 = 0
            for k in 0..<4 { v |= UInt32(bytes[at + k]) << (8 * UInt32(k)) }
            return v
        }
        var out: [[UInt8]] = []
        var i = 0
        while i < bytes.count {
            guard bytes.count - i >= 12 else { return (out, Malformed.truncatedHeader(offset: i)) }
            var length: UInt64 = 0
            for k in 0..<8 { length |= UInt64(bytes[i + k]) << (8 * UInt64(k)) }
            guard u32(i + 8) == CRC32C.masked(bytes[i..<(i + 8)]) else {
                return (out, Malformed.lengthCRC(offset: i))
            }
            guard bytes.count - i >= 16, length <= UInt64(bytes.count - i - 16) else { return (out, Malformed.truncatedData(offset: i)) }
            let start = i + 12, end = start + Int(length)
            let data = Array(bytes[start..<end])
            guard u32(end) == CRC32C.masked(data) else { return (out, Malformed.dataCRC(offset: i)) }
            out.append(data)
            i = end + 4
        }
        return (out, nil)
    }
}
