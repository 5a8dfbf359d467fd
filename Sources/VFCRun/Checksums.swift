/// Table-driven CRC-32, written out here so that run outputs need no checksum library.
///
/// The reflected form (bits processed least significant first), initial value 0xFFFFFFFF
/// and final XOR 0xFFFFFFFF, for any polynomial.
public struct CRC32Table: Sendable {
    let table: [UInt32]

    /// The table for a reflected polynomial.
    public init(reflectedPolynomial poly: UInt32) {
        var t = [UInt32](repeating: 0, count: 256)
        for i in 0..<256 {
            var c = UInt32(i)
            for _ in 0..<8 { c = (c & 1) != 0 ? (c >> 1) ^ poly : c >> 1 }
            t[i] = c
        }
        table = t
    }

    /// Continues a running CRC (start from 0) over `bytes`.
    public func update<S: Sequence>(_ crc: UInt32, _ bytes: S) -> UInt32 where S.Element == UInt8 {
        var c = ~crc
        for b in bytes { c = table[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
        return ~c
    }

    public func checksum<S: Sequence>(_ bytes: S) -> UInt32 where S.Element == UInt8 { update(0, bytes) }
}

/// CRC-32C (Castagnoli, polynomial 0x1EDC6F41), the checksum of TFRecord files.
public enum CRC32C {
    static let table = CRC32Table(reflectedPolynomial: 0x82F6_3B78)

    public static func checksum<S: Sequence>(_ bytes: S) -> UInt32 where S.Element == UInt8 {
        table.checksum(bytes)
    }

    /// TFRecord's masked CRC: rotate right by 15 bits and add a constant, so that a CRC
    /// stored inside CRC-checked data does not checksum to a fixed pattern.
    public static func masked<S: Sequence>(_ bytes: S) -> UInt32 where S.Element == UInt8 {
        mask(checksum(bytes))
    }

    public static func mask(_ crc: UInt32) -> UInt32 {
        ((crc >> 15) | (crc << 17)) &+ 0xA282_EAD8
    }

    public static func unmask(_ masked: UInt32) -> UInt32 {
        let r = masked &- 0xA282_EAD8
        return (r >> 17) | (r << 15)
    }
}
