import Testing
@testable import VFCRun

@Test func varintEncoding() {
    #expect(ProtobufWriter.varint(0) == [0x00])
    #expect(ProtobufWriter.varint(1) == [0x01])
    #expect(ProtobufWriter.varint(127) == [0x7F])
    #expect(ProtobufWriter.varint(128) == [0x80, 0x01])
    #expect(ProtobufWriter.varint(300) == [0xAC, 0x02])
    #expect(ProtobufWriter.varint(16384) == [0x80, 0x80, 0x01])
    #expect(ProtobufWriter.varint(UInt64.max) == [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01])
}

@Test func negativeInt64TakesTenBytes() {
    var w = ProtobufWriter()
    w.appendInt64(field: 2, -1)
    #expect(w.bytes == [0x10, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01])
    let fields = try? ProtobufReader.fields(w.bytes)
    #expect(fields?.count == 1)
    if case .varint(let v)? = fields?.first?.value { #expect(Int64(bitPattern: v) == -1) }
}

@Test func eventEncodingIsTheProtobufWireFormat() {
    // Hand-computed: wall_time=1.5 (field 1, fixed64), step=300 (field 2, varint),
    // summary (field 5) { value (field 1) { tag "a" (field 1), simple_value 2.0 (field 2, fixed32) } }.
    let e = TensorBoardEvent(wallTime: 1.5, step: 300, scalars: [(tag: "a", value: 2)])
    let expected: [UInt8] = [0x09, 0, 0, 0, 0, 0, 0, 0xF8, 0x3F,
                             0x10, 0xAC, 0x02,
                             0x2A, 0x0A, 0x0A, 0x08, 0x0A, 0x01, 0x61, 0x15, 0, 0, 0, 0x40]
    #expect(e.encoded() == expected)
    let v = TensorBoardEvent(wallTime: 0, step: 0, fileVersion: "brain.Event:2")
    #expect(Array(v.encoded().suffix(15)) == [0x1A, 0x0D] + Array("brain.Event:2".utf8))
}

@Test func eventDecodesWhatItEncodes() throws {
    let e = TensorBoardEvent(wallTime: 1_712_345_678.25, step: 1 << 40,
                             scalars: [(tag: "loss", value: 10.5), (tag: "lr", value: 1e-4), (tag: "nan", value: .nan)])
    #expect(try TensorBoardEvent(decoding: e.encoded()) == e)
}

@Test func malformedProtobufIsAnError() {
    #expect(throws: ProtobufReader.Malformed.lengthPastEnd(field: 1, offset: 2)) { try ProtobufReader.fields([0x0A, 0x05, 0x61]) }
    #expect(throws: ProtobufReader.Malformed.truncatedVarint(offset: 2)) { try ProtobufReader.fields([0x10, 0x80]) }
    #expect(throws: ProtobufReader.Malformed.unsupportedWireType(3, field: 1, offset: 1)) { try ProtobufReader.fields([0x0B]) }
}
