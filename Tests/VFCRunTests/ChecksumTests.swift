import Testing
@testable import VFCRun

@Test func crc32cKnownVectors() {
    // The CRC catalogue's check value, and the iSCSI vectors of RFC 3720 (B.4).
    #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
    #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
    #expect(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)) == 0x62A8_AB43)
    #expect(CRC32C.checksum((0..<32).map { UInt8($0) }) == 0x46DD_794E)
    #expect(CRC32C.checksum((0..<32).map { UInt8(31 - $0) }) == 0x113F_DB5C)
    #expect(CRC32C.checksum([]) == 0)
}

@Test func crc32cIncrementalMatchesWhole() {
    let data = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 37) }
    let split = CRC32C.table.update(CRC32C.table.update(0, data[..<400]), data[400...])
    #expect(split == CRC32C.checksum(data))
}

@Test func maskRoundTrips() {
    for crc: UInt32 in [0, 1, 0xE306_9283, 0xFFFF_FFFF, 0x8000_0000] {
        #expect(CRC32C.unmask(CRC32C.mask(crc)) == crc)
    }
    // Masked CRC of the 8 length bytes of an empty record, as TensorFlow writes it.
    let crc = CRC32C.checksum([UInt8](repeating: 0, count: 8))
    #expect(CRC32C.mask(crc) == ((crc >> 15) | (crc << 17)) &+ 0xA282_EAD8)
}

@Test func crc32TableWithPNGsPolynomial() {
    // The table is generic: with the ISO-HDLC polynomial it is zlib's crc32.
    let iso = CRC32Table(reflectedPolynomial: 0xEDB8_8320)
    #expect(iso.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
    #expect(iso.checksum(Array("IEND".utf8)) == 0xAE42_6082)
}
