import Testing
import VFCIR
import VFCTensor

/// A file image with the given header JSON (unpadded) and data buffer.
func rawFile(_ json: String, data: [UInt8] = []) -> [UInt8] {
    let header = Array(json.utf8)
    var out: [UInt8] = []
    withUnsafeBytes(of: UInt64(header.count).littleEndian) { out.append(contentsOf: $0) }
    return out + header + data
}

/// The error `decode` throws for `bytes`, as text ("" when it wrongly succeeds).
func decodeError(_ bytes: [UInt8], path: String = "bad.safetensors") -> String {
    do {
        _ = try SafetensorsFile.decode(bytes, path: path)
        return ""
    } catch let error as SafetensorsError {
        return error.description
    } catch {
        return "unexpected error type: \(error)"
    }
}

func entry(_ dtype: String = "F32", _ shape: String = "[2]", _ offsets: String = "[0,8]") -> String {
    #"{"dtype":"\#(dtype)","shape":\#(shape),"data_offsets":\#(offsets)}"#
}

@Test func everyTruncationIsAnError() throws {
    let file = SafetensorsFile(tensors: [
        "w": Tensor(dtype: .f32, shape: [2, 2], scalars: [1, 2, 3, 4]),
        "m": Tensor(dtype: .i1, shape: [3], scalars: [1, 0, 1]),
    ], metadata: ["k": "v"])
    let bytes = file.encode()
    _ = try SafetensorsFile.decode(bytes, path: "ok")
    for n in 0..<bytes.count {
        let message = decodeError(Array(bytes[0..<n]))
        #expect(message.hasPrefix("bad.safetensors: "), "truncated to \(n) bytes: \(message)")
    }
}

@Test func truncationMessagesAreSpecific() {
    #expect(decodeError([1, 2, 3])
        == "bad.safetensors: file is truncated: it has 3 bytes, fewer than the 8-byte header length")
    let bytes = rawFile("{}")
    #expect(decodeError([0xD2, 0x04, 0, 0, 0, 0, 0, 0] + Array(bytes[8...]) + Array(repeating: 32, count: 18))
        == "bad.safetensors: file is truncated: header says 1234 bytes of JSON but the file has 20 bytes after the length")
    #expect(decodeError(rawFile(#"{"w":\#(entry())}"#, data: [0, 0, 0, 0]))
        == "bad.safetensors: tensor 'w': data_offsets [0, 8] run past the data buffer (4 bytes; file truncated?)")
}

@Test func hugeHeaderLengthIsAnError() {
    let huge: [UInt8] = [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF] + Array("{}".utf8)
    #expect(decodeError(huge).contains("exceeds the 100000000-byte limit"))
    let justOver = withUnsafeBytes(of: UInt64(100_000_001).littleEndian) { Array($0) } + Array("{}".utf8)
    #expect(decodeError(justOver).contains("exceeds"))
}

@Test func headerMustBeAJSONObject() {
    #expect(decodeError(rawFile("[1, 2]")) == "bad.safetensors: header JSON is not an object")
    #expect(decodeError(rawFile("42")) == "bad.safetensors: header JSON is not an object")
    #expect(decodeError(rawFile("{\"a\":")) == "bad.safetensors: header is not valid JSON")
    #expect(decodeError(rawFile("")) == "bad.safetensors: header is not valid JSON")
    #expect(decodeError(rawFile(#"{"w": 3}"#)) == "bad.safetensors: tensor 'w': entry is not an object")
}

@Test func unknownDtypeIsAnError() {
    #expect(decodeError(rawFile(#"{"w":\#(entry("BF16", "[2]", "[0,4]"))}"#, data: [0, 0, 0, 0]))
        == "bad.safetensors: tensor 'w': unsupported dtype 'BF16' (vfc reads F32, F64, I32, I64, U8, BOOL)")
    #expect(decodeError(rawFile(#"{"w":{"shape":[],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0]))
        .contains("missing or non-string dtype"))
}

@Test func offsetsMustBeInRange() {
    let data = [UInt8](repeating: 0, count: 8)
    #expect(decodeError(rawFile(#"{"w":\#(entry("F32", "[2]", "[0,16]"))}"#, data: data)).contains("run past the data buffer"))
    #expect(decodeError(rawFile(#"{"w":\#(entry("F32", "[2]", "[8,0]"))}"#, data: data))
        .contains("not an ascending non-negative pair"))
    #expect(decodeError(rawFile(#"{"w":\#(entry("F32", "[2]", "[-8,0]"))}"#, data: data))
        .contains("not an ascending non-negative pair"))
    #expect(decodeError(rawFile(#"{"w":\#(entry("F32", "[2]", "[0]"))}"#, data: data))
        .contains("data_offsets must be two integers"))
    #expect(decodeError(rawFile(#"{"w":\#(entry("F32", "[2]", "[0,1e30]"))}"#, data: data))
        .contains("data_offsets must be two integers"))
    #expect(decodeError(rawFile(#"{"w":\#(entry("F32", "[2]", "[0,99999999999999999999999]"))}"#, data: data))
        .contains("data_offsets must be two integers"))
    #expect(decodeError(rawFile(#"{"w":\#(entry("F32", "[2]", #"["0",8]"#))}"#, data: data))
        .contains("data_offsets must be two integers"))
}

