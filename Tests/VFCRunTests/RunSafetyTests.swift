import Foundation
import Testing
import VFCIR
import VFCTensor
@testable import VFCRun
import VFCTestSupport

/// Flips `count` bytes of `path` starting `fromEnd` bytes before its end (inside the data
/// buffer, which ends the file).
func flipBytes(_ path: String, fromEnd: Int, count: Int) {
    var bytes = fileBytes(path)
    for i in (bytes.count - fromEnd)..<(bytes.count - fromEnd + count) { bytes[i] ^= 0xA5 }
    writeBytes(bytes, to: path)
}

@Test func checksumsMatchAnIndependentCRC() throws {
    // CRC-32C("123456789") = 0xE3069283 (the standard check value): the stored checksum of
    // a U8 tensor holding those bytes.
    let t = Tensor(dtype: .u8, shape: [9], scalars: Array("123456789".utf8).map(Double.init))
    #expect(TensorChecksums.metadata(for: ["x": t]) == ["vfc.checksum": "crc32c", "crc32c.x": "e3069283"])
}

@Test func flippedTensorDataIsRefusedNamingTheTensor() throws {
    let dir = makeTempDirectory()
    defer { removeTree(dir) }
    let store = CheckpointStore(runDirectory: dir)
    for step in [10, 20] { try store.save(step: step, tensors: state(step), metadata: ["rng": "r"]) }
    // The data buffer is adam.t (8 bytes) then w (24 bytes), in name order: flip inside w.
    flipBytes(store.path(step: 20), fromEnd: 12, count: 4)
    let search = store.latestValid(validate: shapesOK)
    #expect(search.checkpoint?.step == 10)
    #expect(search.checkpoint?.verification == .verified)
    #expect(search.refused.map(\.path) == [store.path(step: 20)])
    #expect(search.refused.first?.reason.hasPrefix("tensor 'w': checksum mismatch (stored crc32c ") == true)
}

@Test func aCheckpointWithoutChecksumsLoadsWithANote() throws {
    let dir = makeTempDirectory()
    defer { removeTree(dir) }
    let store = CheckpointStore(runDirectory: dir)
    try SafetensorsFile(tensors: state(5), metadata: ["rng": "r", "step": "5"]).write(path: store.path(step: 5))
    let search = store.latestValid(validate: shapesOK)
    #expect(search.checkpoint?.verification == .unchecked)
    #expect(search.checkpoint?.tensors["w"] == state(5)["w"])
    #expect(search.messages == ["note: \(store.path(step: 5)) has no checksums (written by an older vfc): its tensor data cannot be verified"])
}

@Test func aRemovedChecksumIsRefused() throws {
    let dir = makeTempDirectory()
    defer { removeTree(dir) }
    let path = "\(dir)/x.safetensors"
    var meta = TensorChecksums.metadata(for: state(1))
    meta["crc32c.w"] = nil
    try SafetensorsFile(tensors: state(1), metadata: meta).write(path: path)
    #expect(throws: CheckpointInvalid.self) { _ = try TensorChecksums.read(path: path) }
}

@Test func resumePointRefusesWhenEveryCheckpointIsRefusedAndChangesNothing() throws {
    let dir = makeTempDirectory()
    defer { removeTree(dir) }
    let store = CheckpointStore(runDirectory: dir)
    for step in [1, 2] { try store.save(step: step, tensors: state(step), metadata: ["rng": "r"]) }
    for step in [1, 2] { flipBytes(store.path(step: step), fromEnd: 4, count: 1) }
    let before = listing(dir).map { ($0, fileBytes("\(dir)/\($0)")) }
    var said: [String] = []
    #expect(throws: RunDirectoryError.self) { _ = try store.resumePoint(validate: shapesOK) { said.append($0) } }
    #expect(said.count == 2 && said.allSatisfy { $0.hasPrefix("refusing checkpoint ") })
    let after = listing(dir).map { ($0, fileBytes("\(dir)/\($0)")) }
    #expect(before.map(\.0) == after.map(\.0) && zip(before, after).allSatisfy { $0.1 == $1.1 })
}

@Test func resumePointMovesRefusedCheckpointsAsideWithTheMetrics() throws {
    let dir = makeTempDirectory()
    defer { removeTree(dir) }
    let store = CheckpointStore(runDirectory: dir)
    for step in [1, 2] { try store.save(step: step, tensors: state(step), metadata: ["rng": "r"]) }
    writeBytes(Array("{\"step\":1,\"wall_time\":1,\"loss\":2}\n{\"step\":2,\"wall_time\":2,\"loss\":1}\n".utf8), to: "\(dir)/metrics.jsonl")
    flipBytes(store.path(step: 2), fromEnd: 4, count: 1)
    let corrupt = fileBytes(store.path(step: 2))
    let found = try store.resumePoint(validate: shapesOK) { _ in }
    #expect(found?.step == 1)
    #expect(store.list().map(\.step) == [1])
    let aside = listing(dir).filter { $0.hasPrefix("aside-") }
    #expect(aside.count == 1)
    #expect(fileBytes("\(dir)/\(aside[0])/ckpt-00000002.safetensors") == corrupt)
    #expect(fileBytes("\(dir)/\(aside[0])/metrics.jsonl") == fileBytes("\(dir)/metrics.jsonl"))
    // A later save of the same step writes a new file; the refused one stays aside.
    try store.save(step: 2, tensors: state(2), metadata: ["rng": "r"])
    #expect(fileBytes("\(dir)/\(aside[0])/ckpt-00000002.safetensors") == corrupt)
}

@Test func aSecondLockFailsNamingTheHolder() throws {
    let dir = makeTempDirectory()
    defer { removeTree(dir) }
    let first = try RunLock(runDirectory: dir, create: false)
    do {
        _ = try RunLock(runDirectory: dir, create: false)
        Issue.record("a second lock was granted")
    } catch let e as RunDirectoryError {
        #expect(e.description.contains("in use by another vfc train (pid \(getpid()),"))
    }
    first.release()
    let again = try RunLock(runDirectory: dir, create: false)
    again.release()
    #expect(listing(dir) == [RunLock.fileName])  // the lock file stays; the directory existed
}

@Test func aFreshRunNeedsAnEmptyDirectory() throws {
    let dir = makeTempDirectory()
    defer { removeTree(dir) }
    try RunDirectory.checkFresh(dir)
    try RunDirectory.checkFresh("\(dir)/missing")
    writeBytes([], to: "\(dir)/\(RunLock.fileName)")
    try RunDirectory.checkFresh(dir)
    writeBytes(Array("{}".utf8), to: "\(dir)/config.json")
    #expect(throws: RunDirectoryError.self) { try RunDirectory.checkFresh(dir) }
}

@Test func aDirectoryUnderARegularFileIsAClearError() throws {
    let dir = makeTempDirectory()
    defer { removeTree(dir) }
    writeBytes([1], to: "\(dir)/file")
    do {
        try RunFiles.createDirectory("\(dir)/file/run/x")
        Issue.record("created a directory under a regular file")
    } catch let e as RunIOError {
        #expect(e.description == "cannot create directory \(dir)/file/run/x (at \(dir)/file): Not a directory")
    }
    try RunFiles.createDirectory("\(dir)/a/b/c")
    #expect(RunFiles.isDirectory("\(dir)/a/b/c"))
}
