import Foundation
import VFCTrain

/// `vfc train --json`: the outcome of a run as one JSON object on one line: the steps run,
/// the time, the throughput, the newest checkpoint, the skipped images, whether it was
/// interrupted, and the metrics of its last step (NaN and infinities as null).
func trainOutcomeJSON(_ summary: Trainer.Summary, last: Trainer.Progress?, skipped: Int) -> String {
    var fields: [(String, String)] = [
        ("first_step", "\(summary.firstStep)"), ("last_step", "\(summary.lastStep)"),
        ("seconds", jsonNumber(summary.seconds)), ("images_per_second", jsonNumber(summary.imagesPerSecond)),
        ("data_wait_s", jsonNumber(summary.dataWaitSeconds)),
        ("checkpoint", summary.lastCheckpoint.map(jsonString) ?? "null"),
        ("skipped_images", "\(skipped)"), ("interrupted", summary.interrupted ? "true" : "false"),
    ]
    if let last {
        fields.append(("lr", jsonNumber(last.lr)))
        fields += last.metrics.map { ($0.name, jsonNumber($0.value)) }
    }
    return "{" + fields.map { "\(jsonString($0.0)): \($0.1)" }.joined(separator: ", ") + "}"
}

/// A JSON string literal (Foundation's encoder escapes it).
func jsonString(_ s: String) -> String {
    (try? JSONEncoder().encode(s)).map { String(decoding: $0, as: UTF8.self) } ?? "null"
}
