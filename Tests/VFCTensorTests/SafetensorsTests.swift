import Foundation
import Testing
import VFCIR
import VFCTensor
import VFCTestSupport

/// One tensor of each dtype, covering scalars, empty tensors and awkward values.
func sampleFile() -> SafetensorsFile {
    SafetensorsFile(tensors: [
        "f32": Tensor(dtype: .f32, shape: [2, 3], scalars: [0.1, -2, 3.5, .infinity, -0.0, 1e-40]),
        "f64": Tensor(dtype: .f64, shape: [3], scalars: [0.1, .pi, -1e300]),
        "i32": Tensor(dtype: .i32, shape: [2, 2], scalars: [0, -1, 2_147_483_647, -2_147_483_648]),
        "i64": Tensor(dtype: .i64, shape: [2], scalars: [-9_007_199_254_740_992, 9_007_199_254_740_992]),
        "u8": Tensor(dtype: .u8, shape: [4], scalars: [0, 1, 128, 255]),
        "i1": Tensor(dtype: .i1, shape: [3], scalars: [1, 0, 1]),
        "scalar": Tensor(scalar: 42, dtype: .f32),
        "empty": Tensor(dtype: .f32, shape: [0, 4]),
        "empty.i1": Tensor(dtype: .i1, shape: [0]),
    ], metadata: ["format": "pt", "note": "quote \" backslash \\ newline \n tab \t ctl \u{1} é"])
}

@Test func roundTripsEveryDtype() throws {
    let file = sampleFile()
    let back = try SafetensorsFile.decode(file.encode(), path: "mem")
    #expect(back.tensors == file.tensors)
    #expect(back.metadata == file.metadata)
    #expect(Set(back.order) == Set(file.tensors.keys))
    #expect(back.order.count == file.tensors.count)
    for (name, t) in back.tensors {
        #expect(t.isAligned, "\(name)")
    }
    // Encoding is deterministic.
    #expect(back.encode() == file.encode())
}

@Test func orderFollowsDataOffsets() throws {
    let file = SafetensorsFile(tensors: [
        "b": Tensor(scalar: 1, dtype: .u8), "a": Tensor(scalar: 2, dtype: .u8), "c": Tensor(scalar: 3, dtype: .u8),
    ])
    #expect(file.order == ["a", "b", "c"])
    // Written in name order, so read back in name order.
    #expect(try SafetensorsFile.decode(file.encode(), path: "mem").order == ["a", "b", "c"])
    // A file whose offsets put "b" first is listed in file order.
    let json = #"{"a":{"dtype":"U8","shape":[],"data_offsets":[1,2]},"b":{"dtype":"U8","shape":[],"data_offsets":[0,1]}}"#
    let decoded = try SafetensorsFile.decode(rawFile(json, data: [7, 9]), path: "mem")
    #expect(decoded.order == ["b", "a"])
    #expect(decoded.tensors["a"]?.scalars == [9])
}

@Test func encodesKnownBytesExactly() {
    let file = SafetensorsFile(tensors: ["a": Tensor(dtype: .f32, shape: [2], scalars: [1, -2])])
    // 54 bytes of JSON, padded with two spaces to 56 = 0x38.
    let json = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#
    let expected: [UInt8] = [0x38, 0, 0, 0, 0, 0, 0, 0] + Array(json.utf8) + [0x20, 0x20]
        + [0x00, 0x00, 0x80, 0x3F] + [0x00, 0x00, 0x00, 0xC0]
    #expect(file.encode() == expected)
}

@Test func encodesMetadataFirstWithoutPaddingWhenAligned() {
    let file = SafetensorsFile(
        tensors: ["b": Tensor(scalar: 300, dtype: .u8), "a": Tensor(dtype: .f32, shape: [2], scalars: [1, -2])],
        metadata: ["format": "pt"])
    // 136 bytes of JSON (0x88), already a multiple of 8; u8 300 saturates to 255.
    let json = #"{"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"#
        + #""b":{"dtype":"U8","shape":[],"data_offsets":[8,9]}}"#
    let expected: [UInt8] = [0x88, 0, 0, 0, 0, 0, 0, 0] + Array(json.utf8)
        + [0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x00, 0xC0, 0xFF]
    #expect(file.encode() == expected)
}

@Test func writerRoundsRawValues() throws {
    var t = Tensor(dtype: .i32, shape: [3])
    t[flat: 0] = 1e12
    t[flat: 1] = -7.9
    t[flat: 2] = .nan
    var b = Tensor(dtype: .i1, shape: [2])
    b[flat: 0] = 5
    let back = try SafetensorsFile.decode(SafetensorsFile(tensors: ["t": t, "b": b]).encode(), path: "mem")
    #expect(back.tensors["t"]?.scalars == [2_147_483_647, -7, 0])
    #expect(back.tensors["b"]?.scalars == [1, 0])
}

@Test func metadataRoundTripsThroughDisk() throws {
    let dir = makeTempDirectory("vfc-tensor-tests")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let path = dir + "/model.safetensors"
    let file = sampleFile()
    try file.write(path: path)
    let back = try SafetensorsFile.read(path: path)
    #expect(back.metadata == file.metadata)
    #expect(back.tensors == file.tensors)
    // Overwriting replaces the file and leaves no temporary behind.
    try SafetensorsFile(tensors: ["x": Tensor(scalar: 1, dtype: .f64)]).write(path: path)
    #expect(try SafetensorsFile.read(path: path).order == ["x"])
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["model.safetensors"])
}

@Test func emptyFileRoundTrips() throws {
    let bytes = SafetensorsFile().encode()
    #expect(bytes == [8, 0, 0, 0, 0, 0, 0, 0] + Array("{}      ".utf8))
    let back = try SafetensorsFile.decode(bytes, path: "mem")
    #expect(back.tensors.isEmpty && back.metadata.isEmpty && back.order.isEmpty)
}

@Test func missingFileIsAnError() throws {
    let dir = makeTempDirectory("vfc-tensor-tests")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let path = dir + "/nope.safetensors"
    let error = #expect(throws: SafetensorsError.self) { try SafetensorsFile.read(path: path) }
    #expect(error?.description == "cannot read \(path): No such file or directory")
    let dirError = #expect(throws: SafetensorsError.self) { try SafetensorsFile.read(path: dir) }
    #expect(dirError?.description == "\(dir): not a regular file (a directory): safetensors inputs must be regular files")
}

@Test func unwritablePathIsAnError() throws {
    let dir = makeTempDirectory("vfc-tensor-tests")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let path = dir + "/missing-subdir/out.safetensors"
    let error = #expect(throws: SafetensorsError.self) { try SafetensorsFile().write(path: path) }
    #expect(error?.description == "cannot write \(path): No such file or directory")
}

@Test func dtypeNames() {
    for t in DType.allCases {
        #expect(DType(safetensorsName: t.safetensorsName) == t)
    }
    #expect(DType.i1.safetensorsName == "BOOL")
    #expect(DType(safetensorsName: "BF16") == nil)
}
