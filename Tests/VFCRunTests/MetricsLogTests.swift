import Foundation
import Testing
@testable import VFCRun
import VFCTestSupport

@Test func linesAreFlatJSONInNameOrder() {
    let e = MetricsEntry(step: 12, wallTime: 1_712_345_678.25, metrics: ["lr": 1e-05, "loss": 10.5, "loss_cls": 3])
    #expect(e.jsonLine() == "{\"step\":12,\"wall_time\":1712345678.25,\"loss\":10.5,\"loss_cls\":3.0,\"lr\":1e-05}\n")
    let odd = MetricsEntry(step: 1, wallTime: 0, metrics: ["a\"b": .nan, "inf": .infinity, "ninf": -.infinity])
    #expect(odd.jsonLine() == "{\"step\":1,\"wall_time\":0.0,\"a\\\"b\":\"NaN\",\"inf\":\"Infinity\",\"ninf\":\"-Infinity\"}\n")
    #expect(MetricsEntry(jsonLine: Substring(odd.jsonLine().dropLast())) == odd)
}

@Test func logAndReadBackBitExactly() throws {
    let dir = makeTempDirectory()
    defer { removeTree(dir) }
    let log = try MetricsLog(runDirectory: dir)
    var written: [MetricsEntry] = []
    for step in 1...50 {
        let e = MetricsEntry(step: step, wallTime: 1_700_000_000 + Double(step) / 3,
                             metrics: ["loss": 1 / Double(step), "lr": 5e-4 * Double(step) / 7, "grad_norm": .pi * Double(step)])
        try log.log(e)
        written.append(e)
    }
    // Each line is in the file as soon as log returns (no buffer to flush).
    let file = try MetricsLog.read(path: log.path)
    #expect(file.entries == written)
    #expect(file.warnings.isEmpty)
    log.close()
}

@Test func corruptLinesAreSkippedWithWarnings() throws {
    let dir = makeTempDirectory()
    defer { removeTree(dir) }
    let path = "\(dir)/metrics.jsonl"
    let text = """
        {"step":1,"wall_time":5.0,"loss":2.0}
        not json
        {"step":"two","loss":1.0}

        {"step":3,"wall_time":6.0,"loss":true}
        {"step":4,"wall_time":7.0,"loss":1.5}
        {"step":5,"wall_ti
        """
    writeBytes(Array(text.utf8), to: path)
    let file = try MetricsLog.read(path: path)
    #expect(file.entries.map(\.step) == [1, 4])
    #expect(file.warnings.count == 4)
    #expect(file.warnings.first == "\(path):2: skipping corrupt line: not json")
    #expect(file.warnings.last?.hasPrefix("\(path):7: ") == true)
}

@Test func resumeTruncatesToTheCheckpointStep() throws {
    let dir = makeTempDirectory()
    defer { removeTree(dir) }
    let first = try MetricsLog(runDirectory: dir)
    for step in 1...9 { try first.log(step: step, wallTime: Double(step), metrics: ["loss": Double(step)]) }
    first.close()
    // A crash mid-line leaves a partial last line.
    let fd = open(first.path, O_WRONLY | O_APPEND)
    _ = Array("{\"step\":10,\"wa".utf8).withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    close(fd)

    let resumed = try MetricsLog(runDirectory: dir, resumingAtStep: 6)
    #expect(try MetricsLog.read(path: resumed.path).entries.map(\.step) == [1, 2, 3, 4, 5, 6])
    for step in 7...8 { try resumed.log(step: step, wallTime: Double(step), metrics: ["loss": Double(step)]) }
    resumed.close()
    let after = try MetricsLog.read(path: resumed.path)
    #expect(after.entries.map(\.step) == [1, 2, 3, 4, 5, 6, 7, 8])
    #expect(after.warnings.isEmpty)
    #expect(!listing(dir).contains { $0.contains(".tmp") })

    // Nothing to drop: the file is left as it is; a missing file stays missing.
    #expect(try MetricsLog.truncate(runDirectory: dir, throughStep: 100) == 8)
    let other = makeTempDirectory()
    defer { removeTree(other) }
    #expect(try MetricsLog.truncate(runDirectory: other, throughStep: 3) == 0)
    #expect(listing(other).isEmpty)

    // A fresh run empties the file.
    let fresh = try MetricsLog(runDirectory: dir)
    fresh.close()
    #expect(try MetricsLog.read(path: fresh.path).entries.isEmpty)
}

@Test func numbersReadBackExactly() {
    // Values Foundation's JSON parser rounds to a neighbouring double on Linux.
    for x in [21.991148575128552, 0.1111111111111111, 0.0007857142857142856, 5e-324, 1.7976931348623157e308, -0.0] {
        let e = MetricsEntry(step: 1, wallTime: 0, metrics: ["x": x])
        #expect(MetricsEntry(jsonLine: Substring(e.jsonLine().dropLast()))?.metrics["x"]?.bitPattern == x.bitPattern)
    }
}

@Test func flatJSONGrammar() {
    #expect(MetricsEntry(jsonLine: #" { "step" : 3 , "wall_time":1E2, "a\u00e9\n": -1.5e-3 } "#)?.metrics == ["a\u{e9}\n": -1.5e-3])
    #expect(MetricsEntry(jsonLine: #"{"step":3,"e":"\ud83d\ude00"}"#) == nil)  // a string that is not a number
    for bad in [#"{"step":1.5}"#, #"{"step":1e3}"#, #"{"loss":1}"#, #"{"step":1,"x":01}"#, #"{"step":1,"x":.5}"#,
                #"{"step":1,"x":1.}"#, #"{"step":1,"x":null}"#, #"{"step":1,"x":[1]}"#, #"{"step":1}x"#,
                #"{"step":1,"x":1,}"#, #"{"step":"NaN"}"#, "{\"step\":1,\"x\t\":1}", #"[1]"#, ""] {
        #expect(MetricsEntry(jsonLine: Substring(bad)) == nil, "accepted \(bad)")
    }
}
