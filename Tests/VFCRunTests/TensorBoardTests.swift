import Foundation
import Testing
@testable import VFCRun
import VFCTestSupport

@Test func eventFileReadsBack() throws {
    let dir = makeTempDirectory()
    defer { removeTree(dir) }
    let tb = try TensorBoardWriter(runDirectory: dir, wallTime: 1_700_000_000)
    for step in 1...5 {
        try tb.log(step: step, wallTime: 1_700_000_000 + Double(step),
                   scalars: ["loss": 10 - Double(step), "lr": 1e-3 * Double(step)])
    }
    tb.close()
    #expect(tb.path.hasPrefix("\(dir)/tb/events.out.tfevents.1700000000."))
    let events = try TensorBoardWriter.readEvents(path: tb.path)
    #expect(events.count == 6)
    #expect(events[0].fileVersion == "brain.Event:2")
    #expect(events[0].wallTime == 1_700_000_000)
    #expect(events[0].scalars.isEmpty)
    #expect(events.dropFirst().map(\.step) == [1, 2, 3, 4, 5])
    #expect(events[3].scalars.map(\.tag) == ["loss", "lr"])
    #expect(events[3].scalars[0].value == 7)
    #expect(events[3].scalars[1].value == Float(3e-3))
    #expect(events[5].wallTime == 1_700_000_005)
}

@Test func recordFramingAndDamage() throws {
    let payload = Array("hello".utf8)
    let framed = TFRecord.frame(payload)
    #expect(framed.count == payload.count + 16)
    #expect(Array(framed[0..<8]) == [5, 0, 0, 0, 0, 0, 0, 0])
    #expect(try TFRecord.records(framed + framed) == [payload, payload])
    // A record cut short (a writer killed mid-write): the prefix survives, the damage is named.
    let cut = framed + Array(framed.prefix(10))
    let (records, damage) = TFRecord.validPrefix(cut)
    #expect(records == [payload])
    #expect(damage?.offset == framed.count)
    #expect(throws: TFRecord.Malformed.self) { try TFRecord.records(cut) }
    var flipped = framed
    flipped[14] ^= 1
    #expect(TFRecord.validPrefix(flipped).damage == .dataCRC(offset: 0))
    // 12 to 15 bytes left: a header but no room for the data CRC.
    #expect(TFRecord.validPrefix(Array(framed.prefix(13))).damage == .truncatedData(offset: 0))
}

@Test func resumeTruncatesEventFiles() throws {
    let dir = makeTempDirectory()
    defer { removeTree(dir) }
    let first = try TensorBoardWriter(runDirectory: dir, wallTime: 1_700_000_000)
    for step in 1...10 { try first.log(step: step, scalars: ["loss": Double(step)]) }
    first.close()
    // A killed run may leave half a record at the end.
    let fd = open(first.path, O_WRONLY | O_APPEND)
    _ = [UInt8](repeating: 7, count: 9).withUnsafeBytes { write(fd, $0.baseAddress, 9) }
    close(fd)

    let resumed = try TensorBoardWriter(runDirectory: dir, resumingAtStep: 6, wallTime: 1_700_000_000)
    for step in 7...8 { try resumed.log(step: step, scalars: ["loss": Double(step)]) }
    resumed.close()
    #expect(resumed.path == first.path + ".1")  // same second: a suffix, not the same file
    #expect(try TensorBoardWriter.readEvents(path: first.path).map(\.step) == [0, 1, 2, 3, 4, 5, 6])
    #expect(try TensorBoardWriter.readEvents(path: resumed.path).map(\.step) == [0, 7, 8])

    // A fresh (non-resumed) writer starts over.
    let fresh = try TensorBoardWriter(runDirectory: dir, wallTime: 1_800_000_000)
    fresh.close()
    #expect(TensorBoardWriter.eventFiles(in: "\(dir)/tb") == [RunFiles.baseName(of: fresh.path)])
    #expect(fresh.path.contains("events.out.tfevents.1800000000."))
}

/// The event file checked by an independent reader: Tests/lit/run_outputs/Inputs/read_tfevents.py
/// (Python standard library, its own bitwise CRC-32C and protobuf decoding). With
/// VFC_TB_OUT set, the run directory is also written there (scripts/check-tensorboard.sh
/// points `tensorboard --inspect` at it).
@Test func eventFileReadsBackInPython() throws {
    let keep = ProcessInfo.processInfo.environment["VFC_TB_OUT"]
    let dir = keep ?? makeTempDirectory()
    defer { if keep == nil { removeTree(dir) } }
    let tb = try TensorBoardWriter(runDirectory: dir)
    for step in 1...20 {
        try tb.log(step: step, scalars: ["loss": 11 - 0.3 * Double(step), "loss_cls": 5 - 0.1 * Double(step),
                                         "loss_mim": 4 - 0.1 * Double(step), "loss_pos": 2 - 0.05 * Double(step),
                                         "lr": 5e-4 * Double(step) / 20])
    }
    tb.close()
    let script = repositoryRoot() + "/Tests/lit/run_outputs/Inputs/read_tfevents.py"
    let (status, output) = try runProcess("/usr/bin/env", ["python3", script, "\(dir)/tb", "--expect-steps", "20",
                                                           "--expect-tags", "loss,loss_cls,loss_mim,loss_pos,lr"])
    #expect(status == 0, "\(output)")
    #expect(output.contains("file_version brain.Event:2"))
    #expect(output.contains("step=20 loss=5 loss_cls=3 loss_mim=2 loss_pos=1 lr=0.000500000024"))
}
