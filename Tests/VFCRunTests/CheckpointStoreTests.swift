import Foundation
import Testing
import VFCIR
import VFCTensor
@testable import VFCRun
import VFCTestSupport

func state(_ step: Int) -> [String: Tensor] {
    ["w": Tensor(dtype: .f32, shape: [2, 3], scalars: (0..<6).map { Double($0 + step) }),
     "adam.t": Tensor(scalar: Double(step), dtype: .i64)]
}

let shapesOK = CheckpointStore.requiring(shapes: ["w": [2, 3], "adam.t": []], metadataKeys: ["rng"])

@Test func namesSortByStep() {
    let store = CheckpointStore(runDirectory: "/r")
    #expect(store.path(step: 42) == "/r/ckpt-00000042.safetensors")
    #expect(store.path(step: 123_456_789) == "/r/ckpt-123456789.safetensors")
    #expect(CheckpointStore.step(fileName: "ckpt-00000042.safetensors") == 42)
    #expect(CheckpointStore.step(fileName: "ckpt-42.safetensors") == nil)
    #expect(CheckpointStore.step(fileName: ".ckpt-00000042.safetensors.tmp.77") == nil)
    #expect(CheckpointStore.isTemporary(".ckpt-00000042.safetensors.tmp.77"))
    #expect(CheckpointStore.isTemporary("ckpt-00000042.safetensors.tmp.77"))
    #expect(!CheckpointStore.isTemporary("notes.safetensors.tmp.1"))
}

@Test func saveIsAtomicAndCarriesMetadata() throws {
    let dir = makeTempDirectory()
    defer { removeTree(dir) }
    let store = CheckpointStore(runDirectory: dir)
    let path = try store.save(step: 10, tensors: state(10), metadata: ["rng": "0123abcd", "config": "{\"lr\":0.001}"])
    #expect(listing(dir) == ["ckpt-00000010.safetensors"])  // no temporary file left
    let back = try SafetensorsFile.read(path: path)
    #expect(back.metadata.filter { !$0.key.hasPrefix("crc32c.") && $0.key != TensorChecksums.markerKey }
            == ["rng": "0123abcd", "config": "{\"lr\":0.001}", "step": "10"])
    #expect(Set(back.metadata.keys.filter { $0.hasPrefix("crc32c.") }) == ["crc32c.w", "crc32c.adam.t"])
    #expect(back.tensors["w"] == state(10)["w"])
    #expect(back.tensors["adam.t"] == state(10)["adam.t"])
    // The same step again replaces the file in one rename.
    try store.save(step: 10, tensors: state(11), metadata: ["rng": "x"])
    #expect(try SafetensorsFile.read(path: path).tensors["w"] == state(11)["w"])
}

@Test func keepsTheLastThree() throws {
    let dir = makeTempDirectory()
    defer { removeTree(dir) }
    let store = CheckpointStore(runDirectory: dir)
    for step in stride(from: 5, through: 30, by: 5) {
        try store.save(step: step, tensors: state(step), metadata: ["rng": "r"])
    }
    #expect(listing(dir) == ["ckpt-00000020.safetensors", "ckpt-00000025.safetensors", "ckpt-00000030.safetensors"])
    #expect(store.list().map(\.step) == [30, 25, 20])
    // Saving an earlier step (a resume from 20 after 25 and 30 were refused) keeps the
    // later files for inspection and prunes only below the new one.
    try store.save(step: 22, tensors: state(22), metadata: ["rng": "r"])
    #expect(store.list().map(\.step) == [30, 25, 22, 20])
    var two = CheckpointStore(runDirectory: dir, keep: 2)
    two.keep = 2
    try two.save(step: 31, tensors: state(31), metadata: ["rng": "r"])
    #expect(two.list().map(\.step) == [31, 30])
}

@Test func latestValidSkipsACorruptNewestCheckpoint() throws {
    let dir = makeTempDirectory()
    defer { removeTree(dir) }
    let store = CheckpointStore(runDirectory: dir)
    for step in [10, 20, 30] { try store.save(step: step, tensors: state(step), metadata: ["rng": "r\(step)"]) }

    // Truncate the newest (a disk that filled up, a copy cut short).
    let newest = store.path(step: 30)
    let bytes = fileBytes(newest)
    writeBytes(Array(bytes.prefix(bytes.count - 7)), to: newest)
    // A temporary file of a write that was killed before its rename.
    writeBytes([1, 2, 3], to: "\(dir)/.ckpt-00000040.safetensors.tmp.999")

    let search = store.latestValid(validate: shapesOK)
    #expect(search.checkpoint?.step == 20)
    #expect(search.checkpoint?.metadata["rng"] == "r20")
    #expect(search.checkpoint?.tensors["w"] == state(20)["w"])
    #expect(search.refused.count == 1)
    #expect(search.refused.first?.path == newest)
    #expect(search.refused.first?.description.hasPrefix("refusing checkpoint \(newest): ") == true)
    #expect(search.refused.first?.reason.contains("truncated") == true)
    #expect(search.removedTemporaryFiles == ["\(dir)/.ckpt-00000040.safetensors.tmp.999"])
    #expect(search.messages.count == 2)
    #expect(!listing(dir).contains { $0.contains(".tmp") })
    #expect(FileManager.default.fileExists(atPath: newest))  // refused, not deleted
}

@Test func validationRefusalsNameTheProblem() throws {
    let dir = makeTempDirectory()
    defer { removeTree(dir) }
    let store = CheckpointStore(runDirectory: dir)
    try store.save(step: 1, tensors: state(1), metadata: ["rng": "r"])
    var wrongShape = state(2)
    wrongShape["w"] = Tensor(dtype: .f32, shape: [3, 2])
    try store.save(step: 2, tensors: wrongShape, metadata: ["rng": "r"])
    try store.save(step: 3, tensors: state(3))  // no "rng"
    // A file renamed by hand: its metadata step disagrees with its name.
    try FileManager.default.copyItem(atPath: store.path(step: 1), toPath: store.path(step: 4))

    let search = store.latestValid(validate: shapesOK)
    #expect(search.checkpoint?.step == 1)
    #expect(search.refused.map(\.reason) == [
        "its metadata says step 1, its name says step 4",
        "metadata 'rng' is missing",
        "tensor 'w' has shape [3, 2], expected [2, 3]",
    ])
}

@Test func noCheckpointAtAll() {
    let dir = makeTempDirectory()
    defer { removeTree(dir) }
    let search = CheckpointStore(runDirectory: dir).latestValid()
    #expect(search.checkpoint == nil)
    #expect(search.refused.isEmpty)
    #expect(CheckpointStore(runDirectory: "\(dir)/missing").latestValid().checkpoint == nil)
}