@Test func sizeMismatchNamesTheTensor() {
    let json = #"{"blocks.0.attn.qkv.weight":\#(entry("F32", "[3, 4]", "[0,100]"))}"#
    #expect(decodeError(rawFile(json, data: .init(repeating: 0, count: 100)), path: "model.safetensors")
        == "model.safetensors: tensor 'blocks.0.attn.qkv.weight': data_offsets [0, 100] hold 100 bytes, but F32[3, 4] needs 48")
}

@Test func overlapsAndHolesAreErrors() {
    let data = [UInt8](repeating: 0, count: 12)
    let overlap = #"{"a":\#(entry("F32", "[2]", "[0,8]")),"b":\#(entry("F32", "[2]", "[4,12]"))}"#
    #expect(decodeError(rawFile(overlap, data: data))
        == "bad.safetensors: tensor 'b': data_offsets [4, 12] overlap tensor 'a', which ends at 8")
    let same = #"{"a":\#(entry("F32", "[2]", "[0,8]")),"b":\#(entry("F32", "[2]", "[0,8]"))}"#
    #expect(decodeError(rawFile(same, data: [UInt8](repeating: 0, count: 8))).contains("overlap tensor 'a'"))
    let hole = #"{"a":\#(entry("F32", "[1]", "[0,4]")),"b":\#(entry("F32", "[1]", "[8,12]"))}"#
    #expect(decodeError(rawFile(hole, data: data)).contains("tensor 'b': data_offsets start at 8, leaving a hole"))
    let trailing = #"{"a":\#(entry("F32", "[2]", "[0,8]"))}"#
    #expect(decodeError(rawFile(trailing, data: data))
        == "bad.safetensors: the data buffer has 12 bytes but the tensors cover only 8")
}

@Test func shapesMustBeNonNegativeIntegers() {
    let data = [UInt8](repeating: 0, count: 8)
    for shape in ["[-2]", "[2.5]", "[true]", "[\"2\"]", "[1e3]", "[2.0]", "{}", "3"] {
        let message = decodeError(rawFile(#"{"w":\#(entry("F32", shape, "[0,8]"))}"#, data: data))
        #expect(message.hasPrefix("bad.safetensors: tensor 'w': "), "shape \(shape): \(message)")
        #expect(message.contains("shape"), "shape \(shape): \(message)")
    }
    // Over the element budget (and an overflowing product) before anything is allocated.
    for shape in ["[268435457]", "[4294967296, 4294967296]", "[9223372036854775807, 2]"] {
        #expect(decodeError(rawFile(#"{"w":\#(entry("U8", shape, "[0,8]"))}"#, data: data))
            .contains("has more than 268435456 elements"), "shape \(shape)")
    }
}

@Test func metadataMustBeStrings() {
    #expect(decodeError(rawFile(#"{"__metadata__":{"k":1}}"#)).contains("__metadata__ value for 'k' is not a string"))
    #expect(decodeError(rawFile(#"{"__metadata__":[]}"#)).contains("__metadata__ is not an object"))
    let ok = try? SafetensorsFile.decode(rawFile(#"{"__metadata__":{"k":"v"}}"#), path: "ok")
    #expect(ok?.metadata == ["k": "v"])
}

@Test func zeroSizeAndScalarEntriesDecode() throws {
    let json = #"{"e":\#(entry("F32", "[0, 3]", "[0,0]")),"s":\#(entry("I32", "[]", "[0,4]"))}"#
    let file = try SafetensorsFile.decode(rawFile(json, data: [0xFE, 0xFF, 0xFF, 0xFF]), path: "ok")
    #expect(file.tensors["e"]?.shape == [0, 3])
    #expect(file.tensors["s"]?.scalars == [-2])
    #expect(file.tensors["s"]?.shape == [])
}

@Test func boolBytesAreNormalized() throws {
    let file = try SafetensorsFile.decode(rawFile(#"{"m":\#(entry("BOOL", "[3]", "[0,3]"))}"#, data: [0, 1, 7]), path: "ok")
    #expect(file.tensors["m"]?.scalars == [0, 1, 1])
    #expect(file.tensors["m"]?.dtype == .i1)
}
